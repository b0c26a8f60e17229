/** Durations, input coercion and resolution, and did-you-mean suggestions. */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  DurationError,
  InputValueError,
  parseDuration,
  resolveInputValue,
  resolveInputs,
} from '../../src/runbook/index.js';
import type { InputSpec } from '../../src/runbook/index.js';
import { closest, editDistance } from '../../src/runbook/did-you-mean.js';

const span = {
  file: 'lab.yaml',
  start: { line: 1, col: 1 },
  end: { line: 1, col: 2 },
  offset: 0,
  endOffset: 1,
};
const input = (name: string, fields: Partial<InputSpec> = {}): InputSpec => ({
  name,
  type: 'string',
  secret: false,
  span,
  ...fields,
});

describe('parseDuration', () => {
  it('reads each unit and combinations', () => {
    assert.equal(parseDuration('500ms'), 500);
    assert.equal(parseDuration('2s'), 2000);
    assert.equal(parseDuration('1.5s'), 1500);
    assert.equal(parseDuration('5m'), 300_000);
    assert.equal(parseDuration('1h'), 3_600_000);
    assert.equal(parseDuration('1h30m'), 5_400_000);
    assert.equal(parseDuration(' 1m30s '), 90_000);
  });

  it('explains what is wrong', () => {
    assert.throws(
      () => parseDuration('30'),
      (e: Error) => e instanceof DurationError && /unit is missing .* 30s/.test(e.message),
    );
    assert.throws(() => parseDuration('5 minutes'), /cannot read "5 minutes"/);
    assert.throws(() => parseDuration('1h30'), /cannot read "30"/);
    assert.throws(() => parseDuration(''), /invalid duration/);
    assert.throws(() => parseDuration('-1s'), /invalid duration/);
  });

  it('adds up any sequence of parts', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 1000 }), fc.constantFrom('ms', 's', 'm', 'h')), {
          minLength: 1,
          maxLength: 4,
        }),
        (parts) => {
          const factor: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
          const text = parts.map(([n, unit]) => `${n}${unit}`).join('');
          assert.equal(
            parseDuration(text),
            parts.reduce((sum, [n, unit]) => sum + n * factor[unit]!, 0),
          );
        },
      ),
    );
  });
});

describe('resolveInputValue', () => {
  it('coerces to the declared type', () => {
    assert.equal(resolveInputValue(input('n', { type: 'integer' }), '1000000'), 1000000);
    assert.equal(resolveInputValue(input('n', { type: 'integer' }), 42), 42);
    assert.equal(resolveInputValue(input('x', { type: 'number' }), '0.25'), 0.25);
    assert.equal(resolveInputValue(input('b', { type: 'boolean' }), 'yes'), true);
    assert.equal(resolveInputValue(input('b', { type: 'boolean' }), 'FALSE'), false);
    assert.equal(resolveInputValue(input('s'), 86400), '86400');
  });

  it('names the input and the value when it does not fit', () => {
    assert.throws(
      () => resolveInputValue(input('tableSize', { type: 'integer' }), '1e6x'),
      (e: Error) =>
        e instanceof InputValueError && e.message === 'input "tableSize" must be an integer, got "1e6x"',
    );
    assert.throws(() => resolveInputValue(input('n', { type: 'integer' }), '1.5'), /must be an integer/);
    assert.throws(() => resolveInputValue(input('x', { type: 'number' }), ''), /must be a number/);
    assert.throws(() => resolveInputValue(input('b', { type: 'boolean' }), 'maybe'), /must be true or false/);
  });

  it('never shows a secret value', () => {
    assert.throws(
      () => resolveInputValue(input('port', { type: 'integer', secret: true }), 'hunter2'),
      (e: Error) => !e.message.includes('hunter2') && /secret/.test(e.message),
    );
  });
});

describe('resolveInputs', () => {
  const inputs = [
    input('clusterName', { stackOutput: 'clusterName', env: 'CLUSTER', default: 'fallback' }),
    input('tableSize', { type: 'integer', default: 1000000 }),
    input('dbPassword', { env: 'DBPASS', secret: true }),
  ];

  it('takes --set, then the stack output, then the environment, then the default', () => {
    const all = resolveInputs(inputs, {
      set: { clusterName: 'from-set' },
      stackOutputs: { clusterName: 'from-stack' },
      env: { CLUSTER: 'from-env', DBPASS: 'pw' },
    });
    assert.equal(all.values.clusterName, 'from-set');
    assert.equal(all.from.clusterName, 'set');
    assert.equal(
      resolveInputs(inputs, {
        stackOutputs: { clusterName: 'from-stack' },
        env: { CLUSTER: 'from-env', DBPASS: 'pw' },
      }).values.clusterName,
      'from-stack',
    );
    assert.equal(
      resolveInputs(inputs, { env: { CLUSTER: 'from-env', DBPASS: 'pw' } }).values.clusterName,
      'from-env',
    );
    const defaults = resolveInputs(inputs, { env: { DBPASS: 'pw' } });
    assert.equal(defaults.values.clusterName, 'fallback');
    assert.equal(defaults.from.tableSize, 'default');
    assert.deepEqual(defaults.diagnostics, []);
  });

  it('coerces --set values and reports missing ones and unknown names', () => {
    const result = resolveInputs(inputs, { set: { tableSize: '5000', tablesize: '1' }, env: {} });
    assert.equal(result.values.tableSize, 5000);
    assert.deepEqual(
      result.diagnostics.map((d) => d.code),
      ['usage', 'missing-input'],
    );
    assert.equal(result.diagnostics[0]!.hint, 'did you mean "tableSize"?');
    assert.match(result.diagnostics[1]!.hint!, /DBPASS/);
    const bad = resolveInputs(inputs, { set: { tableSize: 'lots' }, env: { DBPASS: 'x' } });
    assert.deepEqual(
      bad.diagnostics.map((d) => [d.code, d.message]),
      [['invalid-input-value', 'input "tableSize" must be an integer, got "lots" (from --set)']],
    );
  });
});

describe('did you mean', () => {
  it('measures edits, transpositions included', () => {
    assert.equal(editDistance('conection', 'connection'), 1);
    assert.equal(editDistance('sqll', 'sql'), 1);
    assert.equal(editDistance('form', 'from'), 1);
    assert.equal(editDistance('abc', 'abc'), 0);
  });

  it('suggests only plausible typos', () => {
    assert.equal(
      closest('RestoreDBClusterToPointInTim', ['RestoreDBClusterFromS3', 'RestoreDBClusterToPointInTime']),
      'RestoreDBClusterToPointInTime',
    );
    assert.equal(closest('clustername', ['clusterName', 'tableSize']), 'clusterName');
    assert.equal(closest('zzz', ['clusterName', 'tableSize']), undefined);
    assert.equal(closest('id', ['if']), 'if');
  });
});
