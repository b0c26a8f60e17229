/**
 * `labrun guide` over parameterised step groups: a section per use of a group the runbook includes (a group
 * included twice in a row gives two sections; a group's nested groups stay in its section), and the
 * instantiated steps translate like written-out ones.
 */
import assert from 'node:assert/strict';
import { buildGuide } from '../../src/guide/build.js';
import { compileRunbook, formatDiagnostics } from '../../src/runbook/index.js';
import { memoryFiles } from '../runbook/fixtures.js';

const files = {
  'main.yaml': `name: groups-guide
inputs:
  clusterName: {default: lab}
steps:
  - include: backtrack.steps.yaml
    as: first
    with: {cluster: "{{inputs.clusterName}}-a"}
  - include: backtrack.steps.yaml
    as: second
    with: {cluster: "{{inputs.clusterName}}-b"}
`,
  'backtrack.steps.yaml': `kind: steps
title: Backtrack
params:
  cluster: {}
steps:
  - id: backtrack
    type: aws
    operation: BacktrackDBCluster
    params: {DBClusterIdentifier: "{{params.cluster}}", BacktrackTo: "2026-12-03T10:00:00Z"}
  - include: wait.steps.yaml
    with: {cluster: "{{params.cluster}}"}
`,
  'wait.steps.yaml': `kind: steps
params:
  cluster: {}
steps:
  - id: wait
    type: wait-until
    probe:
      type: aws
      operation: DescribeDBClusters
      params: {DBClusterIdentifier: "{{params.cluster}}"}
    value: "{{result.DBClusters.0.Status}}"
    success: [available]
`,
};

describe('labrun guide over parameterised step groups', () => {
  it('gives each use of a group its own section, nested groups included, with its own values', () => {
    const result = compileRunbook('main.yaml', { readFile: memoryFiles(files) });
    assert.ok(result.runbook, formatDiagnostics(result.diagnostics, { sources: result.sources ?? {} }));
    const guide = buildGuide(result.runbook, 'md', { targeted: false });
    assert.deepEqual(
      guide.sections.map((s) => s.steps.length),
      [2, 2],
    );
    const text = JSON.stringify(guide.sections);
    assert.match(text, /lab-a/);
    assert.match(text, /lab-b/);
  });
});
