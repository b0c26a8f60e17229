import assert from 'node:assert/strict';
import { parseCrashPoints } from '../../src/engine/crash-points.js';
import { UsageError } from '../../src/core/errors.js';

describe('LABRUN_CRASH_AT', function () {
  it('reads a list of step:point pairs', function () {
    assert.deepEqual(
      [...parseCrashPoints('create-clone:start, drop-table:end,reprepare:1.5s,wait:250ms,')],
      [
        ['create-clone', 'start'],
        ['drop-table', 'end'],
        ['reprepare', 1500],
        ['wait', 250],
      ],
    );
  });

  it('refuses anything else with a usage error naming the bad part', function () {
    for (const bad of ['create-clone', ':start', 'create-clone:', 'create-clone:soon', 'x:-1s']) {
      assert.throws(
        () => parseCrashPoints(bad),
        (error: unknown) =>
          error instanceof UsageError &&
          error.message.includes(JSON.stringify(bad)) &&
          /<step>:<start\|end\|duration>/.test(error.message),
        bad,
      );
    }
  });
});
