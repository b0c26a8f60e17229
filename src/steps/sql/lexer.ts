/**
 * The tokens of one MariaDB statement, with their offsets in the query text. The parser library has no
 * tokenizer of its own to lend, and the static checks need tokens for what its grammar leaves out: the
 * statement's first keyword, the `?` placeholders outside strings and comments, a second statement after a
 * `;`, and the statements labrun recognizes itself (CHECKSUM TABLE, SHOW).
 */

export type SqlTokenKind = 'word' | 'quoted-name' | 'string' | 'placeholder' | 'punct';

export interface SqlToken {
  kind: SqlTokenKind;
  /** The text as written. */
  text: string;
  /** A word uppercased, a name or string without its quotes and escapes. */
  value: string;
  start: number;
  end: number;
}

/** Text the lexer cannot read: an unterminated string, name or comment. */
export interface SqlLexError {
  offset: number;
  length: number;
  message: string;
}

const WORD = /[A-Za-z0-9_$\u0080-\uffff]/;

export function tokenize(query: string): { tokens: SqlToken[]; error?: SqlLexError } {
  const tokens: SqlToken[] = [];
  let i = 0;
  while (i < query.length) {
    const c = query[i]!;
    const next = query[i + 1];
    if (/\s/.test(c)) {
      i += 1;
    } else if (
      c === '#' ||
      (c === '-' && next === '-' && (i + 2 >= query.length || /\s/.test(query[i + 2]!)))
    ) {
      const eol = query.indexOf('\n', i);
      i = eol < 0 ? query.length : eol + 1;
    } else if (c === '/' && next === '*') {
      const close = query.indexOf('*/', i + 2);
      if (close < 0) return { tokens, error: { offset: i, length: 2, message: 'unterminated comment' } };
      i = close + 2;
    } else if (c === "'" || c === '"' || c === '`') {
      const end = closingQuote(query, i);
      if (end < 0) {
        const what = c === '`' ? 'quoted name' : 'string';
        return { tokens, error: { offset: i, length: 1, message: `unterminated ${what}` } };
      }
      const text = query.slice(i, end + 1);
      tokens.push({
        kind: c === '`' ? 'quoted-name' : 'string',
        text,
        value: unquote(text, c === '`'),
        start: i,
        end: end + 1,
      });
      i = end + 1;
    } else if (c === '?') {
      tokens.push({ kind: 'placeholder', text: c, value: c, start: i, end: i + 1 });
      i += 1;
    } else if (WORD.test(c)) {
      let end = i + 1;
      while (end < query.length && WORD.test(query[end]!)) end += 1;
      const text = query.slice(i, end);
      tokens.push({ kind: 'word', text, value: text.toUpperCase(), start: i, end });
      i = end;
    } else {
      tokens.push({ kind: 'punct', text: c, value: c, start: i, end: i + 1 });
      i += 1;
    }
  }
  return { tokens };
}

/** The offset of the quote that closes the one at `start`, or -1. Doubled quotes and backslashes escape. */
function closingQuote(query: string, start: number): number {
  const quote = query[start]!;
  for (let i = start + 1; i < query.length; i++) {
    const c = query[i]!;
    if (c === '\\' && quote !== '`') {
      i += 1;
    } else if (c === quote) {
      if (query[i + 1] === quote) i += 1;
      else return i;
    }
  }
  return -1;
}

const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', '0': '\0', b: '\b', Z: '\x1a' };

function unquote(text: string, name: boolean): string {
  const quote = text[0]!;
  const body = text.slice(1, -1).replaceAll(quote + quote, quote);
  if (name) return body;
  return body.replace(/\\(.)/gs, (_, ch: string) => ESCAPES[ch] ?? ch);
}
