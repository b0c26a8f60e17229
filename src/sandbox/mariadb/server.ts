/**
 * One mariadbd process: start it from a generated option file and wait until it serves, stop it, or find one
 * a previous owner left running. Start-up never hangs: if the server exits or is not ready in time, the
 * error quotes the server's own error-log lines (e.g. "Bind on TCP/IP port. Got error: 98: Address already
 * in use") and the process is gone.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import mysql from 'mysql2/promise';
import { DataPlaneError, tailLines } from './errors.js';
import { renderServerConfig, type ServerConfigOptions } from './server-config.js';
import { defaultTools, userOption } from './tools.js';

export interface MariaDbServerOptions extends ServerConfigOptions {
  /** Where the generated option file is written; the server runs with `--defaults-file=<configFile>`. */
  configFile: string;
  /** How long start-up may take before the server is killed (default 30 s). */
  startupTimeoutMs?: number;
  /** Path of mariadbd (default $MARIADBD or /usr/sbin/mariadbd). */
  mariadbd?: string;
}

export interface StopOptions {
  timeoutMs?: number;
  skipFlush?: boolean;
  /**
   * Ends the server as a backup tool would copy it: commits are blocked first (the global read lock, which waits
   * for the commits and writes in flight), then the process is killed (SIGKILL). The files then hold every
   * committed transaction, in the binlog and in InnoDB's redo log (both written at commit, so in the OS's page
   * cache), and no commit half made; open transactions are rolled back by the crash recovery of the next start on
   * them, as a shutdown would have rolled them back. This skips the shutdown's fsync of the binlog, which after a
   * large load is most of its time. When commits cannot be blocked within a second (a long write, a session
   * holding LOCK TABLES ... WRITE), the server is stopped as with `skipFlush` instead.
   */
  killAfterBlockingCommits?: boolean;
}

export interface MariaDbServer {
  readonly pid: number;
  /** Unix socket on which root connects without a password. */
  readonly socket: string;
  readonly configFile: string;
  /** False once the process has exited. */
  isRunning(): boolean;
  /**
   * Shuts the server down (SIGTERM), killing it if it takes longer than `timeoutMs` (default 60 s). With
   * `skipFlush`, InnoDB writes its redo log but not its dirty pages (innodb_fast_shutdown=2): seconds faster
   * after heavy writes, and the next start on these files runs crash recovery instead. Committed data is kept.
   */
  stop(options?: StopOptions): Promise<void>;
  /**
   * Kills the server outright (SIGKILL) and waits until the process is gone: a crash, for fault injection.
   * Committed transactions survive (their redo and binlog writes are in the OS's page cache); the next start
   * on these files runs InnoDB crash recovery.
   */
  kill(): Promise<void>;
}

/** Starts mariadbd and resolves once root can connect over its socket. */
export async function startMariaDbServer(options: MariaDbServerOptions): Promise<MariaDbServer> {
  const mariadbd = options.mariadbd ?? defaultTools().mariadbd;
  // Its own tmpdir beside its option file (see ServerConfigOptions.tmpdir).
  const tmpdir = options.tmpdir ?? join(dirname(options.configFile), 'tmp');
  await Promise.all([
    mkdir(dirname(options.configFile), { recursive: true }),
    mkdir(dirname(options.errorLog), { recursive: true }),
    mkdir(dirname(options.socket), { recursive: true }),
    mkdir(tmpdir, { recursive: true }),
  ]);
  await writeFile(options.configFile, renderServerConfig({ ...options, tmpdir }));
  const logOffset = await fileSize(options.errorLog);

  // Early failures (an unknown option) go to stderr before the error log is open; send both to one file.
  const stderr = openSync(options.errorLog, 'a');
  let child: ChildProcess;
  try {
    child = spawn(mariadbd, [`--defaults-file=${options.configFile}`, ...userOption()], {
      stdio: ['ignore', 'ignore', stderr],
    });
  } finally {
    closeSync(stderr);
  }
  const exit = new Promise<string>((resolve) => {
    child.once('exit', (code, signal) => resolve(signal ? `signal ${signal}` : `code ${code}`));
    child.once('error', (error) => resolve(error.message));
  });
  let exitedWith: string | undefined;
  void exit.then((how) => (exitedWith = how));

  const deadline = Date.now() + (options.startupTimeoutMs ?? 30_000);
  const where = options.network ? `${options.network.host}:${options.network.port}` : options.socket;
  for (;;) {
    if (exitedWith !== undefined) {
      const log = await errorLogSince(options.errorLog, logOffset);
      throw new DataPlaneError(
        'ServerStartFailed',
        `mariadbd for ${where} exited during start-up (${exitedWith})${log ? `:\n${log}` : ''}`,
      );
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      await exit;
      const log = await errorLogSince(options.errorLog, logOffset);
      throw new DataPlaneError(
        'ServerStartFailed',
        `mariadbd for ${where} was not ready after ${options.startupTimeoutMs ?? 30_000} ms and was killed` +
          (log ? `:\n${log}` : ''),
      );
    }
    if ((await canConnect(options.socket)) && exitedWith === undefined) break;
    await sleep(40);
  }
  // The server belongs to whoever runs the data plane, not to this Node process's event loop: a script that
  // forgets to stop it may still end, and a later data plane adopts the server through its pid file.
  child.unref();
  return ownServer(child, exit, options);
}

