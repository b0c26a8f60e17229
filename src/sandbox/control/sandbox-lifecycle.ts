/**
 * The entry points behind `labrun sandbox up|down|status`: start the daemon detached and relay its progress,
 * find it again from its state file, stop it (and any mariadbd it left behind), report what it holds.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SandboxConnection, SandboxOptions, SandboxStatus, SandboxUpOptions } from '../index.js';
import { parseFaultSpec } from '../api/fault-injection.js';
import type { SandboxStatusReport } from '../api/server.js';
import {
  daemonPaths,
  isProcessAlive,
  readDaemonFile,
  removeDaemonFile,
  type DaemonFile,
} from './daemon-files.js';
import { fileSize, logTail, relayProgress } from './daemon-log.js';
import { DEFAULT_LAB_STACK, SANDBOX_REGION } from './lab-stack.js';
import { isDaemonOf, serverPidsOf, terminate } from './process-table.js';
import { RegistryStore } from './registry-store.js';
import {
  readSandboxPasswordFile,
  sandboxHome,
  sandboxPasswordFile,
  writeSandboxPasswordFile,
} from './sandbox-env.js';

/** A failure the CLI reports as a plain message (no stack trace). */
export class SandboxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SandboxError';
  }
}

const ACCESS_KEY_ID = 'labrun';
const SECRET_ACCESS_KEY = 'labrun-sandbox';
const DEFAULT_PORT = 7306;
const DEFAULT_UP_TIMEOUT_MS = 20 * 60_000;
const STOP_TIMEOUT_MS = 60_000;

export async function findSandbox(opts: SandboxOptions = {}): Promise<SandboxConnection | undefined> {
  const home = sandboxHome(opts);
  const file = await readDaemonFile(home);
  if (!file || file.state !== 'ready' || !file.endpoint || !isProcessAlive(file.pid)) return undefined;
  if (!(await fetchStatus(file.endpoint))) return undefined;
  return connectionFrom(home, file);
}

export async function sandboxUp(opts: SandboxUpOptions): Promise<SandboxConnection> {
  const home = sandboxHome(opts);
  const progress = opts.onProgress ?? (() => undefined);
  await mkdir(home, { recursive: true });

  const running = await findSandbox({ home });
  if (running) {
    progress(`The sandbox is already running on ${running.endpoint}`);
    return running;
  }

  const paths = daemonPaths(home);
  let offset = await fileSize(paths.log);
  const current = await readDaemonFile(home);
  let daemon: { pid: number; exited: () => boolean };
  if (current?.state === 'starting' && isProcessAlive(current.pid)) {
    progress(`Waiting for the sandbox daemon that is already starting (pid ${current.pid})`);
    daemon = { pid: current.pid, exited: () => !isProcessAlive(current.pid) };
  } else {
    if (current) await removeDaemonFile(home);
    daemon = spawnDaemon(home, opts);
    progress(`Started the sandbox daemon (pid ${daemon.pid}); log: ${paths.log}`);
  }

  const deadline = Date.now() + (opts.timeoutMs ?? DEFAULT_UP_TIMEOUT_MS);
  for (;;) {
    offset = await relayProgress(paths.log, offset, progress);
    const file = await readDaemonFile(home);
    if (file?.pid === daemon.pid && file.state === 'ready') {
      await relayProgress(paths.log, offset, progress);
      return connectionFrom(home, file);
    }
    if (file?.pid === daemon.pid && file.state === 'failed') {
      throw new SandboxError(`The sandbox did not start: ${file.error ?? 'unknown error'}. See ${paths.log}`);
    }
    if (daemon.exited()) {
      await relayProgress(paths.log, offset, progress);
      const tail = await logTail(paths.log, 5);
      throw new SandboxError(
        `The sandbox daemon exited before it was ready. Last log lines:\n${tail}\n(full log: ${paths.log})`,
      );
    }
    if (Date.now() > deadline) {
      throw new SandboxError(
        `The sandbox was not ready after ${Math.round((opts.timeoutMs ?? DEFAULT_UP_TIMEOUT_MS) / 1000)} s; ` +
          `it is still starting (pid ${daemon.pid}). See ${paths.log}`,
      );
    }
    await sleep(200);
  }
}

export async function sandboxDown(
  opts: SandboxOptions & { purge?: boolean } = {},
): Promise<{ wasRunning: boolean }> {
  const home = sandboxHome(opts);
  const progress = opts.onProgress ?? (() => undefined);
  const paths = daemonPaths(home);
  const file = await readDaemonFile(home);
  const lockHolder = Number((await readFile(paths.lock, 'utf8').catch(() => '')).trim());
  const candidates = [
    ...new Set([file?.pid, lockHolder].filter((pid): pid is number => Number.isInteger(pid) && pid! > 0)),
  ];
  const daemons: number[] = [];
  for (const pid of candidates) if (await isDaemonOf(pid, home)) daemons.push(pid);

  for (const pid of daemons) {
    progress(`Stopping the sandbox daemon (pid ${pid})`);
    await terminate(pid, STOP_TIMEOUT_MS);
  }
  // Servers outlive a daemon that was killed outright; nothing of this home may keep running.
  for (const pid of await serverPidsOf(home)) {
    progress(`Stopping a leftover mariadbd (pid ${pid})`);
    await terminate(pid, 30_000);
  }
  await removeDaemonFile(home);
  await rm(paths.lock, { force: true });
  if (opts.purge) {
    progress(`Deleting ${home}`);
    await rm(home, { recursive: true, force: true });
  }
  return { wasRunning: daemons.length > 0 };
}

