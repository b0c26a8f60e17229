/**
 * Each step type owns its knowledge. A type declared outside src/steps (test/fixtures/step-type/purge, retire) and
 * registered in one place is seen by the destructive guard, static and at run time, by the connection and
 * result-type questions, and runs through the engine, with nothing else changed; and no module outside a type's own folder and the
 * registries switches on a type's name.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { DestructiveGuard } from '../../src/engine/guard.js';
import { runRunbook } from '../../src/engine/interpreter.js';
import { Renderer } from '../../src/engine/render.js';
import { checkDestructive } from '../../src/runbook/destructive.js';
import type { CompiledRunbook, CompiledStep, ConnectionSpec, SourceSpan } from '../../src/runbook/types.js';
import { STEP_TYPES } from '../../src/steps/schemas.js';
import { connectionsOf, destructionsOf, stepStatics } from '../../src/steps/statics.js';
import '../fixtures/step-type/register.js';
import { retireWorld } from '../fixtures/step-type/retire/execute.js';

const FILE = 'purge.yaml';
const SOURCE =
  'steps:\n  - id: purge-orders\n    type: purge\n    connection: keep\n    table: "{{inputs.table}}"\n';

function spanOf(line: number, col: number, length: number): SourceSpan {
  const offset =
    SOURCE.split('\n')
      .slice(0, line - 1)
      .join('\n').length + col;
  return {
    file: FILE,
    start: { line, col },
    end: { line, col: col + length },
    offset,
    endOffset: offset + length,
  };
}

/** A runbook of one purge step, as the front end would compile it (its schema does not know the type). */
function purgeRunbook(connectionName: string): CompiledRunbook {
  return {
    file: FILE,
    name: 'purge',
    inputs: [],
    connections,
    disposable: noDisposable,
    steps: [purgeStep(connectionName, '{{inputs.table}}')],
    finally: [],
    sources: { [FILE]: SOURCE },
  };
}

function connection(name: string, disposable: boolean): ConnectionSpec {
  return {
    name,
    host: '127.0.0.1',
    port: 3306,
    user: 'u',
    password: 'p',
    disposable,
    span: spanOf(1, 1, 5),
    fieldSpans: {},
  };
}

/** A purge step on `connection`, its table written as `table` (a literal or a template). */
function purgeStep(connectionName: string, table: string): CompiledStep {
  return {
    id: 'purge-orders',
    type: 'purge' as CompiledStep['type'],
    fields: { connection: connectionName, table },
    cleanup: false,
    span: spanOf(2, 5, 80),
    spans: { '/connection': spanOf(4, 17, 4), '/table': spanOf(5, 12, 18) },
  };
}

const connections = { keep: connection('keep', false), scratch: connection('scratch', true) };
const noDisposable = { clusters: [], instances: [] };

/** Every .ts file under `dir`. */
function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

