/**
 * Parameterised step groups: `with:` values replace {{params.name}} (typed when they are the whole value),
 * `as:` renames the group's step ids and captures and the references to them inside the group, nested
 * groups compose their prefixes, and the spans of every instantiated step stay in the group's file.
 */
import assert from 'node:assert/strict';
import { compileRunbook, formatDiagnostics } from '../../src/runbook/index.js';
import type { CompiledRunbook } from '../../src/runbook/types.js';
import { memoryFiles, readFromRepo } from './fixtures.js';

function compileMemory(files: Record<string, string>): ReturnType<typeof compileRunbook> {
  return compileRunbook('main.yaml', { readFile: memoryFiles(files) });
}

function compiled(files: Record<string, string>): CompiledRunbook {
  const result = compileMemory(files);
  assert.ok(
    result.runbook,
    formatDiagnostics(result.diagnostics, { sources: result.sources ?? {} }) || 'no runbook',
  );
  return result.runbook;
}

const GROUP = `kind: steps
params:
  cluster: {type: string}
  window: {type: integer, default: 3600}
  fast: {type: boolean, default: false}
steps:
  - id: create
    type: aws
    operation: RestoreDBClusterToPointInTime
    params:
      RestoreType: copy-on-write
      SourceDBClusterIdentifier: lab
      DBClusterIdentifier: "{{params.cluster}}"
      BacktrackWindow: "{{params.window}}"
    capture:
      arn: "{{result.DBCluster.DBClusterArn}}"
  - id: marker
    type: capture
    name: createdAt
    if: "{{params.fast}}"
    value: "{{isoSecond params.cluster}}-{{params.cluster}}-x"
  - id: check
    type: assert
    that:
      - actual: "{{steps.create.result.DBCluster.DBClusterIdentifier}} {{captures.arn}} {{captures.outside}}"
        equals: "{{params.cluster}}"
`;

