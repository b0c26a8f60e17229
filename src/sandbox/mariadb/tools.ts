/**
 * Where the MariaDB programs live and how they are run. Every failure becomes a `ToolFailed` error that
 * quotes the tail of the program's own output, because that tail ("No space left on device", "Access
 * denied ...") is what tells a user what to fix.
 */
import { execa } from 'execa';
import { DataPlaneError, tailLines } from './errors.js';

export interface MariaDbTools {
  mariadbd: string;
  installDb: string;
  backup: string;
  binlog: string;
  client: string;
}

/** The installed MariaDB programs; MARIADBD overrides the server's path (it is in /usr/sbin, not always on PATH). */
export function defaultTools(env: NodeJS.ProcessEnv = process.env): MariaDbTools {
  return {
    mariadbd: env.MARIADBD ?? '/usr/sbin/mariadbd',
    installDb: 'mariadb-install-db',
    backup: 'mariadb-backup',
    binlog: 'mariadb-binlog',
    client: 'mariadb',
  };
}

/** mariadbd refuses to run as root unless told to; every server and tool that starts one gets this. */
export function userOption(): string[] {
  return process.getuid?.() === 0 ? ['--user=root'] : [];
}

export interface ToolResult {
  stdout: string;
  stderr: string;
}

/** Runs `file args`, resolving with its output, or throwing `ToolFailed` that names `what` and quotes stderr. */
export async function runTool(
  what: string,
  file: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; timeoutMs?: number; cwd?: string } = {},
): Promise<ToolResult> {
  const result = await execa(file, args, {
    reject: false,
    env: options.env,
    cwd: options.cwd,
    timeout: options.timeoutMs,
    stdin: 'ignore',
    all: true,
  });
  if (result.failed) {
    const reason = result.timedOut
      ? `timed out after ${options.timeoutMs} ms`
      : result.exitCode !== undefined
        ? `exited with code ${result.exitCode}`
        : (result.originalMessage ?? result.shortMessage);
    const output = tailLines(String(result.all ?? ''));
    throw new DataPlaneError(
      'ToolFailed',
      `${what} failed: ${file} ${reason}${output ? `:\n${output}` : ''}`,
    );
  }
  return { stdout: String(result.stdout), stderr: String(result.stderr) };
}
