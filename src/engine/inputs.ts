/**
 * Input values for a run, resolved by the front end's rules (`--set`, stack output, environment variable,
 * default; coerced to the declared type). Any problem stops the run before a step starts, as a usage error
 * that carries every diagnostic at once.
 */
import { resolveInputs, type InputSources } from '../runbook/index.js';
import type { CompiledRunbook, Diagnostic } from '../runbook/types.js';
import { UsageError } from '../core/errors.js';

export function resolveRunInputs(
  runbook: CompiledRunbook,
  sources: InputSources,
  /** Told each warning (a `--set` that disagrees with the stack output the input reads). */
  warn: (diagnostic: Diagnostic) => void = () => undefined,
): Record<string, unknown> {
  const { values, diagnostics } = resolveInputs(runbook.inputs, {
    ...sources,
    // An empty variable (DBPASS= in a shell profile) is as good as unset, not a value.
    env: Object.fromEntries(
      Object.entries(sources.env ?? process.env).filter(([, v]) => v !== undefined && v !== ''),
    ),
  });
  for (const diagnostic of diagnostics) if (diagnostic.severity === 'warning') warn(diagnostic);
  const errors = diagnostics
    .filter((d) => d.severity === 'error')
    .map((d) => (d.file === '' ? { ...d, file: runbook.file } : d));
  if (errors.length > 0) {
    const first = errors[0]!;
    throw new UsageError(
      errors.length === 1 ? first.message : `${errors.length} problems with inputs`,
      errors.length === 1 ? first.hint : undefined,
      errors,
    );
  }
  return values;
}
