/** Compiled steps from YAML snippets and a StaticContext with known template types, for the statics' unit tests. */
import { parse } from 'yaml';
import type { CompiledStep, StepTypeName } from '../../../src/runbook/types.js';
import type { StaticProblem, ValueType } from '../../../src/runbook/value-type.js';
import type { StaticContext } from '../../../src/steps/static-types.js';

/** A step whose type-specific fields are the YAML mapping given (as the compiler keeps them). */
export function stepFrom(type: StepTypeName, yaml: string): CompiledStep {
  const fields = parse(yaml) as Record<string, unknown>;
  const span = {
    file: 'test.yaml',
    start: { line: 1, col: 1 },
    end: { line: 1, col: 1 },
    offset: 0,
    endOffset: 0,
  };
  return { id: 'step', type, fields, cleanup: false, span, spans: {} };
}

/** Templates whose type the runbook declares (typed inputs); every other template is of unknown type. */
export function contextWith(types: Record<string, ValueType>): StaticContext {
  return { typeOf: (template) => types[template] };
}

export const noTypes = contextWith({});

/** The problems as short lines, for readable assertions: "code pointer: message (hint)". */
export function lines(problems: StaticProblem[]): string[] {
  return problems.map(
    (p) =>
      `${p.severity ?? 'error'} ${p.code} ${p.pointer}${p.at === 'key' ? ' (key)' : ''}: ${p.message}${p.hint ? ` | ${p.hint}` : ''}`,
  );
}
