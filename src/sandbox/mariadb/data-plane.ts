/**
 * The sandbox's data plane: every cluster is one real mariadbd with its own directory, binlogs and
 * timeline of snapshots (see layout.ts, cluster-record.ts, timeline.ts, materialize.ts).
 *
 * - create: mariadb-install-db (master user and database included) into the first snapshot, then start.
 * - clone: a hot mariadb-backup copy of the running source becomes the target's first snapshot; the target
 *   stays stopped and gets its live data directory (a copy of that snapshot) when first started.
 * - backtrack: stop, keep the live directory as the epoch's end (renamed into a plain snapshot, not read),
 *   write State(T) out (the snapshot it is, or a snapshot with binlog replayed into it, which is the next
 *   epoch's base) and start again if it ran. Then history outside the backtrack window is deleted and
 *   unreferenced chunks with it. Plain snapshots are sealed into the cluster's chunk store once the cluster
 *   is quiet (quiet-sealer.ts), so disk grows with what changed, not with the number of backtracks, and no
 *   seal competes with the lab's own work or is spent on a clone the lab deletes right after.
 * - restart (fault injection): stop or kill the server and start it again on the same files. The timeline
 *   needs no new epoch: the cluster holds the same committed state before and after, and its binlog simply
 *   goes on in a new file of the same epoch. A crash may leave the old file ending in a torn event or an
 *   unfinished transaction: the binlog scan stops before a torn event; mariadb-binlog reports it and goes on
 *   to the next file, whose server-start event makes it roll the unfinished transaction back, as crash
 *   recovery did in the live data. So a replay across the crash rebuilds what the cluster held.
 */
import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { listBinlogFiles, tallyBinlog, type BinlogTally } from './binlog-scan.js';
import {
  currentEpoch,
  publicSpec,
  readClusterRecord,
  writeClusterRecord,
  type ClusterRecord,
  type EpochRecord,
} from './cluster-record.js';
import { DataPlaneError } from './errors.js';
import { copyDirectory, diskUsage, exists } from './fs-utils.js';
import { hotCopy } from './hot-copy.js';
import { installDataDirectory } from './install.js';
import { KeyedMutex } from '../keyed-mutex.js';
import {
  clusterPaths,
  clustersDir,
  epochBinlogBasename,
  epochBinlogDir,
  isValidClusterId,
  snapshotDir,
  type ClusterPaths,
} from './layout.js';
import { planMaterialize, replayInto } from './materialize.js';
import {
  findRunningServer,
  removeServerLeftovers,
  startMariaDbServer,
  type MariaDbServer,
  type StopOptions,
} from './server.js';
import { QuietSealer } from './quiet-sealer.js';
import { Snapshots } from './snapshots.js';
import {
  earliestBacktrackSecond,
  epochAt,
  floorSecond,
  resolveBacktrackTarget,
  retainedEpochs,
  secondToDate,
} from './timeline.js';
import { defaultTools, type MariaDbTools } from './tools.js';
import type {
  BacktrackOptions,
  BacktrackOutcome,
  ClusterDataInfo,
  ClusterStorageSpec,
  CloneOptions,
  DataPlane,
} from './types.js';

export interface RestartOptions {
  /** Kill the server (SIGKILL) instead of shutting it down, so that it comes back through crash recovery. */
  crash?: boolean;
}

export interface RestartOutcome {
  /** The server that was stopped or killed. */
  previousPid: number;
  /** The server that serves now. */
  pid: number;
  /** How long the cluster took no connections: from the stop or kill until the new server served. */
  downMs: number;
}

export interface MariaDbDataPlaneOptions {
  /** Directory holding every cluster's files (`<home>/clusters/<id>/`). */
  home: string;
  /** Receives one human-readable line per notable action (server started, backtrack done, ...). */
  log?: (line: string) => void;
  tools?: MariaDbTools;
  /** How long a mariadbd start may take (default 30 s). */
  startupTimeoutMs?: number;
  /** How long a cluster must be quiet before its plain snapshots are sealed (default 3 s). */
  sealWhenQuietMs?: number;
}

