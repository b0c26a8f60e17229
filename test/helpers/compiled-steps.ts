/**
 * Compiled steps of a runbook written inside a test, for calling a step type's static facets directly. The
 * steps are compiled the way compileRunbook compiles them, whether or not the static checks would pass.
 */
import assert from 'node:assert/strict';
import { compileStep } from '../../src/runbook/compile.js';
import { Assembler } from '../../src/runbook/expand.js';
import type { CompiledStep } from '../../src/runbook/types.js';
import type { StaticContext } from '../../src/steps/static-types.js';
import { memoryFiles } from '../runbook/fixtures.js';

const HEADER = `name: statics
inputs:
  host: {}
  tableSize: { type: integer, default: 1000 }
  threads: { type: integer, default: 1 }
  label: { default: x }
connections:
  db:
    host: "{{inputs.host}}"
    user: u
    password: p
    disposable: true
`;

/** The compiled steps of `steps:` YAML (indented as under a runbook's `steps:` key). */
export function compiledSteps(steps: string): CompiledStep[] {
  const assembler = new Assembler(memoryFiles({ 'statics.yaml': `${HEADER}steps:\n${steps}` }));
  const assembled = assembler.assemble('statics.yaml');
  assert.ok(assembled, `the runbook assembles: ${assembler.diagnostics.map((d) => d.message).join('; ')}`);
  return assembled.steps.map(compileStep);
}

/** The one compiled step of `steps:` YAML. */
export function compiledStep(step: string): CompiledStep {
  const [first] = compiledSteps(step);
  assert.ok(first);
  return first;
}

/** A context that knows the types of the inputs declared above, and nothing else. */
export const staticContext: StaticContext = {
  typeOf(template) {
    const input = /^\{\{\s*inputs\.(\w+)\s*\}\}$/.exec(template)?.[1];
    if (input === 'tableSize' || input === 'threads') return { kind: 'integer' };
    if (input === 'label' || input === 'host') return { kind: 'string' };
    return undefined;
  },
};
