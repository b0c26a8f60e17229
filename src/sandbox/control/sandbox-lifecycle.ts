/**
 * The entry points behind `labrun sandbox up|down|status`: start the daemon detached and relay its progress,
 * find it again from its state file, stop it (and any mariadbd it left behind), report what it holds.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { readdir, readFile, realpath, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { packageRoot } from '../../core/package-root.js';
import type { SandboxConnection, SandboxOptions, SandboxStatus, SandboxUpOptions } from '../index.js';
import { parseFaultSpec } from '../api/fault-injection.js';
import type { SandboxStatusReport } from '../api/server.js';
import {
  DAEMON_LOCKED_EXIT,
  daemonPaths,
  isProcessAlive,
  lockHolder,
  readDaemonFile,
  removeDaemonFile,
  type DaemonFile,
} from './daemon-files.js';
import { fileSize, logTail, relayProgress } from './daemon-log.js';
import { DEFAULT_LAB_STACK, SANDBOX_REGION } from './lab-stack.js';
import { isDaemonOf, serverPidsOf, terminate } from './process-table.js';
import { RegistryStore } from './registry-store.js';
import { stackTableSize } from './table-size.js';
import { claimSandboxHome, requireSandboxHome, SandboxError } from './sandbox-home.js';
import {
  readSandboxPasswordFile,
  sandboxHome,
  sandboxPasswordFile,
  writeSandboxPasswordFile,
} from './sandbox-env.js';

export { SandboxError } from './sandbox-home.js';

const ACCESS_KEY_ID = 'labrun';
const SECRET_ACCESS_KEY = 'labrun-sandbox';
const DEFAULT_PORT = 7306;
const DEFAULT_UP_TIMEOUT_MS = 20 * 60_000;
const STOP_TIMEOUT_MS = 60_000;
/** How many daemons one `up` starts at most when each finds another one holding the home. */
const MAX_SPAWNS = 3;

/** A daemon `up` waits for: one it started, or one another `up` started. */
interface WatchedDaemon {
  pid: number;
  exited(): boolean;
  /** The exit code, once known (only for a daemon this process started). */
  exitCode(): Promise<number | null | undefined>;
}

export async function findSandbox(opts: SandboxOptions = {}): Promise<SandboxConnection | undefined> {
  const home = sandboxHome(opts);
  const file = await readDaemonFile(home);
  if (!file || file.state !== 'ready' || !file.endpoint || !isProcessAlive(file.pid)) return undefined;
  if (!(await fetchStatus(file.endpoint))) return undefined;
  return connectionFrom(home, file);
}

/**
 * Brings the sandbox up, or finds it up. Two `up` at once share one daemon: the second one waits for the
 * daemon the first one started (found by its state file or its lock), and a daemon that finds the home's lock
 * taken exits at once with DAEMON_LOCKED_EXIT, after which its `up` waits for the one holding it.
 */
export async function sandboxUp(opts: SandboxUpOptions): Promise<SandboxConnection> {
  const home = sandboxHome(opts);
  const progress = opts.onProgress ?? (() => undefined);
  const connection = await bringUp(opts);
  if (opts.tableSize === undefined) return connection;
  const loaded = await loadedTableSize(home, connection.stackName);
  if (loaded === undefined || loaded === opts.tableSize) return connection;
  if (!opts.reload) {
    throw new SandboxError(
      `the sandbox's sbtest1 holds ${loaded} rows, not the ${opts.tableSize} asked for; it is left as it is ` +
        `(runs on it read tableSize=${loaded} from its stack). To reload it with ${opts.tableSize} rows: ` +
        `labrun sandbox up --table-size ${opts.tableSize} --reload`,
      true,
    );
  }
  // The daemon reloads at start (daemon.ts --reload): a running one is restarted for it.
  progress(`sbtest1 holds ${loaded} rows: restarting the sandbox to reload it with ${opts.tableSize}`);
  await sandboxDown({ home, onProgress: progress });
  const reloaded = await bringUp(opts);
  const now = await loadedTableSize(home, reloaded.stackName);
  if (now !== opts.tableSize) {
    throw new SandboxError(`sbtest1 was not reloaded: it holds ${now ?? 'an unknown number of'} rows`);
  }
  return reloaded;
}

/** The rows the sandbox's stack says sbtest1 holds (its `tableSize` output), from the registry on disk. */
async function loadedTableSize(home: string, stackName: string): Promise<number | undefined> {
  const state = await new RegistryStore(home).load();
  const stack = state.stacks.find((s) => s.name === stackName);
  return stack ? stackTableSize(stack) : undefined;
}

