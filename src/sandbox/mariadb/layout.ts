/**
 * Where a cluster's files live under the data plane's home:
 *
 *   <home>/clusters/<id>/
 *     cluster.json          spec, server id and timeline (see cluster-record.ts)
 *     my.cnf                the running server's option file, rewritten on every start
 *     data/                 the live data directory of the current epoch (absent until first started)
 *     snapshots/<name>/     a snapshot kept as a plain data directory: only a first base not yet started
 *     store/                every other snapshot, sealed into shared chunks (see chunk-store.ts)
 *     binlogs/e<k>/         epoch k's binlog files
 *     work/                 scratch space of a clone or backtrack in progress
 *     mariadbd.pid, error.log, replay.*
 */
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A Unix socket path must fit in sockaddr_un (108 bytes with the NUL). */
const MAX_SOCKET_PATH = 100;

export interface ClusterPaths {
  dir: string;
  record: string;
  configFile: string;
  data: string;
  snapshots: string;
  store: string;
  binlogs: string;
  work: string;
  pidFile: string;
  errorLog: string;
  socket: string;
  replayConfigFile: string;
  replayPidFile: string;
  replayErrorLog: string;
  replaySocket: string;
}

export function clustersDir(home: string): string {
  return join(home, 'clusters');
}

export function clusterPaths(home: string, id: string): ClusterPaths {
  const dir = join(clustersDir(home), id);
  return {
    dir,
    record: join(dir, 'cluster.json'),
    configFile: join(dir, 'my.cnf'),
    data: join(dir, 'data'),
    snapshots: join(dir, 'snapshots'),
    store: join(dir, 'store'),
    binlogs: join(dir, 'binlogs'),
    work: join(dir, 'work'),
    pidFile: join(dir, 'mariadbd.pid'),
    errorLog: join(dir, 'error.log'),
    socket: socketPath(dir, 'mariadbd.sock'),
    replayConfigFile: join(dir, 'replay.cnf'),
    replayPidFile: join(dir, 'replay.pid'),
    replayErrorLog: join(dir, 'replay-error.log'),
    replaySocket: socketPath(dir, 'replay.sock'),
  };
}

export function snapshotDir(paths: ClusterPaths, name: string): string {
  return join(paths.snapshots, name);
}

export function epochBinlogDir(paths: ClusterPaths, epoch: number): string {
  return join(paths.binlogs, `e${epoch}`);
}

export function epochBinlogBasename(paths: ClusterPaths, epoch: number): string {
  return join(epochBinlogDir(paths, epoch), 'mysql-bin');
}

/** In the cluster directory when the path is short enough, else a stable name in the temp directory. */
function socketPath(dir: string, name: string): string {
  const inside = join(dir, name);
  if (inside.length <= MAX_SOCKET_PATH) return inside;
  const digest = createHash('sha256').update(dir).digest('hex').slice(0, 16);
  return join(tmpdir(), `labrun-${digest}-${name}`);
}

/** Cluster ids become directory names, so only the RDS identifier alphabet is accepted. */
export function isValidClusterId(id: string): boolean {
  return /^[a-z][a-z0-9-]{0,62}$/.test(id);
}
