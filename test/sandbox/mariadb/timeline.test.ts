import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { ClusterRecord, EpochRecord } from '../../../src/sandbox/mariadb/cluster-record.js';
import { isDataPlaneError } from '../../../src/sandbox/mariadb/errors.js';
import {
  binlogDatetime,
  earliestBacktrackSecond,
  epochAt,
  resolveBacktrackTarget,
} from '../../../src/sandbox/mariadb/timeline.js';

function recordWith(starts: string[]): ClusterRecord {
  const epochs: EpochRecord[] = starts.map((startedAt, index) => ({
    index,
    startedAt,
    base: `e${index}-base`,
    origin:
      index === 0
        ? { kind: 'created' }
        : { kind: 'backtrack', fromEpoch: 0, to: starts[0]!, replayedEvents: 0 },
  }));
  return {
    version: 1,
    spec: { id: 'c', host: '127.0.40.1', port: 3306, masterUsername: 'u' },
    serverId: 101,
    createdAt: starts[0]!,
    epochs,
  };
}

const at = (iso: string): number => Date.parse(iso) / 1000;

describe('data plane timeline', () => {
  const record = recordWith([
    '2024-05-01T10:00:00.400Z',
    '2024-05-01T10:05:30.250Z',
    '2024-05-01T10:09:00.000Z',
  ]);

  it('starts the backtrack range at the first whole second of the first epoch', () => {
    assert.equal(earliestBacktrackSecond(record), at('2024-05-01T10:00:01Z'));
    assert.equal(
      earliestBacktrackSecond(recordWith(['2024-05-01T10:00:00.000Z'])),
      at('2024-05-01T10:00:00Z'),
    );
  });

  it('formats stop times the way mariadb-binlog reads them under TZ=UTC', () => {
    assert.equal(binlogDatetime(at('2024-05-01T10:05:30Z')), '2024-05-01 10:05:30');
  });

  it('truncates targets to the second and refuses the future and the time before the cluster', () => {
    const now = new Date('2024-05-01T10:10:00.000Z');
    assert.equal(
      resolveBacktrackTarget(record, new Date('2024-05-01T10:03:07.999Z'), now),
      at('2024-05-01T10:03:07Z'),
    );
    assert.equal(resolveBacktrackTarget(record, now, now), at('2024-05-01T10:10:00Z'));
    for (const bad of [
      '2024-05-01T10:10:00.001Z',
      '2024-05-01T10:00:00.900Z',
      '2024-04-30T00:00:00Z',
      'nonsense',
    ]) {
      assert.throws(
        () => resolveBacktrackTarget(record, new Date(bad), now),
        (error) => isDataPlaneError(error, 'BacktrackTimeOutOfRange'),
        bad,
      );
    }
  });

  it('finds the epoch that was current at a second, as lived', () => {
    assert.equal(epochAt(record, at('2024-05-01T10:00:01Z')).index, 0);
    // The second in which the first backtrack happened began before it: still epoch 0.
    assert.equal(epochAt(record, at('2024-05-01T10:05:30Z')).index, 0);
    assert.equal(epochAt(record, at('2024-05-01T10:05:31Z')).index, 1);
    assert.equal(epochAt(record, at('2024-05-01T10:08:59Z')).index, 1);
    assert.equal(epochAt(record, at('2024-05-01T10:09:00Z')).index, 2);
  });

  it('always picks the last epoch begun at or before the target', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 10_000_000 }), { minLength: 1, maxLength: 12 }),
        fc.nat(),
        (gaps, probe) => {
          const base = Date.parse('2024-01-01T00:00:00Z');
          const starts: number[] = [];
          let t = base;
          for (const gap of gaps) starts.push((t += gap));
          const timeline = recordWith(starts.map((ms) => new Date(ms).toISOString()));
          const second =
            earliestBacktrackSecond(timeline) + (probe % (gaps.reduce((a, b) => a + b, 0) / 1000 + 5));
          const found = epochAt(timeline, Math.floor(second));
          const expected = starts.filter((ms) => ms <= Math.floor(second) * 1000).length - 1;
          return found.index === expected;
        },
      ),
    );
  });
});
