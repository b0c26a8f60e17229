/**
 * Time on a cluster's as-lived timeline, at the 1-second resolution of binlog event headers.
 *
 * State(T) for a whole second T is the state of the epoch that was current at wall-clock T, with every
 * binlog event of that epoch stamped before T applied. A binlog event carries the second its statement
 * started, so State(T) holds exactly the transactions whose statements all started before T, and none
 * whose commit came in second T or later; a transaction cut by T is rolled back. That instant T is what a
 * backtrack reports as `backtrackedTo`.
 */
import type { ClusterRecord, EpochRecord } from './cluster-record.js';
import { DataPlaneError } from './errors.js';

export function floorSecond(date: Date): number {
  return Math.floor(date.getTime() / 1000);
}

export function secondToDate(second: number): Date {
  return new Date(second * 1000);
}

/** 'YYYY-MM-DD HH:MM:SS' in UTC, the form mariadb-binlog's --stop-datetime reads (run it with TZ=UTC). */
export function binlogDatetime(second: number): string {
  return secondToDate(second).toISOString().slice(0, 19).replace('T', ' ');
}

/**
 * The earliest whole second a cluster can be backtracked to: the first whole second at or after the moment
 * its first epoch began. Earlier seconds would need changes from before the cluster (or its copy) existed.
 */
export function earliestBacktrackSecond(record: ClusterRecord): number {
  const first = record.epochs[0];
  if (!first) throw new Error(`cluster ${record.spec.id} has no epochs`);
  return Math.ceil(Date.parse(first.startedAt) / 1000);
}

/** The whole second a backtrack to `to` goes to, or a `BacktrackTimeOutOfRange` error. */
export function resolveBacktrackTarget(record: ClusterRecord, to: Date, now: Date): number {
  if (Number.isNaN(to.getTime())) {
    throw new DataPlaneError('BacktrackTimeOutOfRange', `The backtrack time is not a valid date.`);
  }
  if (to.getTime() > now.getTime()) {
    throw new DataPlaneError(
      'BacktrackTimeOutOfRange',
      `Cannot backtrack cluster ${record.spec.id} to ${to.toISOString()}: that is in the future ` +
        `(now ${now.toISOString()}).`,
    );
  }
  const target = floorSecond(to);
  const earliest = earliestBacktrackSecond(record);
  if (target < earliest) {
    throw new DataPlaneError(
      'BacktrackTimeOutOfRange',
      `Cannot backtrack cluster ${record.spec.id} to ${to.toISOString()}: the earliest backtrack time is ` +
        `${secondToDate(earliest).toISOString()}.`,
    );
  }
  return target;
}

/** The epoch that was current at the start of second `second` (the last one begun at or before it). */
export function epochAt(record: ClusterRecord, second: number): EpochRecord {
  const instant = second * 1000;
  let found: EpochRecord | undefined;
  for (const epoch of record.epochs) {
    if (Date.parse(epoch.startedAt) <= instant) found = epoch;
  }
  if (!found) {
    throw new DataPlaneError(
      'BacktrackTimeOutOfRange',
      `Cluster ${record.spec.id} did not exist at ${secondToDate(second).toISOString()}.`,
    );
  }
  return found;
}

/**
 * The epochs still needed to rebuild every second from `keepFromSecond` on: the one current at that second
 * and every later one. The epochs before it ended before that second, so nothing in range needs them.
 */
export function retainedEpochs(record: ClusterRecord, keepFromSecond: number): EpochRecord[] {
  const instant = keepFromSecond * 1000;
  let first = 0;
  record.epochs.forEach((epoch, position) => {
    if (Date.parse(epoch.startedAt) <= instant) first = position;
  });
  return record.epochs.slice(first);
}
