/**
 * The processes of a sandbox home, found through /proc: its daemon (checked by command line, so a reused pid
 * is never mistaken for it) and every mariadbd whose command line points into the home, including servers
 * left behind by a daemon that was killed outright.
 */
import { readdir, readFile, realpath } from 'node:fs/promises';
import path from 'node:path';
import { isProcessAlive } from './daemon-files.js';

async function processArgs(pid: number): Promise<string[] | undefined> {
  try {
    const raw = await readFile(`/proc/${pid}/cmdline`, 'utf8');
    return raw.split('\0').filter(Boolean);
  } catch {
    return undefined;
  }
}

/** Guards against pid reuse: only a live labrun daemon started for this very home counts. */
export async function isDaemonOf(pid: number, home: string): Promise<boolean> {
  if (!isProcessAlive(pid)) return false;
  const args = await processArgs(pid);
  if (!args) return false;
  const at = args.indexOf('--home');
  return at >= 0 && args[at + 1] === home && args.some((arg) => /daemon\.(js|ts)$/.test(arg));
}

/** Every live mariadbd whose command line points into this home. */
export async function serverPidsOf(home: string): Promise<number[]> {
  const roots = new Set([home, await realpath(home).catch(() => home)]);
  const pids: number[] = [];
  for (const entry of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid) continue;
    const args = await processArgs(pid);
    if (!args?.length) continue;
    const exe = path.basename(args[0] ?? '');
    if (exe !== 'mariadbd' && exe !== 'mysqld') continue;
    if (args.some((arg) => [...roots].some((root) => arg.includes(root + path.sep) || arg.endsWith(root)))) {
      if (isProcessAlive(pid)) pids.push(pid);
    }
  }
  return pids;
}

/** SIGTERM, then SIGKILL if the process is still there after `timeoutMs`. */
export async function terminate(pid: number, timeoutMs: number): Promise<void> {
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  const deadline = Date.now() + timeoutMs;
  while (isProcessAlive(pid)) {
    if (Date.now() > deadline) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        return;
      }
      await sleep(200);
      return;
    }
    await sleep(100);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
