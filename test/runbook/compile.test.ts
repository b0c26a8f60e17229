/** Whole runbooks: the seeds and valid fixtures compile cleanly, and extends/include assemble as documented. */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileRunbook } from '../../src/runbook/index.js';
import { memoryFiles, readFromRepo, repoRoot, where } from './fixtures.js';

/** `line:col` (1-based) of `offset` characters into the first line of `file` that starts with `lineStart`. */
function lineColOf(file: string, lineStart: string, offset: number): string {
  const lines = readFileSync(join(repoRoot, file), 'utf8').split('\n');
  const index = lines.findIndex((line) => line.startsWith(lineStart));
  assert.ok(index >= 0, `${file} has a line starting with ${lineStart}`);
  return `${index + 1}:${offset + 1}`;
}

function compileRepo(file: string) {
  return compileRunbook(file, { readFile: readFromRepo });
}

describe('compileRunbook', () => {
  describe('seed runbooks', () => {
    const seeds = ['runbooks/aurora-clone-backtrack.yaml', 'runbooks/aurora-backtrack.yaml'].filter((f) =>
      existsSync(join(repoRoot, f)),
    );

    it('finds the seed runbooks', () => {
      assert.ok(seeds.includes('runbooks/aurora-clone-backtrack.yaml'));
    });

    for (const seed of seeds) {
      it(`${seed} compiles with zero diagnostics`, () => {
        const { runbook, diagnostics } = compileRepo(seed);
        assert.deepEqual(diagnostics, []);
        assert.ok(runbook);
        assert.ok(runbook.steps.length > 10);
        assert.deepEqual(
          runbook.finally.map((s) => s.id),
          ['delete-clone-instance', 'delete-clone-cluster'],
        );
      });
    }

    it('expands includes in place, with spans in the included file', () => {
      const { runbook } = compileRepo('runbooks/aurora-clone-backtrack.yaml');
      const ids = runbook!.steps.map((s) => s.id);
      assert.deepEqual(ids.slice(0, 8), [
        'describe-source',
        'describe-source-instance',
        'clone-create',
        'clone-wait-cluster',
        'clone-create-instance',
        'clone-wait-instance',
        'clone-describe',
        'checksum-clone',
      ]);
      const create = runbook!.steps[2]!;
      assert.equal(create.span.file, 'runbooks/shared/create-and-wait.steps.yaml');
      assert.equal(
        where({ span: create.span }),
        lineColOf('runbooks/shared/create-and-wait.steps.yaml', '  - id: create', 4),
      );
      assert.equal(
        where({ span: create.spans['/params/BacktrackWindow']! }),
        lineColOf('runbooks/shared/create-and-wait.steps.yaml', '      BacktrackWindow: ', 23),
      );
      // The include's `with:` values are in place of the group's parameters.
      const params = create.fields.params as Record<string, unknown>;
      assert.equal(params.DBClusterIdentifier, '{{inputs.clusterName}}-{{inputs.cloneSuffix}}');
      assert.equal(params.BacktrackWindow, '{{inputs.backtrackWindow}}');
      assert.equal(params.RestoreType, 'copy-on-write');
      const instance = runbook!.steps[4]!;
      assert.equal((instance.fields.params as Record<string, unknown>).Engine, '{{captures.sourceEngine}}');
      assert.deepEqual(runbook!.steps[6]!.capture, {
        cloneEndpoint: '{{result.DBClusters.0.Endpoint}}',
        cloneEarliestBacktrackTime: '{{result.DBClusters.0.EarliestBacktrackTime}}',
      });
      const backtracks = runbook!.steps.filter((s) => s.fields.operation === 'BacktrackDBCluster');
      assert.deepEqual(
        backtracks.map((s) => [s.id, (s.fields.params as Record<string, unknown>).BacktrackTo]),
        [
          ['after-drop-backtrack', '{{isoSecond (addSeconds captures.afterDrop 1)}}'],
          ['before-drop-backtrack', '{{isoSecond captures.beforeDrop}}'],
        ],
      );
      assert.ok(runbook!.steps.some((s) => s.id === 'after-drop-wait'));
      assert.ok(runbook!.steps.some((s) => s.id === 'before-drop-wait'));
      const checksum = runbook!.steps[7]!;
      assert.equal(checksum.span.file, 'runbooks/aurora-clone-backtrack.yaml');
      assert.equal(
        where({ span: checksum.span }),
        lineColOf('runbooks/aurora-clone-backtrack.yaml', '  - id: checksum-clone', 4),
      );
      assert.deepEqual(checksum.capture, { cloneChecksum: '{{result.rows.0.Checksum}}' });
      const drop = runbook!.steps.find((s) => s.id === 'reprepare')!;
      assert.equal(drop.type, 'sysbench');
      assert.deepEqual(drop.fields, {
        connection: 'clone',
        workload: 'oltp_write_only',
        command: 'prepare',
        options: { threads: 1, tables: 1, 'table-size': '{{inputs.tableSize}}' },
      });
      const cleanup = runbook!.finally[1]!;
      assert.equal(cleanup.cleanup, true);
      assert.deepEqual(cleanup.retry, {
        attempts: 10,
        interval: '{{inputs.pollInterval}}',
        on: ['InvalidDBClusterStateFault'],
      });
      assert.deepEqual(cleanup.ignoreErrors, ['DBClusterNotFoundFault']);
    });

    it('compiles inputs and connections', () => {
      const { runbook } = compileRepo('runbooks/aurora-clone-backtrack.yaml');
      const tableSize = runbook!.inputs.find((i) => i.name === 'tableSize')!;
      assert.equal(tableSize.type, 'integer');
      assert.equal(tableSize.default, 1000000);
      const password = runbook!.inputs.find((i) => i.name === 'dbPassword')!;
      assert.equal(password.secret, true);
      assert.equal(password.env, 'DBPASS');
      const clone = runbook!.connections.clone!;
      assert.equal(clone.host, '{{captures.cloneEndpoint}}');
      assert.equal(clone.port, 3306);
      assert.equal(
        where({ span: clone.fieldSpans.host! }),
        lineColOf('runbooks/aurora-clone-backtrack.yaml', '    host: "{{captures.cloneEndpoint}}"', 10),
      );
      assert.ok(Object.keys(runbook!.sources).includes('runbooks/shared/backtrack.steps.yaml'));
    });
  });

  describe('valid fixtures', () => {
    const dir = 'test/fixtures/valid';
    for (const name of readdirSync(join(repoRoot, dir)).filter((f) => f.endsWith('.yaml'))) {
      it(`${name} compiles with zero diagnostics`, () => {
        const { runbook, diagnostics } = compileRepo(`${dir}/${name}`);
        assert.deepEqual(diagnostics, []);
        assert.ok(runbook);
      });
    }
  });

  describe('extends', () => {
    it('inherits steps and finally, overrides input fields and replaces connections by name', () => {
      const { runbook } = compileRepo('test/fixtures/valid/extends-child.yaml');
      assert.equal(runbook!.name, 'extends-child');
      assert.deepEqual(
        runbook!.steps.map((s) => s.id),
        ['count', 'check'],
      );
      assert.deepEqual(
        runbook!.finally.map((s) => s.id),
        ['done'],
      );
      assert.equal(runbook!.steps[0]!.span.file, 'test/fixtures/valid/base.yaml');
      const tableSize = runbook!.inputs.find((i) => i.name === 'tableSize')!;
      assert.equal(tableSize.type, 'integer', 'the type comes from the base');
      assert.equal(tableSize.default, 1000, 'the default comes from the child');
      assert.equal(tableSize.span.file, 'test/fixtures/valid/extends-child.yaml');
      assert.ok(runbook!.inputs.some((i) => i.name === 'region'));
      assert.equal(runbook!.connections.db!.host, '127.0.0.1');
      assert.equal(runbook!.connections.db!.port, 3307);
    });

    it('replaces the steps when the child gives its own', () => {
      const files = {
        'base.yaml':
          'name: base\nsteps:\n  - id: a\n    type: wait-until\n    duration: 1s\nfinally:\n  - id: z\n    type: wait-until\n    duration: 1s\n',
        'child.yaml':
          'name: child\nextends: base.yaml\nsteps:\n  - id: b\n    type: wait-until\n    duration: 2s\n',
      };
      const { runbook } = compileRunbook('child.yaml', { readFile: memoryFiles(files) });
      assert.deepEqual(
        runbook!.steps.map((s) => s.id),
        ['b'],
      );
      assert.deepEqual(
        runbook!.finally.map((s) => s.id),
        ['z'],
      );
    });

    it('checks references against the merged runbook', () => {
      const files = {
        'base.yaml':
          'name: base\ninputs:\n  x: {default: a}\nsteps:\n  - id: a\n    type: capture\n    name: v\n    value: "{{inputs.y}}"\n',
        'child.yaml': 'name: child\nextends: base.yaml\ninputs:\n  y: {default: b}\n',
      };
      const { diagnostics } = compileRunbook('child.yaml', { readFile: memoryFiles(files) });
      assert.deepEqual(diagnostics, []);
      const alone = compileRunbook('base.yaml', { readFile: memoryFiles(files) });
      assert.deepEqual(
        alone.diagnostics.map((d) => [d.code, where(d)]),
        [['unknown-reference', '8:13']],
      );
    });

    it('reports a cycle through extends', () => {
      const files = {
        'a.yaml': 'name: a\nextends: b.yaml\n',
        'b.yaml': 'name: b\nextends: a.yaml\n',
      };
      const { diagnostics } = compileRunbook('a.yaml', { readFile: memoryFiles(files) });
      assert.deepEqual(
        diagnostics.map((d) => [d.code, d.file, where(d)]),
        [['include-cycle', 'b.yaml', '2:10']],
      );
      assert.match(diagnostics[0]!.message, /a\.yaml -> b\.yaml -> a\.yaml/);
    });
  });

  describe('include', () => {
    it('expands nested includes and keeps the included files as sources', () => {
      const { runbook } = compileRepo('test/fixtures/valid/include-nested.yaml');
      assert.deepEqual(
        runbook!.steps.map((s) => [s.id, s.span.file]),
        [
          ['outer', 'test/fixtures/valid/parts/outer.steps.yaml'],
          ['inner', 'test/fixtures/valid/parts/inner.steps.yaml'],
          ['after', 'test/fixtures/valid/include-nested.yaml'],
        ],
      );
      assert.equal(Object.keys(runbook!.sources).length, 4);
    });

    it('reports errors of an included file at their place in that file', () => {
      const files = {
        'main.yaml': 'name: main\nsteps:\n  - include: group.steps.yaml\n',
        'group.steps.yaml': 'kind: steps\nsteps:\n  - id: one\n    type: wait-until\n    duraton: 1s\n',
      };
      const { diagnostics } = compileRunbook('main.yaml', { readFile: memoryFiles(files) });
      assert.deepEqual(
        diagnostics.map((d) => [d.code, d.file, where(d), d.hint]),
        [['unknown-key', 'group.steps.yaml', '5:5', 'did you mean "duration"?']],
      );
    });

    it('reports a self-include as a cycle', () => {
      const files = {
        'main.yaml': 'name: main\nsteps:\n  - include: loop.steps.yaml\n',
        'loop.steps.yaml': 'kind: steps\nsteps:\n  - include: ./loop.steps.yaml\n',
      };
      const { diagnostics } = compileRunbook('main.yaml', { readFile: memoryFiles(files) });
      assert.deepEqual(
        diagnostics.map((d) => [d.code, d.file, where(d)]),
        [['include-cycle', 'loop.steps.yaml', '3:14']],
      );
    });

    it('checks what a group requires', () => {
      const files = {
        'main.yaml': 'name: main\ninputs:\n  clusterNme: {default: x}\nsteps:\n  - include: g.steps.yaml\n',
        'g.steps.yaml':
          'kind: steps\nrequires:\n  inputs: [clusterName]\nsteps:\n  - id: one\n    type: wait-until\n    duration: 1s\n',
      };
      const { diagnostics } = compileRunbook('main.yaml', { readFile: memoryFiles(files) });
      assert.deepEqual(
        diagnostics.map((d) => [d.code, where(d), d.hint]),
        [['include-missing-input', '5:14', 'did you mean "clusterNme"?']],
      );
    });

    it('rejects a step group given as the runbook', () => {
      const { diagnostics } = compileRepo('runbooks/shared/clone.steps.yaml');
      assert.deepEqual(
        diagnostics.map((d) => d.code),
        ['usage'],
      );
    });
  });

  describe('results', () => {
    it('returns every diagnostic, in source order, and no runbook', () => {
      const { runbook, diagnostics } = compileRepo('test/fixtures/invalid/wrong-type.yaml');
      assert.equal(runbook, undefined);
      assert.deepEqual(diagnostics.map(where), ['3:43', '8:12', '9:13']);
    });

    it('keeps the sources of a failed compilation for code frames', () => {
      const { sources } = compileRepo('test/fixtures/invalid/include-error.yaml');
      assert.ok(sources?.['test/fixtures/invalid/parts/broken.steps.yaml']?.includes('querry'));
    });
  });
});