const FIRST_SERVER_ID = 101;
/**
 * Plain snapshots a cluster may hold before a backtrack seals the oldest at once (queued on the cluster's
 * lock right after it) instead of when the cluster is quiet: a cluster kept busy through many backtracks
 * then holds its live directory and at most this many plain copies. Three is what a lab's two backtracks
 * leave (the first copy, the end state, the replayed base), so a lab pays no seal.
 */
const MAX_PLAIN_SNAPSHOTS = 3;

export function createMariaDbDataPlane(options: MariaDbDataPlaneOptions): MariaDbDataPlane {
  return new MariaDbDataPlane(options);
}

export class MariaDbDataPlane implements DataPlane {
  private readonly home: string;
  private readonly log: (line: string) => void;
  private readonly tools: MariaDbTools;
  private readonly startupTimeoutMs: number | undefined;
  private readonly servers = new Map<string, MariaDbServer>();
  private readonly locks = new KeyedMutex();
  private readonly tallies = new Map<string, BinlogTally>();
  /**
   * Bytes of each cluster's chunk store and plain snapshots, measured once after they last changed (only
   * backtracks, seals and deletes change them): a plain snapshot is a whole data directory, and
   * DescribeDBClusters (polled by every waiter, ten times a second on the sandbox) asks for the cluster's
   * size each time.
   */
  private readonly storeBytes = new Map<string, number>();
  private storeGeneration = 0;
  private nextServerId = FIRST_SERVER_ID;
  private ready: Promise<void> | undefined;
  private readonly sealer: QuietSealer;
  /** Binlog events carry the servers' wall-clock seconds, so the timeline is kept in that clock too. */
  private readonly now = (): Date => new Date();

  constructor(options: MariaDbDataPlaneOptions) {
    this.home = options.home;
    this.log = options.log ?? (() => undefined);
    this.tools = options.tools ?? defaultTools();
    this.startupTimeoutMs = options.startupTimeoutMs;
    this.sealer = new QuietSealer({
      ...(options.sealWhenQuietMs !== undefined ? { quietMs: options.sealWhenQuietMs } : {}),
      serverPid: (id) => {
        const server = this.servers.get(id);
        return server?.isRunning() ? server.pid : undefined;
      },
      busy: (id) => this.locks.busy(id),
      sealOne: (id) => this.locks.run([id], () => this.sealOneLocked(id)),
      log: this.log,
    });
  }

  async createCluster(spec: ClusterStorageSpec): Promise<void> {
    await this.init();
    checkId(spec.id);
    await this.locks.run([spec.id], async () => {
      const paths = await this.claimNewCluster(spec.id);
      try {
        await mkdir(paths.snapshots, { recursive: true });
        const started = Date.now();
        await installDataDirectory(
          snapshotDir(paths, 'e0-base'),
          spec,
          join(paths.dir, 'bootstrap.sql'),
          this.tools,
        );
        const record: ClusterRecord = {
          version: 1,
          spec: publicSpec(spec),
          serverId: this.allocateServerId(),
          createdAt: this.now().toISOString(),
          epochs: [
            { index: 0, startedAt: this.now().toISOString(), base: 'e0-base', origin: { kind: 'created' } },
          ],
        };
        await writeClusterRecord(paths.record, record);
        this.log(`cluster ${spec.id}: data directory initialised in ${Date.now() - started} ms`);
        await this.startLocked(spec.id);
      } catch (error) {
        await this.discard(spec.id, paths);
        throw error;
      }
    });
  }

