/**
 * steps.<id>.status and the comparison and logic helpers, run by the real engine: what `if` and templates
 * see for a passed, a failed, a skipped and a never-reached step, and how gt/gte/lt/lte/and/or/not render
 * (numbers, instants, mixing refused at run time with the template's position).
 */
import assert from 'node:assert/strict';
import { workspace, type Workspace } from '../helpers/runbook.js';

describe('steps.<id>.status and comparison helpers (engine)', function () {
  this.timeout(60_000);
  let ws: Workspace;

  before(async () => {
    ws = await workspace();
  });
  after(async () => {
    await ws?.remove();
  });

  it('gives passed, skipped and failed, and skipped for a step the run never reached', async () => {
    const { record } = await ws.run(`name: status-run
steps:
  - id: ok
    type: capture
    name: ok
    value: 1
  - id: not-wanted
    type: capture
    name: notWanted
    if: false
    value: 2
  - id: breaks
    type: assert
    that:
      - actual: 1
        equals: 2
  - id: never
    type: capture
    name: never
    value: 3
finally:
  - id: report
    type: capture
    name: seen
    value: "{{steps.ok.status}} {{steps.not-wanted.status}} {{steps.breaks.status}} {{steps.never.status}}"
  - id: only-after-failure
    type: capture
    name: cleanedUp
    if: "{{and (eq steps.breaks.status \\"failed\\") (not (eq steps.ok.status \\"failed\\"))}}"
    value: yes
  - id: only-if-passed
    type: capture
    name: skippedCleanup
    if: "{{eq steps.never.status \\"passed\\"}}"
    value: no
`);
    assert.equal(record.status, 'failed');
    assert.equal(record.captures.seen, 'passed skipped failed skipped');
    assert.equal(record.captures.cleanedUp, 'yes');
    const byId = new Map(record.steps.map((s) => [s.id, s.status]));
    assert.equal(byId.get('only-if-passed'), 'skipped');
    assert.equal(byId.get('never'), 'skipped');
  });

  it('renders gt, gte, lt, lte on numbers and instants, and and/or/not', async () => {
    const { record } = await ws.run(`name: helpers-run
steps:
  - id: values
    type: capture
    name: values
    value: >-
      {{gt 10 9}} {{gte 3 3}} {{lt "2.5" 10}} {{lte 4 3}}
      {{gt "2026-12-03T10:00:00.000001Z" "2026-12-03T10:00:00Z"}}
      {{lte "2026-12-03T11:00:00+01:00" "2026-12-03T10:00:00Z"}}
      {{and true 1 "x"}} {{and true 0}} {{or false "" 0}} {{or false "yes"}}
  - id: typed
    type: capture
    name: typed
    value: "{{gte 5 2}}"
`);
    assert.equal(record.status, 'passed', JSON.stringify(record.steps.map((s) => s.error)));
    assert.equal(record.captures.values, 'true true true false true true true false false true');
    assert.equal(record.captures.typed, true);
  });

  it('fails a step that compares a number with an instant, pointing at the template', async () => {
    // An input's value is known only at run time, so the static check cannot refuse this one.
    const { record } = await ws.run(
      `name: helpers-mixed
inputs:
  when: {}
steps:
  - id: mixed
    type: capture
    name: mixed
    value: "{{gt 5 inputs.when}}"
`,
      { set: { when: '2026-12-03T10:00:00Z' } },
    );
    const step = record.steps[0]!;
    assert.equal(step.status, 'failed');
    assert.match(step.error!.message, /gt cannot compare a number \(5\) with an instant/);
    assert.match(step.error!.span ?? '', /runbook-\d+\.yaml:8:13$/);
  });

  it('and/or read their arguments only as far as needed', async () => {
    const { record } = await ws.run(`name: short-circuit
steps:
  - id: breaks
    type: assert
    that:
      - actual: 1
        equals: 2
finally:
  - id: guarded
    type: capture
    name: guarded
    # A failed step has no result: or must not read it once the first argument is true.
    value: "{{or (eq steps.breaks.status \\"failed\\") steps.breaks.result.assertions}}"
`);
    assert.equal(record.steps[1]!.status, 'passed', JSON.stringify(record.steps[1]!.error));
    assert.equal(record.captures.guarded, true);
  });
});