describe('parameterised step groups', () => {
  it('instantiates a group twice with its own ids, captures and parameter values', () => {
    const runbook = compiled({
      'main.yaml': `name: twice
steps:
  - id: outside
    type: capture
    name: outside
    value: "2026-12-03T10:00:00Z"
  - include: group.steps.yaml
    as: clone
    with: {cluster: "2026-12-03T10:00:00Z"}
  - include: group.steps.yaml
    as: restore
    with: {cluster: "{{captures.outside}}", window: "0", fast: "yes"}
`,
      'group.steps.yaml': GROUP,
    });
    assert.deepEqual(
      runbook.steps.map((s) => s.id),
      [
        'outside',
        'clone-create',
        'clone-marker',
        'clone-check',
        'restore-create',
        'restore-marker',
        'restore-check',
      ],
    );
    const byId = new Map(runbook.steps.map((s) => [s.id, s]));
    const cloneParams = byId.get('clone-create')!.fields.params as Record<string, unknown>;
    // A whole-value parameter keeps its type: "0" given for an integer becomes 0, a default stays 3600.
    assert.equal(cloneParams.BacktrackWindow, 3600);
    assert.equal(cloneParams.DBClusterIdentifier, '2026-12-03T10:00:00Z');
    const restoreParams = byId.get('restore-create')!.fields.params as Record<string, unknown>;
    assert.equal(restoreParams.BacktrackWindow, 0);
    assert.equal(restoreParams.DBClusterIdentifier, '{{captures.outside}}');
    assert.deepEqual(byId.get('clone-create')!.capture, { cloneArn: '{{result.DBCluster.DBClusterArn}}' });
    assert.deepEqual(byId.get('restore-create')!.capture, {
      restoreArn: '{{result.DBCluster.DBClusterArn}}',
    });
    // capture steps' names follow the prefix too; a literal argument is quoted, a one-expression template
    // becomes the expression.
    assert.equal(byId.get('clone-marker')!.fields.name, 'cloneCreatedAt');
    assert.equal(
      byId.get('clone-marker')!.fields.value,
      '{{isoSecond "2026-12-03T10:00:00Z"}}-2026-12-03T10:00:00Z-x',
    );
    assert.equal(
      byId.get('restore-marker')!.fields.value,
      '{{isoSecond captures.outside}}-{{captures.outside}}-x',
    );
    assert.equal(byId.get('clone-marker')!.if, 'false');
    assert.equal(byId.get('restore-marker')!.if, 'true');
    // References to the group's own steps and captures are renamed; others are not.
    const that = byId.get('restore-check')!.fields.that as Array<Record<string, unknown>>;
    assert.equal(
      that[0]!.actual,
      '{{steps.restore-create.result.DBCluster.DBClusterIdentifier}} {{captures.restoreArn}} {{captures.outside}}',
    );
  });

  it('keeps every instantiated step and its renamed keys located in the group file', () => {
    const runbook = compiled({
      'main.yaml': `name: spans
steps:
  - id: outside
    type: capture
    name: outside
    value: x
  - include: group.steps.yaml
    as: restore
    with: {cluster: lab-restore}
`,
      'group.steps.yaml': GROUP,
    });
    const create = runbook.steps.find((s) => s.id === 'restore-create')!;
    assert.equal(create.span.file, 'group.steps.yaml');
    assert.equal(create.span.start.line, 7);
    assert.equal(create.spans['/capture/restoreArn']?.start.line, 16);
    assert.equal(create.spans['/params/DBClusterIdentifier']?.start.line, 13);
  });

  it('composes prefixes of nested groups and passes parameters down', () => {
    const runbook = compiled({
      'main.yaml': `name: nested
steps:
  - include: outer.steps.yaml
    as: a
    with: {name: first}
  - include: outer.steps.yaml
    as: b
    with: {name: second}
`,
      'outer.steps.yaml': `kind: steps
params:
  name: {}
steps:
  - include: inner.steps.yaml
    as: in
    with: {label: "{{params.name}}-inner"}
  - id: read
    type: capture
    name: seen
    value: "{{captures.inValue}} {{steps.in-make.status}}"
`,
      'inner.steps.yaml': `kind: steps
params:
  label: {}
steps:
  - id: make
    type: capture
    name: value
    value: "{{params.label}}"
`,
    });
    assert.deepEqual(
      runbook.steps.map((s) => [s.id, s.fields.name, s.fields.value]),
      [
        ['a-in-make', 'aInValue', 'first-inner'],
        ['a-read', 'aSeen', '{{captures.aInValue}} {{steps.a-in-make.status}}'],
        ['b-in-make', 'bInValue', 'second-inner'],
        ['b-read', 'bSeen', '{{captures.bInValue}} {{steps.b-in-make.status}}'],
      ],
    );
  });

  it('checks instantiated steps like any other: a typed path inside the group is reported there', () => {
    const result = compileMemory({
      'main.yaml': `name: typed
steps:
  - include: group.steps.yaml
    as: x
    with: {cluster: lab}
`,
      'group.steps.yaml': GROUP.replace('DBCluster.DBClusterArn', 'DBCluster.DBClusterArm'),
    });
    assert.equal(result.runbook, undefined);
    const problem = result.diagnostics.find((d) => d.code === 'unknown-result-path');
    assert.ok(problem, JSON.stringify(result.diagnostics));
    assert.equal(problem.file, 'group.steps.yaml');
    assert.deepEqual(problem.span?.start, { line: 16, col: 32 });
  });

  it('compiles the valid fixture that includes one group for a clone and a restore', () => {
    const { runbook, diagnostics } = compileRunbook('test/fixtures/valid/include-params.yaml', {
      readFile: readFromRepo,
    });
    assert.deepEqual(diagnostics, []);
    assert.equal(runbook?.steps.length, 7);
  });

  it('camel-cases a kebab-case `as` for capture names', () => {
    const runbook = compiled({
      'main.yaml': `name: kebab
steps:
  - id: outside
    type: capture
    name: outside
    value: x
  - include: group.steps.yaml
    as: after-drop
    with: {cluster: lab}
  - id: read
    type: capture
    name: read
    value: "{{captures.afterDropArn}} {{captures.afterDropCreatedAt}} {{steps.after-drop-create.status}}"
`,
      'group.steps.yaml': GROUP,
    });
    assert.deepEqual(
      runbook.steps.map((s) => s.id),
      ['outside', 'after-drop-create', 'after-drop-marker', 'after-drop-check', 'read'],
    );
    assert.equal(runbook.steps[2]!.fields.name, 'afterDropCreatedAt');
  });
});