function ownServer(child: ChildProcess, exit: Promise<string>, options: MariaDbServerOptions): MariaDbServer {
  let exited = false;
  void exit.then(() => (exited = true));
  return {
    pid: child.pid ?? -1,
    socket: options.socket,
    configFile: options.configFile,
    isRunning: () => !exited,
    async stop({
      timeoutMs = 60_000,
      skipFlush = false,
      killAfterBlockingCommits = false,
    }: StopOptions = {}) {
      if (exited) return;
      // Keep the process alive until the server is really gone, even if nothing else holds the loop.
      child.ref();
      const killed =
        killAfterBlockingCommits &&
        (await killUnderReadLock(options.socket, async () => {
          child.kill('SIGKILL');
          await exit;
        }));
      if (killed) return;
      if (skipFlush || killAfterBlockingCommits) await setFastShutdown(options.socket);
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      try {
        await exit;
      } finally {
        clearTimeout(timer);
      }
    },
    async kill() {
      if (exited) return;
      child.ref();
      child.kill('SIGKILL');
      await exit;
    },
  };
}

/**
 * The server a previous owner started from `configFile` and left running, found through its pid file; or
 * undefined when there is none (no pid file, a dead pid, or a pid now used by another program).
 */
export async function findRunningServer(
  configFile: string,
  pidFile: string,
  socket: string,
): Promise<MariaDbServer | undefined> {
  const pid = await readPid(pidFile);
  if (pid === undefined || !(await isServerProcess(pid, configFile))) return undefined;
  return {
    pid,
    socket,
    configFile,
    isRunning: () => processAlive(pid),
    async stop({
      timeoutMs = 60_000,
      skipFlush = false,
      killAfterBlockingCommits = false,
    }: StopOptions = {}) {
      if (!processAlive(pid)) return;
      const killed =
        killAfterBlockingCommits &&
        (await killUnderReadLock(socket, async () => {
          signal(pid, 'SIGKILL');
          while (processAlive(pid)) await sleep(10);
        }));
      if (killed) return;
      if (skipFlush || killAfterBlockingCommits) await setFastShutdown(socket);
      await stopPid(pid, timeoutMs);
    },
    async kill() {
      signal(pid, 'SIGKILL');
      while (processAlive(pid)) await sleep(25);
    },
  };
}

/** Sends SIGTERM to `pid` and waits until it is gone, with SIGKILL after `timeoutMs`. */
export async function stopPid(pid: number, timeoutMs = 60_000): Promise<void> {
  if (!signal(pid, 'SIGTERM')) return;
  const deadline = Date.now() + timeoutMs;
  let killed = false;
  while (processAlive(pid)) {
    if (!killed && Date.now() > deadline) {
      signal(pid, 'SIGKILL');
      killed = true;
    }
    await sleep(25);
  }
}

export async function readPid(pidFile: string): Promise<number | undefined> {
  try {
    const pid = Number((await readFile(pidFile, 'utf8')).trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** True when `pid` is a live mariadbd started with `--defaults-file=<configFile>`. */
async function isServerProcess(pid: number, configFile: string): Promise<boolean> {
  if (!processAlive(pid)) return false;
  try {
    const args = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0');
    return args.includes(`--defaults-file=${configFile}`);
  } catch {
    return false;
  }
}

/** Alive and not a zombie: an orphan's parent may be an init that never reaps it. */
function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const procStat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The state letter follows the parenthesised command name.
    const close = procStat.lastIndexOf(')');
    const state = procStat.slice(close + 2, close + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return true;
  }
}

function signal(pid: number, name: NodeJS.Signals): boolean {
  try {
    process.kill(pid, name);
    return true;
  } catch {
    return false;
  }
}

/**
 * Kills the server (`kill`, which resolves once it is gone) while a root session holds the global read lock
 * (FLUSH TABLES WITH READ LOCK, which waits for the commits and writes in flight and blocks new ones). False,
 * with the server untouched, when it cannot be reached or the lock is not had within a second. Not BACKUP STAGE
 * BLOCK_COMMIT: that one also syncs the binlog, the cost this avoids. The session ends with the server: its
 * errors are swallowed.
 */
async function killUnderReadLock(socketPath: string, kill: () => Promise<void>): Promise<boolean> {
  let connection: mysql.Connection | undefined;
  try {
    connection = await mysql.createConnection({ socketPath, user: 'root', connectTimeout: 2_000 });
    connection.on('error', () => undefined);
    await connection.query('SET SESSION lock_wait_timeout = 1');
    await connection.query('FLUSH TABLES WITH READ LOCK');
  } catch {
    connection?.destroy();
    return false;
  }
  try {
    await kill();
  } finally {
    connection.destroy();
  }
  return true;
}

/** Best effort: a server that cannot be reached is still stopped, only with the usual page flush. */
async function setFastShutdown(socketPath: string): Promise<void> {
  try {
    const connection = await mysql.createConnection({ socketPath, user: 'root', connectTimeout: 2_000 });
    try {
      await connection.query('SET GLOBAL innodb_fast_shutdown = 2');
    } finally {
      await connection.end();
    }
  } catch {
    // The SIGTERM that follows still stops it.
  }
}

async function canConnect(socketPath: string): Promise<boolean> {
  try {
    const connection = await mysql.createConnection({ socketPath, user: 'root', connectTimeout: 2_000 });
    await connection.end();
    return true;
  } catch {
    return false;
  }
}

async function fileSize(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}

/** The error-log lines written since `offset`: the [ERROR] ones when there are any, else the tail. */
async function errorLogSince(path: string, offset: number): Promise<string> {
  let text: string;
  try {
    text = (await readFile(path)).subarray(offset).toString('utf8');
  } catch {
    return '';
  }
  const errors = text.split('\n').filter((line) => /\[ERROR\]/.test(line));
  return tailLines(errors.length > 0 ? errors.join('\n') : text);
}

/** Removes a server's leftovers (pid file, socket) after it is known to be gone. */
export async function removeServerLeftovers(pidFile: string, socket: string): Promise<void> {
  await Promise.all([rm(pidFile, { force: true }), rm(socket, { force: true })]);
}