  async cloneCluster(
    sourceId: string,
    target: ClusterStorageSpec,
    options: CloneOptions = {},
  ): Promise<{ copiedAt: Date }> {
    await this.init();
    checkId(target.id);
    return this.locks.run([sourceId, target.id], async () => {
      const source = await this.record(sourceId);
      const sourcePaths = clusterPaths(this.home, sourceId);
      const paths = await this.claimNewCluster(target.id);
      try {
        await mkdir(paths.snapshots, { recursive: true });
        const base = snapshotDir(paths, 'e0-base');
        const started = Date.now();
        let epoch: EpochRecord;
        let how = '';
        if (options.restoreTo !== undefined) {
          epoch = await this.copyAsOf(source, sourcePaths, paths, options.restoreTo);
        } else if (this.isRunning(sourceId)) {
          const copy = await hotCopy({
            sourceConfigFile: sourcePaths.configFile,
            sourceSocket: sourcePaths.socket,
            targetDir: base,
            tools: this.tools,
          });
          how = ` (backup ${copy.timings.backupMs} ms, prepare ${copy.timings.prepareMs} ms)`;
          epoch = {
            index: 0,
            startedAt: copy.copiedAt.toISOString(),
            base: 'e0-base',
            origin: { kind: 'copy', sourceId, ...(copy.binlog ? { sourceBinlog: copy.binlog } : {}) },
          };
        } else {
          // A stopped server's live directory is consistent as it is; with none, the snapshot it would start from.
          if (await exists(sourcePaths.data)) await copyDirectory(sourcePaths.data, base);
          else {
            const snapshots = new Snapshots(sourcePaths);
            await snapshots.materialize(await liveSnapshot(snapshots, currentEpoch(source)), base);
          }
          epoch = {
            index: 0,
            startedAt: this.now().toISOString(),
            base: 'e0-base',
            origin: { kind: 'copy', sourceId },
          };
        }
        const record: ClusterRecord = {
          version: 1,
          spec: publicSpec(target),
          serverId: this.allocateServerId(),
          createdAt: this.now().toISOString(),
          epochs: [epoch],
        };
        await writeClusterRecord(paths.record, record);
        this.log(`cluster ${target.id}: copied from ${sourceId} in ${Date.now() - started} ms${how}`);
        return { copiedAt: new Date(epoch.startedAt) };
      } catch (error) {
        await this.discard(target.id, paths);
        throw error;
      }
    });
  }

  async start(id: string): Promise<void> {
    await this.init();
    await this.locks.run([id], () => this.startLocked(id));
  }

  /** Seals the cluster's plain snapshots now (they are sealed anyway once it is quiet). */
  async settle(id: string): Promise<void> {
    await this.init();
    this.sealer.forget(id);
    // A cluster deleted meanwhile has no plain snapshot left: the loop ends at once.
    await this.locks.run([id], async () => {
      while (await this.sealOneLocked(id));
    });
  }

  async stop(id: string): Promise<void> {
    await this.init();
    await this.locks.run([id], async () => {
      await this.record(id);
      await this.stopLocked(id);
    });
  }

  async backtrack(id: string, to: Date, options: BacktrackOptions = {}): Promise<BacktrackOutcome> {
    await this.init();
    return this.locks.run([id], async () => {
      try {
        return await this.backtrackLocked(id, to, options);
      } finally {
        this.storeChanged(id);
      }
    });
  }

  /**
   * Stops the cluster's server and starts it again on the same files, under the cluster's lock, so never in
   * the middle of a clone, backtrack or delete. With `crash` the server is killed outright (SIGKILL) and its
   * next start runs InnoDB crash recovery; connections are refused until it serves again. Resolves undefined
   * when the cluster has no running server, since there is nothing to restart.
   */
  async restart(id: string, options: RestartOptions = {}): Promise<RestartOutcome | undefined> {
    await this.init();
    return this.locks.run([id], () => this.restartLocked(id, options));
  }

  async destroy(id: string): Promise<void> {
    await this.init();
    this.sealer.forget(id);
    await this.locks.run([id], async () => {
      const paths = clusterPaths(this.home, id);
      await this.stopLocked(id);
      await this.discard(id, paths);
    });
  }

  async info(id: string): Promise<ClusterDataInfo> {
    await this.init();
    const record = await this.record(id);
    const paths = clusterPaths(this.home, id);
    const server = this.servers.get(id);
    const running = server?.isRunning() ?? false;
    const [otherBytes, storeBytes, changeRecords] = await Promise.all([
      diskUsage(paths.dir, new Set([paths.store, paths.snapshots])),
      this.storeUsage(id, paths),
      this.countChangeRecords(paths, record),
    ]);
    const dataBytes = otherBytes + storeBytes;
    return {
      id,
      running,
      dataBytes,
      earliestBacktrackTime: secondToDate(earliestBacktrackSecond(record)),
      changeRecords,
      ...(running && server ? { pid: server.pid } : {}),
    };
  }

