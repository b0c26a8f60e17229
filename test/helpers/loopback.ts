/**
 * Loopback addresses and the mariadbd processes on them, for tests that start servers of their own: a free
 * address in a test's own range, and the servers a sandbox home still has running.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** An address `<prefix>.<from>`..`<prefix>.<to>` (e.g. prefix 127.0.33) whose port 3306 is free now. */
export async function freeHost(prefix: string, from: number, to: number): Promise<string> {
  for (let last = from; last <= to; last++) {
    const host = `${prefix}.${last}`;
    const free = await new Promise<boolean>((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(false));
      server.listen({ host, port: 3306, exclusive: true }, () => server.close(() => resolve(true)));
    });
    if (free) return host;
  }
  throw new Error(`no free address in ${prefix}.${from}-${to}`);
}

/** Pids of mariadbd processes whose command line points into `home`. */
export function serversOf(home: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (cmdline.includes('mariadbd') && cmdline.includes(home)) pids.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return pids;
}
