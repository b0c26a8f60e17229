/** Diagnostics and compiled steps point at the right line and column. */
import assert from 'node:assert/strict';
import {
  compileRunbook,
  spanAt,
  templateErrorSpan,
  renderDeep,
  TemplateError,
} from '../../src/runbook/index.js';
import { memoryFiles, where } from './fixtures.js';

function compile(text: string, extra: Record<string, string> = {}) {
  return compileRunbook('lab.yaml', { readFile: memoryFiles({ 'lab.yaml': text, ...extra }) });
}

const base = `name: lab
inputs:
  clusterName: {default: lab}
connections:
  db:
    host: 127.0.0.1
    user: root
steps:
`;

describe('positions', () => {
  it('points at the offending key for an unknown key', () => {
    const { diagnostics } = compile(
      `${base}  - id: one\n    type: sql\n    connection: db\n    query: SELECT 1\n    timout: 5s\n`,
    );
    assert.equal(diagnostics.length, 1);
    assert.equal(diagnostics[0]!.code, 'unknown-key');
    assert.equal(where(diagnostics[0]!), '13:5');
    assert.equal(diagnostics[0]!.span!.end.col, 11);
    assert.equal(diagnostics[0]!.hint, 'did you mean "timeout"?');
  });

  it('points at the value for a type, enum or pattern error', () => {
    const { diagnostics } = compile(
      `${base}  - id: one\n    type: sql\n    connection: db\n    query: [SELECT 1]\n  - id: Two\n    type: wait-until\n    duration: 1s\n  - id: three\n    type: sqll\n`,
    );
    assert.deepEqual(
      diagnostics.map((d) => [where(d), d.code]),
      [
        ['12:12', 'schema'],
        ['13:9', 'schema'],
        ['17:11', 'schema'],
      ],
    );
  });

  it('points at the {{ of a bad reference inside a quoted string', () => {
    const { diagnostics } = compile(
      `${base}  - id: one\n    type: sql\n    connection: db\n    query: SELECT ?\n    params: ["x {{inputs.cluster}} y"]\n`,
    );
    assert.equal(diagnostics.length, 1);
    // `    params: ["x ` puts the {{ at column 17; the span ends after the }}.
    assert.equal(where(diagnostics[0]!), '13:17');
    assert.equal(diagnostics[0]!.span!.end.col, 35);
  });

  it('points into a folded block scalar', () => {
    const text = `${base}  - id: one\n    type: sql\n    connection: db\n    query: >\n      SELECT {{inputs.clusterName}},\n        {{inputs.nope}}\n`;
    const { diagnostics } = compile(text);
    assert.equal(diagnostics.length, 1);
    assert.equal(where(diagnostics[0]!), '14:9');
  });

  it('uses 1-based columns that count characters, not bytes', () => {
    const { diagnostics } = compile(
      `${base}  - id: one\n    title: "héllo wörld"\n    type: sql\n    connection: db\n    query: "é {{inputs.nope}}"\n`,
    );
    assert.equal(where(diagnostics[0]!), '13:15');
  });

  it('gives compiled steps spans for every node, and spanAt falls back to the nearest ancestor', () => {
    const text = `${base}  - id: one\n    type: aws\n    operation: DescribeDBClusters\n    params:\n      Filters:\n        - Name: engine\n          Values: ["{{inputs.clusterName}}"]\n`;
    const { runbook, diagnostics } = compile(text);
    assert.deepEqual(diagnostics, []);
    const step = runbook!.steps[0]!;
    assert.equal(where({ span: step.span }), '9:5');
    assert.equal(where({ span: spanAt(step, '/operation') }), '11:16');
    assert.equal(where({ span: spanAt(step, '/params/Filters/0/Values/0') }), '15:20');
    assert.equal(where({ span: spanAt(step, '/params/Filters/0/Nope/3') }), '14:11');
    assert.equal(where({ span: spanAt(step, '') }), '9:5');
  });

  it('maps a run-time template error back to the {{ in the file', () => {
    const text = `${base}  - id: one\n    type: aws\n    operation: DescribeDBClusters\n    capture:\n      cloneEndpoint: "{{result.DBClusters.0.Endpoint}}"\n  - id: two\n    type: aws\n    operation: DescribeDBClusters\n    params:\n      DBClusterIdentifier: "{{inputs.clusterName}}-{{captures.cloneEndpoint}}"\n`;
    const { runbook, diagnostics } = compile(text);
    assert.deepEqual(diagnostics, []);
    const step = runbook!.steps[1]!;
    let caught: TemplateError | undefined;
    try {
      renderDeep(step.fields.params, { inputs: { clusterName: 'lab' }, captures: {} });
    } catch (error) {
      caught = error as TemplateError;
    }
    assert.ok(caught instanceof TemplateError);
    const span = templateErrorSpan(runbook!, step, '/params', caught);
    assert.equal(where({ span }), '18:52');
    assert.equal(span.file, 'lab.yaml');
  });

  it('reports a YAML syntax error where the parser stopped', () => {
    const { diagnostics } = compile('name: lab\nsteps:\n  - id: "one\n    type: sql\n');
    assert.equal(diagnostics[0]!.code, 'yaml-syntax');
    assert.match(diagnostics[0]!.message, /double-quoted string is never closed/);
    assert.equal(where(diagnostics[0]!), '3:9');
  });

  it('mentions both positions of a duplicate step id', () => {
    const { diagnostics } = compile(
      `${base}  - id: one\n    type: wait-until\n    duration: 1s\nfinally:\n  - id: one\n    type: wait-until\n    duration: 1s\n`,
    );
    assert.equal(diagnostics.length, 1);
    assert.equal(diagnostics[0]!.code, 'duplicate-step-id');
    assert.equal(where(diagnostics[0]!), '13:9');
    assert.match(diagnostics[0]!.message, /first used at line 9, column 9/);
  });
});
