/**
 * What the data plane remembers about a cluster, in `<cluster>/cluster.json`, so a data plane started later
 * over the same home (after a daemon restart) can start, clone and backtrack it.
 *
 * The history is a list of epochs ("as-lived" timeline): epoch k began at wall-clock `startedAt` with the
 * state held in snapshot `base`, and its changes are the binlog files in binlogs/e<k>/. Epoch 0 begins when
 * the cluster is created (or copied); every backtrack ends the current epoch and begins the next one.
 */
import { readFile } from 'node:fs/promises';
import type { ClusterStorageSpec } from './types.js';
import { writeFileAtomic } from './fs-utils.js';

export type EpochOrigin =
  | { kind: 'created' }
  | { kind: 'copy'; sourceId: string; sourceBinlog?: BinlogCoordinates; restoredTo?: string }
  | { kind: 'backtrack'; fromEpoch: number; to: string; replayedEvents: number };

export interface BinlogCoordinates {
  file: string;
  position: number;
  gtid?: string;
}

export interface EpochRecord {
  index: number;
  /** Wall-clock instant (ISO 8601, milliseconds) from which the cluster held this epoch's state. */
  startedAt: string;
  /** Snapshot with the epoch's initial state. Snapshots are never modified and may be shared by epochs. */
  base: string;
  /** Snapshot with the state the epoch ended in; unset while the epoch is current or when nothing changed. */
  end?: string;
  /** Unix second of the epoch's last change event; set when the epoch ends with changes. */
  lastChangeSecond?: number;
  origin: EpochOrigin;
}

export interface ClusterRecord {
  version: 1;
  /** The spec the cluster was made with, without the password (that lives in the data's grant tables). */
  spec: Omit<ClusterStorageSpec, 'masterPassword'>;
  serverId: number;
  createdAt: string;
  epochs: EpochRecord[];
}

export function currentEpoch(record: ClusterRecord): EpochRecord {
  const epoch = record.epochs[record.epochs.length - 1];
  if (!epoch) throw new Error(`cluster ${record.spec.id} has no epochs`);
  return epoch;
}

export async function readClusterRecord(path: string): Promise<ClusterRecord> {
  const record = JSON.parse(await readFile(path, 'utf8')) as ClusterRecord;
  if (record.version !== 1 || !Array.isArray(record.epochs) || record.epochs.length === 0) {
    throw new Error(`${path} is not a cluster record this version of labrun understands`);
  }
  return record;
}

export async function writeClusterRecord(path: string, record: ClusterRecord): Promise<void> {
  await writeFileAtomic(path, JSON.stringify(record, null, 2) + '\n');
}

export function publicSpec(spec: ClusterStorageSpec): ClusterRecord['spec'] {
  const { masterPassword: _password, ...rest } = spec;
  return rest;
}