  async list(): Promise<string[]> {
    await this.init();
    const ids: string[] = [];
    for (const id of await this.clusterDirNames()) {
      if (await exists(clusterPaths(this.home, id).record)) ids.push(id);
    }
    return ids.sort();
  }

  async shutdown(): Promise<void> {
    await this.init();
    this.sealer.close();
    await Promise.all([...this.servers.keys()].map((id) => this.locks.run([id], () => this.stopLocked(id))));
  }

  // ------------------------------------------------------------------------------------------ internals

  /** Once per data plane: adopt servers a previous owner left running, tidy what a crash left behind. */
  private init(): Promise<void> {
    this.ready ??= this.adoptLeftovers();
    return this.ready;
  }

  private async adoptLeftovers(): Promise<void> {
    await mkdir(clustersDir(this.home), { recursive: true });
    for (const id of await this.clusterDirNames()) {
      const paths = clusterPaths(this.home, id);
      let record: ClusterRecord;
      try {
        record = await readClusterRecord(paths.record);
      } catch {
        continue;
      }
      this.nextServerId = Math.max(this.nextServerId, record.serverId + 1);
      // A replay server only lives inside one backtrack; one still running lost its owner mid-way.
      const replay = await findRunningServer(paths.replayConfigFile, paths.replayPidFile, paths.replaySocket);
      if (replay) {
        await replay.stop({ skipFlush: true });
        this.log(`cluster ${id}: stopped the replay server (pid ${replay.pid}) of an interrupted backtrack`);
      }
      await rm(paths.work, { recursive: true, force: true });
      const server = await findRunningServer(paths.configFile, paths.pidFile, paths.socket);
      if (server) {
        this.servers.set(id, server);
        this.log(`cluster ${id}: adopted running mariadbd (pid ${server.pid})`);
      } else {
        await removeServerLeftovers(paths.pidFile, paths.socket);
      }
      // Plain snapshots an earlier owner did not get to seal.
      if ((await new Snapshots(paths).plainNames()).length > 0) this.sealer.watch(id);
    }
  }

  private async clusterDirNames(): Promise<string[]> {
    try {
      const entries = await readdir(clustersDir(this.home), { withFileTypes: true });
      return entries.filter((entry) => entry.isDirectory()).map((entry) => entry.name);
    } catch {
      return [];
    }
  }

  private async record(id: string): Promise<ClusterRecord> {
    const notFound = (): DataPlaneError =>
      new DataPlaneError('ClusterNotFound', `Cluster ${id} has no data in ${clustersDir(this.home)}.`);
    if (!isValidClusterId(id)) throw notFound();
    try {
      return await readClusterRecord(clusterPaths(this.home, id).record);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw notFound();
      throw error;
    }
  }

  /** The directory for a new cluster, clearing what an interrupted create or clone left there. */
  private async claimNewCluster(id: string): Promise<ClusterPaths> {
    const paths = clusterPaths(this.home, id);
    if (await exists(paths.record)) {
      throw new DataPlaneError('ClusterAlreadyExists', `Cluster ${id} already has data in ${paths.dir}.`);
    }
    await rm(paths.dir, { recursive: true, force: true });
    await mkdir(paths.dir, { recursive: true });
    return paths;
  }

  private async discard(id: string, paths: ClusterPaths): Promise<void> {
    const server = this.servers.get(id);
    if (server) {
      this.servers.delete(id);
      await server.stop();
    }
    await rm(paths.dir, { recursive: true, force: true });
    this.storeChanged(id);
    await removeServerLeftovers(paths.pidFile, paths.socket);
    for (const file of this.tallies.keys()) if (file.startsWith(paths.dir + '/')) this.tallies.delete(file);
  }

  private async storeUsage(id: string, paths: ClusterPaths): Promise<number> {
    const known = this.storeBytes.get(id);
    if (known !== undefined) return known;
    const generation = this.storeGeneration;
    const bytes = (await diskUsage(paths.store)) + (await diskUsage(paths.snapshots));
    // Kept only if no operation that changes a store ended meanwhile.
    if (generation === this.storeGeneration) this.storeBytes.set(id, bytes);
    return bytes;
  }

