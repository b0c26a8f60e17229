/**
 * Diagnostics for machines: GitHub Actions workflow commands (`::error file=…,line=…,col=…::message`, shown
 * inline on a pull request) and plain JSON objects.
 */
import type { Diagnostic } from './types.js';

/** Data of a workflow command: `%`, CR and LF escaped. */
function escapeData(text: string): string {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** A property of a workflow command: also `:` and `,`. */
function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

/** One `::error` or `::warning` line; the hint follows the message on a line of its own. */
export function githubAnnotation(d: Diagnostic): string {
  const properties = [`file=${escapeProperty(d.file)}`];
  if (d.span) {
    properties.push(`line=${d.span.start.line}`, `col=${d.span.start.col}`);
    if (d.span.end.line !== d.span.start.line) properties.push(`endLine=${d.span.end.line}`);
    else if (d.span.end.col > d.span.start.col) properties.push(`endColumn=${d.span.end.col}`);
  }
  properties.push(`title=${escapeProperty(`labrun ${d.code}`)}`);
  const message = d.hint ? `${d.message}\nhint: ${d.hint}` : d.message;
  return `::${d.severity} ${properties.join(',')}::${escapeData(message)}`;
}

export interface DiagnosticJson {
  file: string;
  line?: number;
  col?: number;
  endLine?: number;
  endCol?: number;
  severity: Diagnostic['severity'];
  code: Diagnostic['code'];
  message: string;
  hint?: string;
}

export function diagnosticJson(d: Diagnostic): DiagnosticJson {
  return {
    file: d.file,
    ...(d.span
      ? { line: d.span.start.line, col: d.span.start.col, endLine: d.span.end.line, endCol: d.span.end.col }
      : {}),
    severity: d.severity,
    code: d.code,
    message: d.message,
    ...(d.hint ? { hint: d.hint } : {}),
  };
}
