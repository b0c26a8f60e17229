/**
 * `labrun validate FILE...`: every problem of each runbook, as text (stderr, with code frames), JSON or GitHub
 * annotations (stdout). Exit 2 when any runbook has an error (or, with --strict, a warning).
 *
 * A problem in a step group that several of the runbooks include is reported once, for the first of them;
 * the others still count as invalid.
 */
import { diagnosticJson, githubAnnotation } from '../../runbook/annotations.js';
import { applyStrict } from '../../runbook/diagnostic.js';
import { compileRunbook, formatDiagnostics } from '../../runbook/index.js';
import type { Diagnostic } from '../../runbook/types.js';
import { EXIT } from '../exit-codes.js';
import type { Output } from '../output.js';
import { warnGuardOff } from './load.js';

export const VALIDATE_FORMATS = ['text', 'json', 'github'] as const;
export type ValidateFormat = (typeof VALIDATE_FORMATS)[number];

export interface ValidateFlags {
  allowDestructive?: boolean;
  format?: ValidateFormat;
  strict?: boolean;
}

function identity(d: Diagnostic): string {
  return `${d.file}\0${d.span?.offset ?? -1}\0${d.span?.endOffset ?? -1}\0${d.code}\0${d.message}`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

export async function validateCommand(
  files: string[],
  output: Output,
  flags: ValidateFlags = {},
): Promise<number> {
  const format = flags.format ?? 'text';
  if (flags.allowDestructive) warnGuardOff(output);
  const reported = new Set<string>();
  const results: Array<{ file: string; valid: boolean; errors: number; warnings: number }> = [];
  const shown: Diagnostic[] = [];
  let invalid = 0;
  for (const file of files) {
    const compiled = compileRunbook(file, { guardDestructive: !flags.allowDestructive });
    const diagnostics = applyStrict(compiled.diagnostics, flags.strict);
    const errors = diagnostics.filter((d) => d.severity === 'error').length;
    const warnings = diagnostics.length - errors;
    const fresh = diagnostics.filter((d) => !reported.has(identity(d)));
    for (const d of fresh) reported.add(identity(d));
    shown.push(...fresh);
    results.push({ file, valid: errors === 0, errors, warnings });
    if (errors > 0) invalid += 1;
    if (format !== 'text') continue;
    if (fresh.length > 0) output.err(formatDiagnostics(fresh));
    const repeated = diagnostics.length - fresh.length;
    const again = repeated > 0 ? `; ${plural(repeated, 'problem')} in shared files reported above` : '';
    if (errors > 0) {
      if (repeated > 0) output.err(`${file}: invalid${again}`);
    } else {
      output.out(`ok ${file}${warnings > 0 ? ` (${plural(warnings, 'warning')}${again})` : ''}`);
    }
  }
  if (format === 'json') {
    output.out(
      JSON.stringify(
        { valid: invalid === 0, files: results, diagnostics: shown.map(diagnosticJson) },
        null,
        2,
      ),
    );
  } else if (format === 'github') {
    for (const d of shown) output.out(githubAnnotation(d));
  } else if (invalid > 0 && files.length > 1) {
    output.err(`${invalid} of ${files.length} files are invalid`);
  }
  return invalid > 0 ? EXIT.usage : EXIT.passed;
}
