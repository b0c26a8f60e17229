/**
 * Shell words: what a guide command is made of. A word is a list of parts (literal text, a shell variable, a
 * placeholder the reader replaces, a command substitution); `quote` writes it the way a person would type it,
 * bare when it is plain, single-quoted when it holds special characters, double-quoted around variables.
 */

export type Part =
  | { kind: 'text'; text: string }
  | { kind: 'var'; name: string }
  /** Written as `[name]`: a value the reader puts in by hand. */
  | { kind: 'placeholder'; name: string }
  /** `$(code)`: code is shell text, already quoted. */
  | { kind: 'command'; code: string };

export type Word = Part[];

export const text = (value: string): Word => [{ kind: 'text', text: value }];
export const variable = (name: string): Word => [{ kind: 'var', name }];

const PLAIN = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** Text as one shell word: bare when plain, else in single quotes. */
export function quoteText(value: string): string {
  if (value !== '' && PLAIN.test(value)) return value;
  // An apostrophe reads better in double quotes, when nothing in the text is special there.
  if (value.includes("'") && !/[\\$`"!]/.test(value)) return `"${value}"`;
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

function escapeDouble(value: string): string {
  return value.replace(/[\\$`"]/g, (c) => `\\${c}`);
}

/** Merges adjacent text parts, so quoting sees whole runs of text. */
export function normalize(word: Word): Word {
  const out: Word = [];
  for (const part of word) {
    const last = out[out.length - 1];
    if (part.kind === 'text' && last?.kind === 'text')
      out[out.length - 1] = { kind: 'text', text: last.text + part.text };
    else if (part.kind !== 'text' || part.text !== '') out.push(part);
  }
  return out;
}

/** The word as shell text. */
export function quote(input: Word): string {
  const word = normalize(input);
  if (word.length === 0) return "''";
  if (word.every((p) => p.kind === 'text' || p.kind === 'placeholder')) {
    const plain = word.every((p) => p.kind === 'placeholder' || PLAIN.test(p.text));
    if (plain) return word.map((p) => (p.kind === 'text' ? p.text : `[${p.name}]`)).join('');
    if (word.length === 1 && word[0]!.kind === 'text') return quoteText(word[0]!.text);
  }
  let out = '"';
  word.forEach((part, i) => {
    if (part.kind === 'text') out += escapeDouble(part.text);
    else if (part.kind === 'placeholder') out += `[${part.name}]`;
    else if (part.kind === 'command') out += `$(${part.code})`;
    else {
      const next = word[i + 1];
      const glued = next?.kind === 'text' && /^[A-Za-z0-9_]/.test(next.text);
      out += glued ? `\${${part.name}}` : `$${part.name}`;
    }
  });
  return `${out}"`;
}

/** The word's text when it is all literal. */
export function literalText(word: Word): string | undefined {
  const parts = normalize(word);
  if (parts.every((p) => p.kind === 'text')) return parts.map((p) => (p as { text: string }).text).join('');
  return undefined;
}

/** Text inside an SQL string literal: `'` doubled, backslashes doubled (MySQL's default escaping). */
export function sqlString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}

/** Seconds as `sleep` and `timeout` take them: 0.1, 2, 1800. */
export function seconds(ms: number): string {
  return String(Math.round(ms) / 1000);
}
