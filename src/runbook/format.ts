/**
 * Diagnostics as text: `FILE:LINE:COL: error: message`, the source line with a caret under the span,
 * then `hint: ...`.
 */
import { readFileSync } from 'node:fs';
import pc from 'picocolors';
import type { Diagnostic } from './types.js';

export interface FormatOptions {
  color?: boolean;
  /** The text of the diagnostic's file; read from disk when absent. */
  source?: string;
  /** Texts by file path (e.g. CompiledRunbook.sources); used when `source` is absent. */
  sources?: Record<string, string>;
}

const forced = pc.createColors(true);

const plain = {
  red: (s: string) => s,
  yellow: (s: string) => s,
  cyan: (s: string) => s,
  dim: (s: string) => s,
  bold: (s: string) => s,
};

function sourceOf(d: Diagnostic, options: FormatOptions): string | undefined {
  if (options.source !== undefined) return options.source;
  if (options.sources?.[d.file] !== undefined) return options.sources[d.file];
  if (!d.span) return undefined;
  try {
    return readFileSync(d.file, 'utf8');
  } catch {
    return undefined;
  }
}

function codeFrame(d: Diagnostic, source: string, c: typeof plain): string[] {
  const span = d.span!;
  const lines = source.split('\n');
  const text = lines[span.start.line - 1];
  if (text === undefined) return [];
  const line = text.replace(/\r$/, '');
  const gutter = String(span.start.line);
  const pad = ' '.repeat(gutter.length);
  const startCol = Math.min(span.start.col, line.length + 1);
  const endCol =
    span.end.line === span.start.line ? Math.min(span.end.col, line.length + 1) : line.length + 1;
  const width = Math.max(1, endCol - startCol);
  // Keep tabs so the caret lines up under the text however tabs are shown.
  const lead = line.slice(0, startCol - 1).replace(/[^\t]/g, ' ');
  return [`${c.dim(`${gutter} |`)} ${line}`, `${c.dim(`${pad} |`)} ${lead}${c.red('^'.repeat(width))}`];
}

export function formatDiagnostic(d: Diagnostic, options: FormatOptions = {}): string {
  // Asked-for colour is forced: the caller has already decided the terminal supports it.
  const c = options.color ? forced : plain;
  const where = d.span ? `${d.file}:${d.span.start.line}:${d.span.start.col}` : d.file;
  const severity = d.severity === 'error' ? c.red(c.bold('error')) : c.yellow(c.bold('warning'));
  const out = [`${c.bold(where)}: ${severity}: ${d.message}`];
  if (d.span) {
    const source = sourceOf(d, options);
    if (source !== undefined) out.push(...codeFrame(d, source, c));
  }
  if (d.hint) out.push(`${c.cyan('hint')}: ${d.hint}`);
  return out.join('\n');
}

/** Every diagnostic, separated by blank lines. */
export function formatDiagnostics(list: Diagnostic[], options: Omit<FormatOptions, 'source'> = {}): string {
  return list.map((d) => formatDiagnostic(d, options)).join('\n\n');
}
