/** Each kind of undefined or misplaced reference, with its code, position and suggestion. */
import assert from 'node:assert/strict';
import { compileRunbook } from '../../src/runbook/index.js';
import { memoryFiles, where } from './fixtures.js';

const header = `name: lab
inputs:
  clusterName: {default: lab}
connections:
  source: {host: 127.0.0.1, user: root}
  clone: {host: "{{captures.cloneEndpoint}}", user: root}
steps:
  - id: describe
    type: aws
    operation: DescribeDBClusters
    capture:
      cloneEndpoint: "{{result.DBClusters.0.Endpoint}}"
`;

function check(steps: string, extra = '') {
  const { diagnostics } = compileRunbook('lab.yaml', {
    readFile: memoryFiles({ 'lab.yaml': header + steps + extra }),
  });
  return diagnostics.map((d) => ({ code: d.code, at: where(d), message: d.message, hint: d.hint }));
}

const assertStep = (actual: string) =>
  `  - id: check\n    type: assert\n    that:\n      - actual: "${actual}"\n        exists: true\n`;

describe('references', () => {
  it('accepts references to earlier steps, captures, declared inputs and env', () => {
    assert.deepEqual(
      check(
        assertStep(
          '{{captures.cloneEndpoint}} {{steps.describe.result.DBClusters}} {{inputs.clusterName}} {{env.HOME}}',
        ),
      ),
      [],
    );
  });

  it('an undeclared input', () => {
    const [d] = check(assertStep('{{inputs.clusterNam}}'));
    assert.deepEqual(
      [d!.code, d!.at, d!.hint],
      ['unknown-reference', '16:18', 'did you mean "clusterName"?'],
    );
  });

  it('a capture that nothing captures', () => {
    const [d] = check(assertStep('x {{captures.cloneEndpont}}'));
    assert.deepEqual(
      [d!.code, d!.at, d!.hint],
      ['unknown-reference', '16:20', 'did you mean "cloneEndpoint"?'],
    );
  });

  it('a capture used before the step that captures it', () => {
    const steps = `${assertStep('{{captures.later}}')}  - id: make\n    type: capture\n    name: later\n    value: x\n`;
    const [d] = check(steps);
    assert.equal(d!.code, 'reference-before-definition');
    assert.match(d!.message, /step "make" captures it later/);
  });

  it('finally may use a capture made by any step', () => {
    const steps = `  - id: make\n    type: capture\n    name: later\n    value: x\n`;
    assert.deepEqual(
      check(steps, `finally:\n${assertStep('{{captures.later}}').replace('id: check', 'id: last')}`),
      [],
    );
  });

  it('a step that runs later, itself, or does not exist', () => {
    const later = check(
      `${assertStep('{{steps.after.result}}')}  - id: after\n    type: wait-until\n    duration: 1s\n`,
    );
    assert.deepEqual(
      later.map((d) => d.code),
      ['reference-before-definition'],
    );
    const self = check(`  - id: self\n    type: capture\n    name: v\n    value: "{{steps.self.result}}"\n`);
    assert.match(self[0]!.message, /refers to its own result/);
    const unknown = check(assertStep('{{steps.describ.result}}'));
    assert.deepEqual([unknown[0]!.code, unknown[0]!.hint], ['unknown-reference', 'did you mean "describe"?']);
    const noResult = check(assertStep('{{steps.describe.DBClusters}}'));
    assert.equal(noResult[0]!.hint, 'did you mean "steps.describe.result.DBClusters"?');
  });

  it('result outside a capture or wait-until value', () => {
    const [d] = check(assertStep('{{result.DBClusters}}'));
    assert.equal(d!.code, 'unknown-reference');
    assert.match(d!.message, /only available in a step's capture templates and in a wait-until value/);
    const inValue = `  - id: wait\n    type: wait-until\n    probe: {type: aws, operation: DescribeDBClusters}\n    value: "{{result.DBClusters.0.Status}}"\n    success: [available]\n`;
    assert.deepEqual(check(inValue), []);
    const inProbe = `  - id: wait\n    type: wait-until\n    probe: {type: aws, operation: DescribeDBClusters, params: {DBClusterIdentifier: "{{result.x}}"}}\n    value: "{{result.DBClusters.0.Status}}"\n    success: [available]\n`;
    assert.deepEqual(
      check(inProbe).map((d) => d.code),
      ['unknown-reference'],
    );
  });

  it('an unknown root', () => {
    const [d] = check(assertStep('{{capture.cloneEndpoint}}'));
    assert.deepEqual([d!.code, d!.hint], ['unknown-reference', 'did you mean "captures"?']);
  });

  it('an unknown connection, and a connection used before what it needs is captured', () => {
    const unknown = check(`  - id: q\n    type: sql\n    connection: sourc\n    query: SELECT 1\n`);
    assert.deepEqual(
      unknown.map((d) => [d.code, d.at, d.hint]),
      [['unknown-connection', '15:17', 'did you mean "source"?']],
    );
    const file =
      header.replace(/steps:\n[\s\S]*$/, 'steps:\n') +
      `  - id: q\n    type: sql\n    connection: clone\n    query: SELECT 1\n  - id: describe\n    type: aws\n    operation: DescribeDBClusters\n    capture:\n      cloneEndpoint: x\n`;
    const { diagnostics } = compileRunbook('lab.yaml', { readFile: memoryFiles({ 'lab.yaml': file }) });
    assert.deepEqual(
      diagnostics.map((d) => [d.code, where(d)]),
      [['reference-before-definition', '6:18']],
    );
  });

  it('an unknown AWS operation, a misplaced service and a Command suffix', () => {
    const op = (name: string, service = '') =>
      check(`  - id: op\n    type: aws\n${service}    operation: ${name}\n`);
    assert.deepEqual(
      op('RestoreDBClusterToPointInTim').map((d) => [d.code, d.hint]),
      [['unknown-aws-operation', 'did you mean "RestoreDBClusterToPointInTime"?']],
    );
    assert.match(op('DescribeStacks')[0]!.hint!, /service: cloudformation/);
    assert.deepEqual(op('DescribeStacks', '    service: cloudformation\n'), []);
    assert.match(op('DescribeDBClustersCommand')[0]!.hint!, /drop the Command suffix/);
  });

  it('template syntax errors point into the template', () => {
    const [d] = check(assertStep('ok {{inputs.clusterName}} {{#if}}'));
    assert.equal(d!.code, 'template-syntax');
    assert.equal(d!.at, '16:44');
  });
});