  /**
   * Seals the cluster's first plain snapshot into its store and removes the directory, if it has one;
   * resolves whether any plain snapshot is left. Runs under the cluster's lock.
   */
  private async sealOneLocked(id: string): Promise<boolean> {
    const paths = clusterPaths(this.home, id);
    const snapshots = new Snapshots(paths);
    const [name, ...rest] = await snapshots.plainNames();
    if (name === undefined) return false;
    const started = Date.now();
    await snapshots.pack(name);
    this.storeChanged(id);
    this.log(`cluster ${id}: snapshot ${name} sealed in ${Date.now() - started} ms`);
    return rest.length > 0;
  }

  /** Seals the oldest plain snapshots down to MAX_PLAIN_SNAPSHOTS, as the next task holding the cluster's lock. */
  private sealExcessLater(id: string): void {
    void this.locks
      .run([id], async () => {
        // A cluster deleted meanwhile has no plain snapshot left.
        const snapshots = new Snapshots(clusterPaths(this.home, id));
        while ((await snapshots.plainNames()).length > MAX_PLAIN_SNAPSHOTS) await this.sealOneLocked(id);
      })
      .catch((error: unknown) => {
        this.log(
          `cluster ${id}: sealing plain snapshots failed (${error instanceof Error ? error.message : String(error)}); tried again when the cluster is quiet`,
        );
      });
  }

  /** Forgets the measured size of a cluster's chunk store, once an operation has changed it. */
  private storeChanged(id: string): void {
    this.storeGeneration++;
    this.storeBytes.delete(id);
  }

  private allocateServerId(): number {
    return this.nextServerId++;
  }

  private isRunning(id: string): boolean {
    return this.servers.get(id)?.isRunning() ?? false;
  }

  private async startLocked(id: string): Promise<void> {
    const record = await this.record(id);
    if (this.isRunning(id)) return;
    const paths = clusterPaths(this.home, id);
    const orphan = await findRunningServer(paths.configFile, paths.pidFile, paths.socket);
    if (orphan) {
      // Started by an earlier owner of this home after this data plane looked: it is this cluster's server.
      this.servers.set(id, orphan);
      return;
    }
    const epoch = currentEpoch(record);
    if (!(await exists(paths.data))) {
      // The live directory of an epoch is made on its first start, so clones and rewinds of stopped
      // clusters write their data once, not twice. A plain snapshot is sealed and then becomes the live
      // directory itself; a sealed one is written out of the store.
      const snapshots = new Snapshots(paths);
      const name = await liveSnapshot(snapshots, epoch);
      const staging = `${paths.data}.staging`;
      await rm(staging, { recursive: true, force: true });
      const packing = Date.now();
      const plain = await snapshots.plain(name);
      if (plain !== undefined) {
        // Copied; the plain snapshot is sealed once the cluster is quiet.
        await copyDirectory(plain, staging);
        this.log(`cluster ${id}: data directory copied from snapshot ${name} in ${Date.now() - packing} ms`);
        this.sealer.watch(id);
      } else {
        await snapshots.materialize(name, staging);
        this.log(`cluster ${id}: data directory written from snapshot ${name} in ${Date.now() - packing} ms`);
      }
      await rename(staging, paths.data);
      this.storeChanged(id);
    }
    await mkdir(epochBinlogDir(paths, epoch.index), { recursive: true });
    const started = Date.now();
    const server = await startMariaDbServer({
      datadir: paths.data,
      socket: paths.socket,
      pidFile: paths.pidFile,
      errorLog: paths.errorLog,
      configFile: paths.configFile,
      network: { host: record.spec.host, port: record.spec.port },
      serverId: record.serverId,
      binlogBasename: epochBinlogBasename(paths, epoch.index),
      startupTimeoutMs: this.startupTimeoutMs,
      mariadbd: this.tools.mariadbd,
    });
    this.servers.set(id, server);
    this.log(
      `cluster ${id}: mariadbd pid ${server.pid} serving ${record.spec.host}:${record.spec.port} ` +
        `(started in ${Date.now() - started} ms)`,
    );
  }

