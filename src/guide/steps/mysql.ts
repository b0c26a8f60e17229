/**
 * The mysql client as the guide uses it: `mysql -h HOST -u USER DATABASE -e STATEMENT`, the password read from
 * MYSQL_PWD (set once before the lab, or in front of the command when connections differ), never from the
 * command line. Values a later step needs are read with `-N -B` (no header, tab-separated) and `awk`.
 */
import type { CompiledStep } from '../../runbook/types.js';
import type { ConnectionWords, GuideContext, Wanted } from '../context.js';
import { literalText, quote, sqlString, text, type Word } from '../shell.js';

/** True when every connection has the same password template: MYSQL_PWD is then exported once. */
export function sharedPassword(ctx: GuideContext): boolean {
  const passwords = new Set(Object.values(ctx.runbook.connections).map((c) => c.password));
  return passwords.size <= 1;
}

export function mysqlCommand(
  ctx: GuideContext,
  connection: ConnectionWords,
  statement: Word,
  options: { values?: boolean } = {},
): string {
  const parts: string[] = [];
  const password = quote(connection.password);
  if (!sharedPassword(ctx) && literalText(connection.password) !== '') parts.push(`MYSQL_PWD=${password}`);
  parts.push('mysql', '-h', quote(connection.host));
  if (literalText(connection.port) !== '3306') parts.push('-P', quote(connection.port));
  parts.push('-u', quote(connection.user));
  if (connection.database) parts.push(quote(connection.database));
  if (options.values) parts.push('-N', '-B');
  parts.push('-e', quote(statement));
  return parts.join(' ');
}

/** The `?` placeholders of a statement replaced by SQL literals (or shell words inside quotes). */
export function statementWord(ctx: GuideContext, step: CompiledStep, query: string, params: unknown[]): Word {
  const word: Word = [];
  let index = 0;
  let quoteChar = '';
  let chunk = '';
  for (const c of query) {
    if (quoteChar) {
      if (c === quoteChar) quoteChar = '';
      chunk += c;
    } else if (c === "'" || c === '"' || c === '`') {
      quoteChar = c;
      chunk += c;
    } else if (c === '?') {
      word.push(...text(chunk));
      chunk = '';
      const pointer = `/params/${index}`;
      if (index >= params.length)
        ctx.fail(step, '/query', 'the statement has more ? placeholders than params');
      const value = params[index++];
      const param = ctx.word(step, pointer, value);
      const literal = literalText(param);
      if (
        typeof value === 'number' ||
        (literal !== undefined && /^-?\d+(\.\d+)?$/.test(literal) && typeof value !== 'string')
      )
        word.push(...param);
      else if (literal !== undefined) word.push(...text(sqlString(literal)));
      else word.push(...text("'"), ...param, ...text("'"));
    } else {
      chunk += c;
    }
  }
  word.push(...text(chunk));
  return word;
}

/** Column names of a statement's result, where the statement shows them plainly. */
export function resultColumns(query: string): string[] | undefined {
  const sql = query.trim().replace(/;\s*$/, '');
  if (/^checksum\s+tables?\b/i.test(sql)) return ['Table', 'Checksum'];
  const select = /^select\s+([\s\S]*?)(?:\s+from\s+[\s\S]*)?$/i.exec(sql);
  if (!select) return undefined;
  const items: string[] = [];
  let depth = 0;
  let quoteChar = '';
  let current = '';
  for (const c of select[1]!) {
    if (quoteChar) {
      if (c === quoteChar) quoteChar = '';
    } else if (c === "'" || c === '"' || c === '`') quoteChar = c;
    else if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === ',' && depth === 0) {
      items.push(current);
      current = '';
      continue;
    }
    current += c;
  }
  items.push(current);
  return items.map((item) => {
    const alias = /\s(?:as\s+)?`?([A-Za-z_][A-Za-z0-9_]*)`?\s*$/i.exec(item.trim());
    if (alias) return alias[1]!;
    const bare = /^`?([A-Za-z_][A-Za-z0-9_.]*)`?$/.exec(item.trim());
    return bare ? bare[1]!.split('.').pop()! : item.trim();
  });
}

/** `awk` that prints one value of `mysql -N -B` output: row `row` (0-based), column `column` (1-based). */
export function awkPick(row: number, column: number): string {
  return `awk -F'\\t' 'NR == ${row + 1} { print $${column} }'`;
}

/** Where a wanted value is in a `rows` result: its row and column; fails for other result paths. */
export function locate(
  ctx: GuideContext,
  step: CompiledStep,
  query: string,
  wanted: Wanted,
): { row: number; column: number } {
  const [rows, row, name, ...rest] = wanted.path;
  const where = wanted.capture ? `/capture/${wanted.capture}` : '/query';
  if (rows !== 'rows' || row === undefined || !/^\d+$/.test(row) || name === undefined || rest.length > 0) {
    ctx.fail(
      step,
      where,
      `result.${wanted.path.join('.')} cannot be read from the mysql client's output; only rows.N.column can`,
    );
  }
  const columns = resultColumns(query);
  const index = columns?.indexOf(name) ?? -1;
  if (index < 0) {
    if (columns?.length === 1) return { row: Number(row), column: 1 };
    ctx.fail(step, where, `cannot tell which column of the statement's result "${name}" is`);
  }
  return { row: Number(row), column: index + 1 };
}