async function bringUp(opts: SandboxUpOptions): Promise<SandboxConnection> {
  const home = sandboxHome(opts);
  const progress = opts.onProgress ?? (() => undefined);
  const strict = requestedStrict(opts);
  await claimSandboxHome(home, progress);
  const paths = daemonPaths(home);
  const timeoutMs = opts.timeoutMs ?? DEFAULT_UP_TIMEOUT_MS;
  const deadline = Date.now() + timeoutMs;
  let offset = await fileSize(paths.log);
  let spawned = 0;
  for (;;) {
    const running = await findSandbox({ home });
    if (running) {
      progress(
        `The sandbox is already running on ${running.endpoint}${running.strict ? ' (strict mode)' : ''}`,
      );
      return sameMode(running, strict, home);
    }
    let daemon: WatchedDaemon;
    const other = await startingDaemon(home);
    if (other !== undefined) {
      progress(`Waiting for the sandbox daemon that is already starting (pid ${other})`);
      daemon = { pid: other, exited: () => !isProcessAlive(other), exitCode: async () => undefined };
    } else {
      if (spawned >= MAX_SPAWNS) {
        throw new SandboxError(
          `Another sandbox daemon kept holding ${home} but none became ready. See ${paths.log}`,
        );
      }
      spawned++;
      daemon = spawnDaemon(home, opts, strict ?? false);
      progress(`Started the sandbox daemon (pid ${daemon.pid}); log: ${paths.log}`);
    }

    for (;;) {
      offset = await relayProgress(paths.log, offset, progress);
      const file = await readDaemonFile(home);
      if (file?.pid === daemon.pid && file.state === 'ready') {
        await relayProgress(paths.log, offset, progress);
        return sameMode(await connectionFrom(home, file), strict, home);
      }
      if (file?.pid === daemon.pid && file.state === 'failed') {
        throw new SandboxError(
          `The sandbox did not start: ${file.error ?? 'unknown error'}. See ${paths.log}`,
        );
      }
      if (daemon.exited()) {
        // Another daemon took the home first (a second `up` at the same moment): wait for that one instead.
        if ((await daemon.exitCode()) === DAEMON_LOCKED_EXIT) break;
        await relayProgress(paths.log, offset, progress);
        const tail = await logTail(paths.log, 5);
        throw new SandboxError(
          `The sandbox daemon exited before it was ready. Last log lines:\n${tail}\n(full log: ${paths.log})`,
        );
      }
      if (Date.now() > deadline) {
        throw new SandboxError(
          `The sandbox was not ready after ${Math.round(timeoutMs / 1000)} s; ` +
            `it is still starting (pid ${daemon.pid}). See ${paths.log}`,
        );
      }
      await sleep(200);
    }
  }
}

/**
 * The mode `up` asks for: the option, else $LABRUN_SANDBOX_STRICT (`1`/`true` or `0`/`false`); undefined when
 * neither says, which takes a running sandbox as it is and starts a lenient one.
 */
function requestedStrict(opts: SandboxUpOptions): boolean | undefined {
  if (opts.strict !== undefined) return opts.strict;
  const value = process.env.LABRUN_SANDBOX_STRICT;
  if (value === undefined || value === '') return undefined;
  if (value === '1' || value.toLowerCase() === 'true') return true;
  if (value === '0' || value.toLowerCase() === 'false') return false;
  throw new SandboxError(`LABRUN_SANDBOX_STRICT must be 1 or 0, not ${JSON.stringify(value)}`, true);
}

/** The running sandbox, unless it runs in the other mode than the one asked for (read only at its start). */
function sameMode(
  connection: SandboxConnection,
  strict: boolean | undefined,
  home: string,
): SandboxConnection {
  if (strict === undefined || strict === connection.strict) return connection;
  const mode = (s: boolean) => (s ? 'strict' : 'lenient');
  throw new SandboxError(
    `The sandbox in ${home} is already running in ${mode(connection.strict)} mode, and ${mode(strict)} mode ` +
      `was asked for; the mode is set when the sandbox starts. Stop it first (labrun sandbox down), then ` +
      `bring it up again${strict ? ' with --strict' : ' without --strict (and LABRUN_SANDBOX_STRICT unset)'}.`,
    true,
  );
}

/** A live daemon of this home that is not ready yet: the one its state file or its lock names. */
async function startingDaemon(home: string): Promise<number | undefined> {
  const file = await readDaemonFile(home);
  if (file && file.state !== 'failed' && (await isDaemonOf(file.pid, home))) return file.pid;
  const holder = await lockHolder(home);
  if (holder !== undefined && (await isDaemonOf(holder, home))) return holder;
  return undefined;
}

/**
 * Stops the daemon and every server of the home; with `purge`, deletes the home. Only a directory that
 * carries the sandbox marker is touched: a missing or empty one holds nothing to do, anything else is refused.
 */