  private async stopLocked(id: string, options: StopOptions = {}): Promise<void> {
    const paths = clusterPaths(this.home, id);
    const server =
      this.servers.get(id) ?? (await findRunningServer(paths.configFile, paths.pidFile, paths.socket));
    this.servers.delete(id);
    if (server?.isRunning()) {
      await server.stop(options);
      this.log(`cluster ${id}: mariadbd pid ${server.pid} stopped`);
    }
    await removeServerLeftovers(paths.pidFile, paths.socket);
  }

  private async restartLocked(
    id: string,
    { crash = false }: RestartOptions,
  ): Promise<RestartOutcome | undefined> {
    await this.record(id);
    const paths = clusterPaths(this.home, id);
    const server =
      this.servers.get(id) ?? (await findRunningServer(paths.configFile, paths.pidFile, paths.socket));
    if (!server?.isRunning()) return undefined;
    // Kept in the map while it is down: a shutdown that begins meanwhile then queues behind this restart on
    // the cluster's lock and stops the new server, instead of missing it.
    this.servers.set(id, server);
    const down = Date.now();
    if (crash) await server.kill();
    else await server.stop();
    this.log(
      `cluster ${id}: mariadbd pid ${server.pid} ${crash ? 'killed (SIGKILL)' : 'stopped'} to restart it`,
    );
    await removeServerLeftovers(paths.pidFile, paths.socket);
    await this.startLocked(id);
    const next = this.servers.get(id);
    if (!next?.isRunning()) {
      throw new DataPlaneError('ServerStartFailed', `mariadbd of cluster ${id} did not start again.`);
    }
    return { previousPid: server.pid, pid: next.pid, downMs: Date.now() - down };
  }

  private async backtrackLocked(id: string, to: Date, options: BacktrackOptions): Promise<BacktrackOutcome> {
    const record = await this.record(id);
    const paths = clusterPaths(this.home, id);
    const snapshots = new Snapshots(paths);
    const second = resolveBacktrackTarget(record, to, this.now());
    const phases = new PhaseTimer();
    const wasRunning = this.isRunning(id);
    // The live files are kept as they are, redo log included: flushing the buffer pool (or even the binlog)
    // first would cost more than the crash recovery it saves on the rare start from this end state.
    await this.stopLocked(id, { killAfterBlockingCommits: true });
    const endedAt = this.now();
    phases.mark('stop');

    // End the current epoch: a live directory the server changed becomes its end snapshot by a rename (a
    // crash from here on rebuilds the live directory from it, see liveSnapshot); one it did not change is a
    // copy of the base and goes.
    const current = currentEpoch(record);
    const tally = await this.tallyEpoch(paths, current.index);
    const endName = `e${current.index}-end`;
    if (await exists(paths.data)) {
      if (tally.lastChangeSecond !== undefined) {
        // A sealed end left by a backtrack interrupted before is older than the live directory.
        await snapshots.remove(endName);
        await mkdir(paths.snapshots, { recursive: true });
        await rename(paths.data, snapshotDir(paths, endName));
      } else {
        await rm(paths.data, { recursive: true, force: true });
      }
    }
    const ended: EpochRecord = { ...current };
    if (tally.lastChangeSecond !== undefined && (await snapshots.has(endName))) {
      ended.end = endName;
      ended.lastChangeSecond = tally.lastChangeSecond;
    }
    phases.mark('end');
    const epochs = [...record.epochs.slice(0, -1), ended];
    const source = epochAt({ ...record, epochs }, second);
    const plan = await planMaterialize(paths, source, second);
    phases.mark('plan');

    // State(T) is an existing snapshot, which becomes the new epoch's base as it is, or a snapshot with
    // binlog replayed into it in the work directory, which becomes a new base.
    const index = current.index + 1;
    let base = plan.snapshot;
    const work = join(paths.work, `backtrack-e${index}`);
    let sealedBytes = 0;
    const reads: string[] = [];
    const mib = (bytes: number): string => (bytes / 2 ** 20).toFixed(1);
    // Whether `work` holds the new live directory (a base sealed from it) rather than a new plain base.
    let workIsLive = false;
    try {
      await mkdir(paths.work, { recursive: true });
      await rm(work, { recursive: true, force: true });
      if (plan.kind === 'replay') {
        // What `work` holds before the replay (as `patch` writes it, mtimes included), when it is known.
        const written = await snapshots.sealed(plan.snapshot);
        await snapshots.materialize(plan.snapshot, work);
        phases.mark('copy');
        await replayInto({
          paths,
          record,
          plan,
          datadir: work,
          tools: this.tools,
          startupTimeoutMs: this.startupTimeoutMs,
        });
        phases.mark('replay');
        base = `e${index}-base`;
        await snapshots.remove(base);
        if (written) {
          // Only the files the replay wrote are read: the rest are as `patch` left them.
          const sealed = await snapshots.seal(work, base, written);
          sealedBytes += sealed.stats.storedBytes;
          reads.push(
            `base ${mib(sealed.stats.readBytes)} MiB read, ${mib(sealed.stats.reusedBytes)} MiB unchanged`,
          );
          workIsLive = true;
          phases.mark('seal');
        } else {
          await rename(work, snapshotDir(paths, base));
        }
      }
    } catch (error) {
      await rm(paths.work, { recursive: true, force: true });
      if (wasRunning) await this.startLocked(id).catch(() => undefined);
      throw error;
    }
    const next: EpochRecord = {
      index,
      startedAt: endedAt.toISOString(),
      base,
      origin: {
        kind: 'backtrack',
        fromEpoch: source.index,
        to: secondToDate(second).toISOString(),
        replayedEvents: plan.replayedEvents,
      },
    };
    // Commit: once the record names the new epoch, its base is the state, with or without the live directory.
    await writeClusterRecord(paths.record, { ...record, epochs: [...epochs, next] });
    if (workIsLive) await rename(work, paths.data);
    await rm(paths.work, { recursive: true, force: true });
    const pruned = await this.pruneLocked(id, snapshots, endedAt, options.windowSeconds);
    phases.mark('prune');
    // The live directory of the new epoch is made here (or on its first start) from its base.
    if (wasRunning) await this.startLocked(id);
    phases.mark('start');
    this.sealer.watch(id);
    if ((await snapshots.plainNames()).length > MAX_PLAIN_SNAPSHOTS) this.sealExcessLater(id);
    this.log(
      `cluster ${id}: backtracked to ${secondToDate(second).toISOString()} from epoch ${source.index} ` +
        `(${plan.replayedEvents} events replayed; ${mib(sealedBytes)} MiB sealed` +
        `${reads.map((read) => `, ${read}`).join('')}; ` +
        `${pruned}; ${phases.summary()})`,
    );
    return { backtrackedTo: secondToDate(second), replayedEvents: plan.replayedEvents };
  }

