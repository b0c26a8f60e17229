/**
 * Where the sandbox lives and how a shell reaches it: the home directory, the file that holds the master
 * password, and the `export` lines that point the aws CLI, the SDKs and the lab guides' $DBUSER/$DBPASS at it.
 * The password itself is never printed: the DBPASS line reads it from the file when the shell evaluates it.
 */
import { chmod, readFile, rename, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { SandboxConnection, SandboxOptions } from '../index.js';
import { SandboxError } from './sandbox-home.js';

/** The home from the option, else $LABRUN_SANDBOX_HOME, else ~/.labrun/sandbox; an empty one is refused. */
export function sandboxHome(opts: SandboxOptions = {}): string {
  const home = opts.home ?? process.env.LABRUN_SANDBOX_HOME ?? path.join(os.homedir(), '.labrun', 'sandbox');
  // path.resolve('') is the current directory, which `down --purge` would then delete.
  if (home.trim() === '') {
    const source =
      opts.home === undefined ? 'LABRUN_SANDBOX_HOME is set but empty' : 'the sandbox home is empty';
    throw new SandboxError(`${source}; unset it or give a directory`, true);
  }
  return path.resolve(home);
}

/** `<home>/db-password`: the master password of the sandbox's clusters, readable by its owner only. */
export function sandboxPasswordFile(home: string): string {
  return path.join(home, 'db-password');
}

/** Writes the password file atomically with mode 0600 (a file that already exists is replaced, not reused). */
export async function writeSandboxPasswordFile(home: string, password: string): Promise<string> {
  const target = sandboxPasswordFile(home);
  const tmp = `${target}.${process.pid}.tmp`;
  await writeFile(tmp, password, { mode: 0o600 });
  // The mode given to writeFile is filtered by the umask and ignored for an existing file; set it outright.
  await chmod(tmp, 0o600);
  await rename(tmp, target);
  return target;
}

/** The password from the file, or undefined when there is none. */
export async function readSandboxPasswordFile(home: string): Promise<string | undefined> {
  try {
    return await readFile(sandboxPasswordFile(home), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

export function sandboxEnvLines(conn: SandboxConnection): string[] {
  const vars: Array<[string, string]> = [
    ['AWS_ENDPOINT_URL', shellQuote(conn.endpoint)],
    ['AWS_REGION', shellQuote(conn.region)],
    ['AWS_DEFAULT_REGION', shellQuote(conn.region)],
    ['AWS_ACCESS_KEY_ID', shellQuote(conn.accessKeyId)],
    ['AWS_SECRET_ACCESS_KEY', shellQuote(conn.secretAccessKey)],
    ['LABRUN_STACK', shellQuote(conn.stackName)],
    ['DBUSER', shellQuote(conn.dbUser)],
    // Read when evaluated, so the password is in no output (terminal, scrollback, CI log).
    ['DBPASS', `"$(cat ${shellQuote(conn.dbPasswordFile)})"`],
  ];
  return vars.map(([name, value]) => `export ${name}=${value}`);
}

/** POSIX single-quoting: safe for any value, including quotes and `$`. */
export function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}
