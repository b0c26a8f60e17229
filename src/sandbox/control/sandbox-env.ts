/**
 * Where the sandbox lives and how a shell reaches it: the home directory and the `export` lines that point
 * the aws CLI, the SDKs and the lab guides' $DBUSER/$DBPASS at it.
 */
import os from 'node:os';
import path from 'node:path';
import type { SandboxConnection, SandboxOptions } from '../index.js';

export function sandboxHome(opts: SandboxOptions = {}): string {
  const home = opts.home ?? process.env.LABRUN_SANDBOX_HOME ?? path.join(os.homedir(), '.labrun', 'sandbox');
  return path.resolve(home);
}

export function sandboxEnvLines(conn: SandboxConnection): string[] {
  const vars: Array<[string, string]> = [
    ['AWS_ENDPOINT_URL', conn.endpoint],
    ['AWS_REGION', conn.region],
    ['AWS_DEFAULT_REGION', conn.region],
    ['AWS_ACCESS_KEY_ID', conn.accessKeyId],
    ['AWS_SECRET_ACCESS_KEY', conn.secretAccessKey],
    ['LABRUN_STACK', conn.stackName],
    ['DBUSER', conn.dbUser],
    ['DBPASS', conn.dbPassword],
  ];
  return vars.map(([name, value]) => `export ${name}=${shellQuote(value)}`);
}

/** POSIX single-quoting: safe for any value, including quotes and `$`. */
export function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}