export async function sandboxStatus(opts: SandboxOptions = {}): Promise<SandboxStatus> {
  const home = sandboxHome(opts);
  const file = await readDaemonFile(home);
  if (file?.state === 'ready' && file.endpoint && isProcessAlive(file.pid)) {
    const report = await fetchStatus(file.endpoint);
    if (report) return { running: true, endpoint: file.endpoint, home, clusters: report.clusters };
  }
  // Not running: describe what the registry on disk holds.
  let clusters: SandboxStatus['clusters'] = [];
  try {
    const state = await new RegistryStore(home).load();
    clusters = await Promise.all(
      state.clusters.map(async (cluster) => ({
        id: cluster.id,
        status: cluster.status,
        endpoint: cluster.host,
        instances: state.instances
          .filter((instance) => instance.clusterId === cluster.id)
          .map((instance) => ({ id: instance.id, status: instance.status })),
        dataBytes: await clusterDiskBytes(home, cluster.id),
      })),
    );
  } catch {
    clusters = [];
  }
  return { running: false, home, clusters };
}

// ---------------------------------------------------------------- internals

async function connectionFrom(home: string, file: DaemonFile): Promise<SandboxConnection> {
  let dbPassword = await readSandboxPasswordFile(home);
  if (dbPassword === undefined) {
    // Deleted by hand while the daemon runs: the daemon always uses the lab stack's password; restore the file.
    dbPassword = DEFAULT_LAB_STACK.masterPassword;
    await writeSandboxPasswordFile(home, dbPassword);
  }
  return {
    endpoint: file.endpoint ?? '',
    region: file.region ?? SANDBOX_REGION,
    stackName: file.stackName ?? DEFAULT_LAB_STACK.stackName,
    accessKeyId: ACCESS_KEY_ID,
    secretAccessKey: SECRET_ACCESS_KEY,
    dbUser: file.dbUser ?? DEFAULT_LAB_STACK.masterUsername,
    dbPassword,
    dbPasswordFile: sandboxPasswordFile(home),
  };
}

function spawnDaemon(home: string, opts: SandboxUpOptions): { pid: number; exited: () => boolean } {
  const port = opts.port ?? envInteger('LABRUN_SANDBOX_PORT') ?? DEFAULT_PORT;
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new SandboxError(`Invalid sandbox port ${port}`);
  const tableSize = opts.tableSize ?? DEFAULT_LAB_STACK.tableSize;
  if (!Number.isInteger(tableSize) || tableSize < 1) {
    throw new SandboxError(`Invalid table size ${tableSize}: it must be a positive integer`);
  }
  const hostBase = opts.hostBase ?? process.env.LABRUN_SANDBOX_HOST_BASE ?? '127.0.1.1';
  // Tests inject API faults into a sandbox they start, e.g. LABRUN_SANDBOX_FAULTS=throttle=0.1,seed=7.
  const faults = process.env.LABRUN_SANDBOX_FAULTS ?? '';
  if (faults !== '') {
    try {
      parseFaultSpec(faults);
    } catch (error) {
      throw new SandboxError(`LABRUN_SANDBOX_FAULTS: ${(error as Error).message}`);
    }
  }
  const args = [
    ...daemonEntry(),
    '--home',
    home,
    '--port',
    String(port),
    '--table-size',
    String(tableSize),
    '--host-base',
    hostBase,
    ...(faults !== '' ? ['--faults', faults] : []),
  ];
  const logFd = openSync(daemonPaths(home).log, 'a');
  try {
    const child = spawn(process.execPath, args, {
      detached: true,
      stdio: ['ignore', logFd, logFd],
      cwd: home,
    });
    let exited = false;
    child.once('exit', () => (exited = true));
    child.once('error', () => (exited = true));
    child.unref();
    if (child.pid === undefined)
      throw new SandboxError(`Could not start the sandbox daemon (${process.execPath})`);
    const pid = child.pid;
    return { pid, exited: () => exited || !isProcessAlive(pid) };
  } finally {
    closeSync(logFd);
  }
}

/** `node dist/sandbox/daemon.js`, or the TypeScript source through tsx when labrun itself runs from source. */
function daemonEntry(): string[] {
  const here = fileURLToPath(import.meta.url);
  const sandboxDir = path.dirname(path.dirname(here));
  if (here.endsWith('.ts'))
    return ['--import', import.meta.resolve('tsx'), path.join(sandboxDir, 'daemon.ts')];
  return [path.join(sandboxDir, 'daemon.js')];
}

async function fetchStatus(endpoint: string): Promise<SandboxStatusReport | undefined> {
  try {
    const response = await fetch(`${endpoint}/labrun/status`, { signal: AbortSignal.timeout(5000) });
    if (!response.ok) return undefined;
    return (await response.json()) as SandboxStatusReport;
  } catch {
    return undefined;
  }
}

/** Bytes under the cluster's directory, `<home>/clusters/<id>/` in the data plane's layout. */
async function clusterDiskBytes(home: string, clusterId: string): Promise<number> {
  return directorySize(path.join(home, 'clusters', clusterId));
}

async function directorySize(dir: string): Promise<number> {
  let total = 0;
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) total += await directorySize(full);
    else if (entry.isFile()) total += (await stat(full).catch(() => ({ size: 0 }))).size;
  }
  return total;
}

function envInteger(name: string): number | undefined {
  const value = process.env[name];
  if (value === undefined || value === '') return undefined;
  return Number(value);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
