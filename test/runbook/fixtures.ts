/** Paths and a file reader for the runbook fixtures, independent of the directory mocha runs in. */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** Reads paths relative to the repository root, so diagnostics carry repo-relative paths. */
export function readFromRepo(path: string): Uint8Array {
  return readFileSync(isAbsolute(path) ? path : join(repoRoot, path));
}

export function repoText(path: string): string {
  return readFileSync(join(repoRoot, path), 'utf8');
}

/** A reader over in-memory files, for runbooks written inside a test. */
export function memoryFiles(
  files: Record<string, string | Uint8Array>,
): (path: string) => string | Uint8Array {
  return (path: string) => {
    const content = files[path];
    if (content === undefined) {
      throw Object.assign(new Error(`ENOENT: no such file or directory, open '${path}'`), { code: 'ENOENT' });
    }
    return content;
  };
}

/** `line:col` of a diagnostic, for terse assertions. */
export function where(d: { span?: { start: { line: number; col: number } } }): string {
  return d.span ? `${d.span.start.line}:${d.span.start.col}` : '-';
}
