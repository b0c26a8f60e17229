import assert from 'node:assert/strict';
import { UsageError } from '../../src/core/errors.js';
import { resolveRunInputs } from '../../src/engine/inputs.js';
import { outputsFromJson } from '../../src/engine/stack-outputs.js';
import { workspace, type Workspace } from '../helpers/runbook.js';

describe('run inputs', () => {
  let ws: Workspace;
  before(async () => {
    ws = await workspace();
  });
  after(async () => {
    await ws?.remove();
  });

  const yaml = `name: inputs
inputs:
  clusterName: { stackOutput: clusterName }
  dbPassword: { env: DBPASS, secret: true }
  tableSize: { type: integer, default: 1000000 }
steps:
  - id: noop
    type: capture
    name: x
    value: "1"
`;

  it('takes --set, then the stack output, then the environment, then the default, coerced', async () => {
    const runbook = await ws.compile(yaml);
    const values = resolveRunInputs(runbook, {
      set: { tableSize: '1000' },
      stackOutputs: { clusterName: 'auroralab-mysql-cluster' },
      env: { DBPASS: 'pw' },
    });
    assert.deepEqual(values, { clusterName: 'auroralab-mysql-cluster', dbPassword: 'pw', tableSize: 1000 });
  });

  it('warns when --set gives an input another value than the stack output it reads, never for a secret', async () => {
    const runbook = await ws.compile(`name: overrides
inputs:
  tableSize: { type: integer, stackOutput: tableSize, default: 1000000 }
  pollInterval: { stackOutput: pollInterval, default: 1s }
  token: { secret: true, stackOutput: token }
steps:
  - id: noop
    type: capture
    name: x
    value: "1"
`);
    const warnings: string[] = [];
    const values = resolveRunInputs(
      runbook,
      {
        set: { tableSize: '100000', pollInterval: '100ms', token: 'other-secret-value' },
        stackOutputs: { tableSize: '1000000', pollInterval: '100ms', token: 'stack-secret-value' },
      },
      (d) => warnings.push(`${d.severity} ${d.code}: ${d.message} (${d.hint})`),
    );
    assert.equal(values.tableSize, 100000, 'the --set value still wins');
    assert.deepEqual(warnings, [
      'warning input-overrides-stack-output: --set tableSize=100000 overrides the stack output tableSize ' +
        "(1000000) (leave out --set tableSize to use the stack's value)",
    ]);
  });

  it('reports every missing or bad input as one usage error, an empty variable counting as unset', async () => {
    const runbook = await ws.compile(yaml);
    assert.throws(
      () => resolveRunInputs(runbook, { set: { tableSize: 'many', tablesize: '1' }, env: { DBPASS: '' } }),
      (error: unknown) => {
        assert.ok(error instanceof UsageError);
        assert.equal(error.message, '4 problems with inputs');
        const messages = error.diagnostics.map((d) => d.message).join('\n');
        assert.match(messages, /tablesize/);
        assert.match(messages, /clusterName/);
        assert.match(messages, /dbPassword/);
        assert.match(messages, /tableSize.*integer/);
        assert.ok(error.diagnostics.every((d) => d.file === runbook.file));
        return true;
      },
    );
  });
});

describe('stack outputs from JSON', () => {
  it('reads what aws cloudformation describe-stacks prints', () => {
    const data = {
      Stacks: [
        {
          StackName: 'auroralab',
          Outputs: [
            { OutputKey: 'clusterName', OutputValue: 'auroralab-mysql-cluster' },
            { OutputKey: 'clusterEndpoint', OutputValue: '127.0.1.1', Description: 'writer' },
          ],
        },
      ],
    };
    assert.deepEqual(outputsFromJson(data), {
      clusterName: 'auroralab-mysql-cluster',
      clusterEndpoint: '127.0.1.1',
    });
  });

  it('reads a flat map, and rejects nested values', () => {
    assert.deepEqual(outputsFromJson({ clusterName: 'c', port: 3306 }), { clusterName: 'c', port: '3306' });
    assert.equal(outputsFromJson({ clusterName: { nested: true } }), undefined);
    assert.equal(outputsFromJson('text'), undefined);
  });
});