describe('the step-type registry', () => {
  it('knows a type registered with one line, and asks its facets for connections and results', () => {
    assert.ok(stepStatics.purge, 'registered');
    const step = purgeStep('keep', 'orders');
    assert.deepEqual(connectionsOf(step), [{ pointer: '/connection', value: 'keep' }]);
    assert.deepEqual(stepStatics.purge.resultType?.(step, { typeOf: () => undefined }), {
      kind: 'structure',
      members: { purged: { kind: 'integer' } },
    });
    assert.deepEqual(
      destructionsOf(step, (pointer) => (pointer === '/table' ? 'orders' : undefined)),
      [{ on: 'connection', connection: 'keep', what: 'PURGE orders', pointer: '/table', stepType: 'purge' }],
    );
  });

  it('lets the static guard refuse it on a connection that is not disposable, at the field its type names', () => {
    const refused = checkDestructive({
      connections,
      disposable: noDisposable,
      steps: [purgeStep('keep', 'orders')],
    });
    assert.equal(refused.length, 1);
    assert.equal(refused[0]!.code, 'destructive-step');
    assert.equal(
      refused[0]!.message,
      'step "purge-orders" runs PURGE orders on connection "keep", which is not disposable',
    );
    assert.deepEqual(refused[0]!.span?.start, { line: 5, col: 12 });
    assert.deepEqual(
      checkDestructive({ connections, disposable: noDisposable, steps: [purgeStep('scratch', 'orders')] }),
      [],
      'a disposable connection may lose its data',
    );
    assert.deepEqual(
      checkDestructive({
        connections,
        disposable: noDisposable,
        steps: [purgeStep('keep', '{{inputs.table}}')],
      }),
      [],
      'a template target is left to the run-time check',
    );
  });

  it('lets the run-time guard refuse it once its template renders, before anything runs', () => {
    const runbook = purgeRunbook('keep');
    const guard = new DestructiveGuard(runbook, new Renderer(runbook.sources, () => new Date(0)));
    const scope = { inputs: { table: 'orders' }, captures: {}, steps: {}, env: {} };
    const refusal = guard.check(runbook.steps[0]!, scope);
    assert.ok(refusal, 'refused');
    assert.equal(refusal.code, 'DestructiveStepRefused');
    assert.equal(
      refusal.message,
      'refused to run PURGE orders on connection "keep", which is not disposable; nothing was run',
    );
    assert.deepEqual(refusal.span?.start, { line: 5, col: 12 });
    assert.equal(guard.check(purgeStep('scratch', '{{inputs.table}}'), scope), undefined);
  });

  it('runs it through the engine, guarded: passed on a disposable connection, refused before the run on another', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'labrun-registry-'));
    try {
      const options = { inputs: { table: 'orders' }, runsDir: dir, env: {}, guardDestructive: true };
      const passed = await runRunbook(purgeRunbook('scratch'), options);
      assert.equal(passed.record.status, 'passed');
      assert.deepEqual(passed.record.steps[0]?.result, { purged: 3, table: 'orders' });
      // The target is known from the inputs, so the guard refuses it before the run starts.
      await assert.rejects(runRunbook(purgeRunbook('keep'), { ...options, runsDir: join(dir, 'refused') }), {
        name: 'UsageError',
        message:
          'step purge-orders: refused to run PURGE orders on connection "keep", which is not disposable; nothing was run',
      });
      assert.ok(!existsSync(join(dir, 'refused')), 'no run was started');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("asks the type that declares a destruction whether its target exists: skipped when not, refused when it does and is not the run's", async () => {
    const step = (
      id: string,
      type: string,
      fields: Record<string, unknown>,
      cleanup = false,
    ): CompiledStep => ({
      id,
      type: type as CompiledStep['type'],
      fields,
      cleanup,
      span: spanOf(2, 5, 80),
      spans: {},
    });
    const runbook: CompiledRunbook = {
      ...purgeRunbook('scratch'),
      name: 'retire',
      steps: [
        step('name-gone', 'capture', { name: 'gone', value: 'gone-cluster' }),
        step('name-kept', 'capture', { name: 'kept', value: 'kept-cluster' }),
        step('retire-gone', 'retire', { cluster: '{{captures.gone}}' }),
      ],
      finally: [step('retire-kept', 'retire', { cluster: '{{captures.kept}}' }, true)],
    };
    retireWorld.clusters = new Set(['kept-cluster']);
    retireWorld.lookups = [];
    retireWorld.retired = [];
    const dir = await mkdtemp(join(tmpdir(), 'labrun-registry-'));
    try {
      const { record } = await runRunbook(runbook, {
        inputs: {},
        runsDir: dir,
        env: {},
        guardDestructive: true,
      });
      assert.deepEqual(
        record.steps.slice(2).map((s) => [s.id, s.status, s.reason ?? s.error?.code]),
        [
          ['retire-gone', 'skipped', 'nothing to delete: gone-cluster does not exist'],
          ['retire-kept', 'failed', 'DestructiveStepRefused'],
        ],
      );
      assert.deepEqual(retireWorld.lookups, ['cluster:gone-cluster', 'cluster:kept-cluster']);
      assert.deepEqual(retireWorld.retired, [], 'nothing was retired');
      assert.deepEqual([...retireWorld.clusters], ['kept-cluster']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('is the only module outside the type folders that branches on a step type name', () => {
    const root = join(import.meta.dirname, '../../src');
    const typeFolders = STEP_TYPES.map((type) => join('steps', type) + '/');
    const registries = ['steps/registry.ts', 'steps/statics.ts', 'steps/schemas.ts'];
    const names = STEP_TYPES.map((type) => type.replace('-', '\\-')).join('|');
    const branch = new RegExp(`(?:\\.type\\s*[!=]==?\\s*|case\\s+)'(?:${names})'`);
    const offenders: string[] = [];
    for (const path of sources(root)) {
      const file = relative(root, path);
      // The guide's translators are per type too (src/guide/steps/<type>.ts, with their own registry).
      const typeOwned =
        typeFolders.some((folder) => file.startsWith(folder)) ||
        STEP_TYPES.some((type) => file === `guide/steps/${type}.ts`);
      if (registries.includes(file) || typeOwned) continue;
      readFileSync(path, 'utf8')
        .split('\n')
        .forEach((line, i) => {
          if (branch.test(line)) offenders.push(`src/${file}:${i + 1}: ${line.trim()}`);
        });
    }
    assert.deepEqual(offenders, []);
  });
});