  /**
   * Deletes what no backtrack in the window can need: the epochs that ended before the window began (their
   * binlogs and the snapshots no kept epoch names), then every chunk no snapshot names. Without a window,
   * only snapshots and chunks nothing names (left by an interrupted backtrack) go. The window is measured
   * back from `now`, the moment the backtrack began: what it keeps does not depend on how long it took.
   */
  private async pruneLocked(
    id: string,
    snapshots: Snapshots,
    now: Date,
    windowSeconds?: number,
  ): Promise<string> {
    const paths = clusterPaths(this.home, id);
    const record = await this.record(id);
    const kept =
      windowSeconds === undefined
        ? record.epochs
        : retainedEpochs(record, floorSecond(new Date(now.getTime() - windowSeconds * 1000)));
    const dropped = record.epochs.filter((epoch) => !kept.includes(epoch));
    if (dropped.length > 0) {
      await writeClusterRecord(paths.record, { ...record, epochs: kept });
      for (const epoch of dropped) {
        const dir = epochBinlogDir(paths, epoch.index);
        await rm(dir, { recursive: true, force: true });
        for (const file of this.tallies.keys()) if (file.startsWith(dir + '/')) this.tallies.delete(file);
      }
    }
    const named = new Set(kept.flatMap((epoch) => (epoch.end ? [epoch.base, epoch.end] : [epoch.base])));
    named.add(`e${currentEpoch(record).index}-end`);
    let snapshotsRemoved = 0;
    for (const name of await snapshots.names()) {
      if (named.has(name)) continue;
      await snapshots.remove(name);
      snapshotsRemoved++;
    }
    const chunksRemoved = await snapshots.store.collectGarbage();
    return `pruned ${dropped.length} epochs, ${snapshotsRemoved} snapshots, ${chunksRemoved} chunks`;
  }

