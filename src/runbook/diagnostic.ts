/** Building diagnostics, and the order they are reported in. */
import type { Diagnostic, DiagnosticCode, SourceSpan } from './types.js';

export function error(
  code: DiagnosticCode,
  message: string,
  file: string,
  span?: SourceSpan,
  hint?: string,
): Diagnostic {
  // A span knows its file: a problem inside an include's `with:` template, found in a group's step, is
  // reported in the including file.
  const diagnostic: Diagnostic = { code, severity: 'error', message, file: span?.file ?? file };
  if (span) diagnostic.span = span;
  if (hint) diagnostic.hint = hint;
  return diagnostic;
}

export function warning(
  code: DiagnosticCode,
  message: string,
  file: string,
  span?: SourceSpan,
  hint?: string,
): Diagnostic {
  return { ...error(code, message, file, span, hint), severity: 'warning' };
}

/** Source order: by file (in first-seen order), then offset; exact duplicates dropped. */
export function sortDiagnostics(list: Diagnostic[]): Diagnostic[] {
  const fileOrder = new Map<string, number>();
  for (const d of list) if (!fileOrder.has(d.file)) fileOrder.set(d.file, fileOrder.size);
  const seen = new Set<string>();
  const unique = list.filter((d) => {
    const key = `${d.file}\0${d.span?.offset ?? -1}\0${d.code}\0${d.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  return unique
    .map((d, index) => ({ d, index }))
    .sort(
      (a, b) =>
        fileOrder.get(a.d.file)! - fileOrder.get(b.d.file)! ||
        (a.d.span?.offset ?? -1) - (b.d.span?.offset ?? -1) ||
        a.index - b.index,
    )
    .map(({ d }) => d);
}

export function hasErrors(list: Diagnostic[]): boolean {
  return list.some((d) => d.severity === 'error');
}

/** With `strict` (the CLI's --strict) every warning is an error. */
export function applyStrict(list: Diagnostic[], strict: boolean | undefined): Diagnostic[] {
  return strict ? list.map((d) => (d.severity === 'warning' ? { ...d, severity: 'error' } : d)) : list;
}
