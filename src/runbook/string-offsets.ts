/**
 * Where a character of a YAML string value stands in the file. A value and its source text differ by quotes,
 * escapes (`\"`, `\n`, `\u00e9`), `''` in single quotes, line folding, and the indentation and header of block
 * scalars (`|`, `>`), so a position inside a value (an SQL syntax error, a path inside a template) is mapped
 * back character by character.
 */

/** For each index of `value` (and `value.length`), the offset in `source` of the character it came from. */
export function valueOffsets(source: string, value: string): number[] {
  if (source[0] === '|' || source[0] === '>') {
    const stream = blockStream(source);
    const at = align(
      stream.map((entry) => entry.c),
      value,
    ).map((k) => stream[k]?.at ?? source.length);
    return at;
  }
  const decoded = decode(source);
  if (decoded && decoded.value === value) return [...decoded.at, decoded.end];
  return align(source.split(''), value);
}

/**
 * The source range [start, end) of `length` characters of `value` starting at `offset`, relative to the start
 * of `source` (the text of the value node, quotes or block header included).
 */
export function valueRange(
  source: string,
  value: string,
  offset: number,
  length: number,
): { start: number; end: number } {
  const at = valueOffsets(source, value);
  const first = Math.max(0, Math.min(offset, value.length));
  const last = Math.max(first, Math.min(offset + Math.max(length, 1), value.length));
  const start = at[first]!;
  // The end is just after the last character, so an escape sequence is covered whole.
  const end = last > first ? endOf(source, at, last - 1) : start + (first < value.length ? 1 : 0);
  return { start, end: Math.max(start, end) };
}

function endOf(source: string, at: number[], index: number): number {
  const start = at[index]!;
  const next = at[index + 1];
  // An escape (\n, \u00e9) spans up to the next character's source position when that is on the same line.
  if (source[start] === '\\' && next !== undefined && next > start) {
    const lineBreak = source.indexOf('\n', start);
    return lineBreak >= 0 && lineBreak < next ? lineBreak : next;
  }
  return start + 1;
}

interface Decoded {
  value: string;
  at: number[];
  /** Source offset just past the value's last character. */
  end: number;
}

function decode(source: string): Decoded | undefined {
  const first = source[0];
  if (first === '"' || first === "'") return decodeFlow(source, 1, first);
  return decodeFlow(source, 0, undefined);
}

const ESCAPES: Record<string, string> = {
  '0': '\0',
  a: '\x07',
  b: '\b',
  t: '\t',
  '\t': '\t',
  n: '\n',
  v: '\v',
  f: '\f',
  r: '\r',
  e: '\x1b',
  ' ': ' ',
  '"': '"',
  '/': '/',
  '\\': '\\',
  N: '\x85',
  _: '\xa0',
  L: '\u2028',
  P: '\u2029',
};

const HEX_ESCAPES: Record<string, number> = { x: 2, u: 4, U: 8 };

/** Plain (quote undefined), single- or double-quoted scalars, with YAML line folding. */
function decodeFlow(source: string, start: number, quote: string | undefined): Decoded | undefined {
  let value = '';
  const at: number[] = [];
  const push = (text: string, offset: number) => {
    for (const unit of text) {
      for (let k = 0; k < unit.length; k++) at.push(offset);
      value += unit;
    }
  };
  let i = start;
  let end = source.length;
  while (i < source.length) {
    const c = source[i]!;
    if (quote !== undefined && c === quote) {
      if (quote === "'" && source[i + 1] === "'") {
        push("'", i);
        i += 2;
        continue;
      }
      end = i;
      break;
    }
    if (quote === '"' && c === '\\') {
      const next = source[i + 1];
      if (next === '\n' || next === '\r') {
        // An escaped line break: the break and the next line's indentation are dropped.
        i += next === '\r' && source[i + 2] === '\n' ? 3 : 2;
        while (source[i] === ' ' || source[i] === '\t') i++;
        continue;
      }
      if (next !== undefined && next in ESCAPES) {
        push(ESCAPES[next]!, i);
        i += 2;
        continue;
      }
      const digits = next === undefined ? undefined : HEX_ESCAPES[next];
      if (digits !== undefined) {
        const hex = source.slice(i + 2, i + 2 + digits);
        if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== digits) return undefined;
        push(String.fromCodePoint(parseInt(hex, 16)), i);
        i += 2 + digits;
        continue;
      }
      return undefined;
    }
    if (c === ' ' || c === '\t') {
      let j = i;
      while (source[j] === ' ' || source[j] === '\t') j++;
      if (source[j] === '\n' || source[j] === '\r' || (quote === undefined && j >= source.length)) {
        i = j; // trailing white space of a line is not part of the value
        continue;
      }
      for (let k = i; k < j; k++) push(source[k]!, k);
      i = j;
      continue;
    }
    if (c === '\n' || c === '\r') {
      const breakAt = i;
      let breaks = 0;
      while (i < source.length) {
        if (source[i] === '\r' && source[i + 1] === '\n') i++;
        if (source[i] !== '\n' && source[i] !== '\r') break;
        breaks++;
        i++;
        while (source[i] === ' ' || source[i] === '\t') i++;
      }
      if (breaks === 1) push(' ', breakAt);
      else for (let k = 1; k < breaks; k++) push('\n', breakAt);
      continue;
    }
    push(c, i);
    i++;
  }
  return { value, at, end };
}

/**
 * A block scalar: the header line, then lines with the content indentation removed, as (character, offset)
 * pairs; line breaks kept (folding and chomping are left to the alignment).
 */
function blockStream(source: string): Array<{ c: string; at: number }> {
  const headerEnd = source.indexOf('\n');
  if (headerEnd < 0) return [];
  const explicit = /[1-9]/.exec(source.slice(0, headerEnd))?.[0];
  const lines: Array<{ start: number; text: string }> = [];
  for (let pos = headerEnd + 1; pos <= source.length;) {
    const lineBreak = source.indexOf('\n', pos);
    const stop = lineBreak < 0 ? source.length : lineBreak;
    lines.push({ start: pos, text: source.slice(pos, stop).replace(/\r$/, '') });
    if (lineBreak < 0) break;
    pos = lineBreak + 1;
  }
  const firstContent = lines.find((line) => line.text.trim() !== '');
  const indent =
    explicit !== undefined ? Number(explicit) : (/^ */.exec(firstContent?.text ?? '')?.[0].length ?? 0);
  const stream: Array<{ c: string; at: number }> = [];
  for (const line of lines) {
    for (let k = indent; k < line.text.length; k++) stream.push({ c: line.text[k]!, at: line.start + k });
    stream.push({ c: '\n', at: line.start + line.text.length });
  }
  return stream;
}

/**
 * Greedy alignment of the value's characters with the source's: each character is found at or after the
 * previous one's position; a line break in the source matches a space or a line break of the value (folding).
 */
function align(source: readonly string[], value: string): number[] {
  const at: number[] = [];
  let j = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    let k = j;
    while (k < source.length && !(source[k] === c || (source[k] === '\n' && (c === ' ' || c === '\n')))) k++;
    if (k >= source.length) k = Math.min(j, source.length);
    at.push(k);
    j = Math.min(k + 1, source.length);
  }
  at.push(Math.min(j, source.length));
  return at;
}