  /** A point-in-time copy of `source` into the target's first snapshot. */
  private async copyAsOf(
    source: ClusterRecord,
    sourcePaths: ClusterPaths,
    paths: ClusterPaths,
    restoreTo: Date,
  ): Promise<EpochRecord> {
    const second = resolveBacktrackTarget(source, restoreTo, this.now());
    const sourceServer = this.servers.get(source.spec.id);
    if (sourceServer?.isRunning()) {
      // Close the binlog being written, so the replay reads only complete files. Events after the rotation
      // are stamped no earlier than now, hence never before the target.
      await flushBinaryLogs(sourceServer.socket);
    }
    const epoch = epochAt(source, second);
    const plan = await planMaterialize(sourcePaths, epoch, second);
    const base = snapshotDir(paths, 'e0-base');
    await new Snapshots(sourcePaths).materialize(plan.snapshot, base);
    if (plan.kind === 'replay') {
      // The replay server runs in the target's directory, so it never meets the source's own server.
      await replayInto({
        paths,
        record: source,
        plan,
        datadir: base,
        tools: this.tools,
        startupTimeoutMs: this.startupTimeoutMs,
      });
    }
    return {
      index: 0,
      startedAt: this.now().toISOString(),
      base: 'e0-base',
      origin: { kind: 'copy', sourceId: source.spec.id, restoredTo: secondToDate(second).toISOString() },
    };
  }

  private async tallyEpoch(paths: ClusterPaths, epoch: number): Promise<BinlogTally> {
    const total: BinlogTally = { end: 0, changeEvents: 0 };
    for (const file of await listBinlogFiles(epochBinlogDir(paths, epoch))) {
      const tally = await this.tallyFile(file);
      total.changeEvents += tally.changeEvents;
      if (tally.lastChangeSecond !== undefined) {
        total.lastChangeSecond = Math.max(total.lastChangeSecond ?? 0, tally.lastChangeSecond);
      }
    }
    return total;
  }

  /** Binlogs only grow, so each file is scanned once and then only from where the last scan stopped. */
  private async tallyFile(file: string): Promise<BinlogTally> {
    const previous = this.tallies.get(file);
    try {
      const tally = await tallyBinlog(file, previous);
      this.tallies.set(file, tally);
      return tally;
    } catch {
      // A file deleted or replaced under us (a cluster destroyed and re-created) is counted afresh next time.
      this.tallies.delete(file);
      return { end: 0, changeEvents: 0 };
    }
  }

  private async countChangeRecords(paths: ClusterPaths, record: ClusterRecord): Promise<number> {
    let total = 0;
    for (const epoch of record.epochs) total += (await this.tallyEpoch(paths, epoch.index)).changeEvents;
    return total;
  }
}

/** Milliseconds spent in each phase of an operation, for the log. */
class PhaseTimer {
  private last = Date.now();
  private readonly first = this.last;
  private readonly phases: string[] = [];

  mark(phase: string): void {
    const now = Date.now();
    this.phases.push(`${phase} ${now - this.last} ms`);
    this.last = now;
  }

  summary(): string {
    return `${this.phases.join(', ')}; total ${this.last - this.first} ms`;
  }
}

/**
 * The snapshot an epoch's live directory is rebuilt from when it is missing: its base, or the end a
 * backtrack sealed before it was interrupted (the live state then, which nothing has changed since).
 */
async function liveSnapshot(snapshots: Snapshots, epoch: EpochRecord): Promise<string> {
  const pendingEnd = `e${epoch.index}-end`;
  return epoch.end === undefined && (await snapshots.has(pendingEnd)) ? pendingEnd : epoch.base;
}

function checkId(id: string): void {
  if (!isValidClusterId(id)) {
    throw new DataPlaneError(
      'InvalidClusterId',
      `"${id}" cannot name a cluster: use 1-63 lower-case letters, digits and hyphens, starting with a letter.`,
    );
  }
}

async function flushBinaryLogs(socket: string): Promise<void> {
  const connection = await mysql.createConnection({ socketPath: socket, user: 'root' });
  try {
    await connection.query('FLUSH BINARY LOGS');
  } finally {
    await connection.end();
  }
}
