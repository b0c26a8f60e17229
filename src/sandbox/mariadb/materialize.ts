/**
 * Building State(T) of a cluster's timeline as a data directory.
 *
 * Every epoch keeps its initial state as a snapshot (its base) and, once it has ended with changes, its
 * final state (its end). State(T) for T in epoch j is found the cheapest way that is exact:
 *   - j's end, when every change of epoch j is stamped before T (no replay at all);
 *   - j's base, when none is (no replay either);
 *   - otherwise j's base with j's binlog replayed up to T by a private server (no TCP, no binlog).
 * A replay therefore never spans more than one epoch's binlog, and epochs are never chained: an epoch's base
 * is a physical snapshot, not "State(T') of the previous epoch", so the cost of a backtrack does not grow with
 * the number of backtracks before it.
 */
import { findCut, listBinlogFiles } from './binlog-scan.js';
import type { ClusterRecord, EpochRecord } from './cluster-record.js';
import { epochBinlogDir, type ClusterPaths } from './layout.js';
import { replayBinlogs } from './replay.js';
import { startMariaDbServer } from './server.js';
import type { MariaDbTools } from './tools.js';

export type MaterializePlan =
  /** State(T) is an existing snapshot as it is. */
  | { kind: 'snapshot'; snapshot: string; replayedEvents: 0 }
  /** State(T) is `snapshot` with `files` replayed up to `stopSecond`. */
  | { kind: 'replay'; snapshot: string; files: string[]; stopSecond: number; replayedEvents: number };

/** How to build State(`second`) from `epoch` (the epoch current at that second). */
export async function planMaterialize(
  paths: ClusterPaths,
  epoch: EpochRecord,
  second: number,
): Promise<MaterializePlan> {
  if (epoch.end !== undefined && epoch.lastChangeSecond !== undefined && epoch.lastChangeSecond < second) {
    return { kind: 'snapshot', snapshot: epoch.end, replayedEvents: 0 };
  }
  const cut = await findCut(await listBinlogFiles(epochBinlogDir(paths, epoch.index)), second);
  if (cut.changeEvents === 0) return { kind: 'snapshot', snapshot: epoch.base, replayedEvents: 0 };
  return {
    kind: 'replay',
    snapshot: epoch.base,
    files: cut.files,
    stopSecond: second,
    replayedEvents: cut.changeEvents,
  };
}

export interface ReplayInto {
  paths: ClusterPaths;
  record: ClusterRecord;
  plan: Extract<MaterializePlan, { kind: 'replay' }>;
  /** A data directory that holds the plan's snapshot; the plan's binlog span is replayed into it. */
  datadir: string;
  tools: MariaDbTools;
  startupTimeoutMs?: number;
}

/** Replays the plan's binlog span into `datadir` with a private server (no TCP, no binlog of its own). */
export async function replayInto(options: ReplayInto): Promise<void> {
  const { paths, plan } = options;
  const server = await startMariaDbServer({
    datadir: options.datadir,
    socket: paths.replaySocket,
    pidFile: paths.replayPidFile,
    errorLog: paths.replayErrorLog,
    configFile: paths.replayConfigFile,
    serverId: options.record.serverId,
    startupTimeoutMs: options.startupTimeoutMs,
    mariadbd: options.tools.mariadbd,
  });
  try {
    await replayBinlogs({
      files: plan.files,
      stopSecond: plan.stopSecond,
      socket: server.socket,
      tools: options.tools,
    });
  } finally {
    await server.stop();
  }
}