export async function sandboxDown(
  opts: SandboxOptions & { purge?: boolean } = {},
): Promise<{ wasRunning: boolean; deleted: boolean }> {
  const home = sandboxHome(opts);
  const progress = opts.onProgress ?? (() => undefined);
  if (!(await requireSandboxHome(home, opts.purge ? 'delete it' : 'stop a sandbox there'))) {
    return { wasRunning: false, deleted: false };
  }
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
    // A home that is a symbolic link: the directory it points to is the one that carries the marker.
    const real = await realpath(home);
    progress(`Deleting ${real === home ? home : `${real} (through ${home})`}`);
    await rm(real, { recursive: true, force: true });
    await rm(home, { force: true });
  }
  return { wasRunning: daemons.length > 0, deleted: Boolean(opts.purge) };
}

/**
 * What the sandbox holds: from the running daemon, else from registry.json. Clusters with data on disk that
 * the registry does not list are reported as `unregistered` (they are left alone, never dropped or rebuilt).
 */
export async function sandboxStatus(opts: SandboxOptions = {}): Promise<SandboxStatus> {
  const home = sandboxHome(opts);
  const file = await readDaemonFile(home);
  if (file?.state === 'ready' && file.endpoint && isProcessAlive(file.pid)) {
    const report = await fetchStatus(file.endpoint);
    if (report) {
      const unregistered = await unregisteredClusters(home, new Set(report.clusters.map((c) => c.id)));
      const tableSize = await loadedTableSize(home, file.stackName ?? DEFAULT_LAB_STACK.stackName).catch(
        () => undefined,
      );
      return {
        running: true,
        endpoint: file.endpoint,
        strict: file.strict === true,
        home,
        clusters: report.clusters,
        unregistered,
        ...(tableSize === undefined ? {} : { tableSize }),
      };
    }
  }
  // Not running: describe what the registry on disk holds.
  let state;
  try {
    state = await new RegistryStore(home).load();
  } catch (error) {
    throw new SandboxError(`Cannot read the sandbox's registry: ${(error as Error).message}`);
  }
  const clusters = await Promise.all(
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
  const unregistered = await unregisteredClusters(home, new Set(clusters.map((c) => c.id)));
  const stack = state.stacks.find((s) => s.name === DEFAULT_LAB_STACK.stackName);
  const tableSize = stack ? stackTableSize(stack) : undefined;
  return { running: false, home, clusters, unregistered, ...(tableSize === undefined ? {} : { tableSize }) };
}

/** Clusters with data under `<home>/clusters/` (a `cluster.json`) that are not among `registered`. */
async function unregisteredClusters(
  home: string,
  registered: ReadonlySet<string>,
): Promise<SandboxStatus['unregistered']> {
  const dir = path.join(home, 'clusters');
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const found: SandboxStatus['unregistered'] = [];
  for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    if (!entry.isDirectory() || registered.has(entry.name)) continue;
    const clusterDir = path.join(dir, entry.name);
    const hasRecord = await stat(path.join(clusterDir, 'cluster.json')).then(
      () => true,
      () => false,
    );
    if (hasRecord)
      found.push({ id: entry.name, dir: clusterDir, dataBytes: await directorySize(clusterDir) });
  }
  return found;
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
    strict: file.strict === true,
  };
}

function spawnDaemon(home: string, opts: SandboxUpOptions, strict: boolean): WatchedDaemon {
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
    ...(strict ? ['--strict'] : []),
    ...(opts.reload ? ['--reload'] : []),
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
    const code = new Promise<number | null>((resolve) => {
      child.once('exit', (exitCode) => {
        exited = true;
        resolve(exitCode);
      });
      child.once('error', () => {
        exited = true;
        resolve(null);
      });
    });
    child.unref();
    if (child.pid === undefined)
      throw new SandboxError(`Could not start the sandbox daemon (${process.execPath})`);
    const pid = child.pid;
    return {
      pid,
      exited: () => exited || !isProcessAlive(pid),
      // The process may be gone a moment before its exit event arrives.
      exitCode: () => Promise.race([code, sleep(2000).then(() => undefined)]),
    };
  } finally {
    closeSync(logFd);
  }
}

/**
 * `node dist/sandbox/daemon.js` (from tsc's output or the CLI bundle alike), or the TypeScript source through
 * tsx when labrun itself runs from source.
 */
function daemonEntry(): string[] {
  const root = packageRoot(import.meta.url);
  if (fileURLToPath(import.meta.url).endsWith('.ts'))
    return ['--import', import.meta.resolve('tsx'), path.join(root, 'src', 'sandbox', 'daemon.ts')];
  return [path.join(root, 'dist', 'sandbox', 'daemon.js')];
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
