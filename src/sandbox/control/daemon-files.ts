/**
 * The files through which the daemon and the entry points that start, find and stop it talk:
 * `daemon.json` (state, pid, endpoint), `daemon.log` (progress and events) and `daemon.lock` (the pid of the
 * one daemon of the home, which holds the home's lock socket). All of them live in the sandbox home; none holds the master password (that is `db-password`, see
 * sandbox-env.ts).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readFile, realpath, rename, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import path from 'node:path';

export interface DaemonFile {
  pid: number;
  /** `starting` until the stack is ready; `failed` carries the reason the daemon gave up. */
  state: 'starting' | 'ready' | 'failed';
  endpoint?: string;
  port?: number;
  region?: string;
  stackName?: string;
  dbUser?: string;
  /** Whether the daemon runs in strict mode (refuses what today's AWS refuses); absent in older files. */
  strict?: boolean;
  error?: string;
  updatedAt: string;
}

export function daemonPaths(home: string) {
  return {
    state: path.join(home, 'daemon.json'),
    log: path.join(home, 'daemon.log'),
    lock: path.join(home, 'daemon.lock'),
  };
}

export async function readDaemonFile(home: string): Promise<DaemonFile | undefined> {
  try {
    const parsed = JSON.parse(await readFile(daemonPaths(home).state, 'utf8')) as DaemonFile;
    return typeof parsed.pid === 'number' ? parsed : undefined;
  } catch {
    // Missing, or caught half-written by a reader that raced the rename: treat as absent.
    return undefined;
  }
}

export async function writeDaemonFile(home: string, file: Omit<DaemonFile, 'updatedAt'>): Promise<void> {
  const target = daemonPaths(home).state;
  const tmp = `${target}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify({ ...file, updatedAt: new Date().toISOString() }, null, 2) + '\n');
  await rename(tmp, target);
}

export async function removeDaemonFile(home: string): Promise<void> {
  await rm(daemonPaths(home).state, { force: true });
}

/** True while `pid` runs; an exited child that nobody has reaped yet (a zombie) counts as gone. */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true;
  }
}

/** The daemon's exit code when another daemon already holds its home (EX_TEMPFAIL): its `up` waits for that one. */
export const DAEMON_LOCKED_EXIT = 75;

/** The outcome of `acquireDaemonLock`: held by this process, or by another one (its pid once it has written it). */
export type DaemonLockResult = { acquired: true } | { acquired: false; holder: number | undefined };

let heldLock: Server | undefined;

/**
 * Takes the home's daemon lock for this process: a Unix socket in Linux's abstract namespace, named after the
 * home's real path. Binding it is atomic and the kernel frees it when its process dies, however it dies, so
 * two daemons started together never both hold it and a crashed daemon leaves no stale lock. `daemon.lock`
 * then records the holder's pid for `down` and for an `up` that waits for it.
 */
export async function acquireDaemonLock(home: string): Promise<DaemonLockResult> {
  const address = lockAddress(await realpathOrSelf(home));
  const server = createServer((socket) => socket.destroy());
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(address, () => resolve());
    });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    return { acquired: false, holder: await lockHolder(home, 2000) };
  }
  server.unref();
  heldLock = server;
  const lock = daemonPaths(home).lock;
  const tmp = `${lock}.${process.pid}.tmp`;
  await writeFile(tmp, String(process.pid));
  await rename(tmp, lock);
  return { acquired: true };
}

export async function releaseDaemonLock(home: string): Promise<void> {
  const lock = daemonPaths(home).lock;
  const holder = Number((await readFile(lock, 'utf8').catch(() => '')).trim());
  if (holder === process.pid) await rm(lock, { force: true });
  const server = heldLock;
  heldLock = undefined;
  if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
}

/** The live process `daemon.lock` names, waiting up to `waitMs` for a holder that has not written it yet. */
export async function lockHolder(home: string, waitMs = 0): Promise<number | undefined> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const pid = Number((await readFile(daemonPaths(home).lock, 'utf8').catch(() => '')).trim());
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && isProcessAlive(pid)) return pid;
    if (Date.now() >= deadline) return undefined;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function lockAddress(realHome: string): string {
  return `\0labrun-sandbox-${createHash('sha256').update(realHome).digest('hex').slice(0, 40)}`;
}

async function realpathOrSelf(dir: string): Promise<string> {
  return realpath(dir).catch(() => dir);
}
