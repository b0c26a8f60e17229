/**
 * The files through which the daemon and the entry points that start, find and stop it talk:
 * `daemon.json` (state, pid, endpoint), `daemon.log` (progress and events) and `daemon.lock` (one daemon per
 * home). All of them live in the sandbox home; none holds the master password (that is `db-password`, see
 * sandbox-env.ts).
 */
import { readFileSync } from 'node:fs';
import { open, readFile, rename, rm, writeFile } from 'node:fs/promises';
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

/**
 * Takes the home's daemon lock for this process. Returns the pid of the live process holding it instead,
 * if there is one; a lock left by a dead process is taken over.
 */
export async function acquireDaemonLock(home: string): Promise<number | undefined> {
  const lock = daemonPaths(home).lock;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(lock, 'wx');
      await handle.writeFile(String(process.pid));
      await handle.close();
      return undefined;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number((await readFile(lock, 'utf8').catch(() => '')).trim());
      if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && isProcessAlive(holder))
        return holder;
      await rm(lock, { force: true });
    }
  }
  throw new Error(`Could not take the lock ${lock}`);
}

export async function releaseDaemonLock(home: string): Promise<void> {
  const lock = daemonPaths(home).lock;
  const holder = Number((await readFile(lock, 'utf8').catch(() => '')).trim());
  if (holder === process.pid) await rm(lock, { force: true });
}
