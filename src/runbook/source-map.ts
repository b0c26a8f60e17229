/**
 * Positions of the nodes of one YAML file, by JSON pointer. Every value read from a runbook keeps the
 * span it came from, so a schema error, a reference error or a run-time failure can point at the text.
 */
import type { LineCounter } from 'yaml';
import type { SourceSpan } from './types.js';
import { parentPointer } from './pointer.js';

/** The span of a mapping key (when the node is a mapping value) and of the value itself. */
export interface NodeSpans {
  key?: SourceSpan;
  value: SourceSpan;
}

/**
 * A string value of a step group's step that instantiation rewrote (ids renamed, parameters substituted):
 * the text as written, and each replaced range in both texts, so positions in the rewritten text map back.
 */
export interface Rewrite {
  original: string;
  edits: RewriteEdit[];
}

export interface RewriteEdit {
  start: number;
  end: number;
  newStart: number;
  newEnd: number;
  /**
   * Where the inserted text was written, when it is an include's `with:` template: a problem inside it is
   * reported there. `aligned`: the inserted text is that template as written, so offsets carry over.
   */
  origin?: TextOrigin & { aligned: boolean };
}

/** A string value in some file: the map that locates it, its value span and its text. */
export interface TextOrigin {
  map: SourceMap;
  span: SourceSpan;
  text: string;
}

export class SourceMap {
  readonly file: string;
  /** Rewritten string values, by the offset of their value span (see `instance`). */
  private rewrites?: Map<number, Rewrite>;
  readonly text: string;
  private readonly lineStarts: number[];
  private readonly nodes = new Map<string, NodeSpans>();

  constructor(file: string, text: string, lineCounter?: LineCounter) {
    this.file = file;
    this.text = text;
    this.lineStarts = lineCounter ? [...lineCounter.lineStarts] : computeLineStarts(text);
    if (this.lineStarts.length === 0) this.lineStarts.push(0);
  }

  position(offset: number): { line: number; col: number } {
    const clamped = Math.max(0, Math.min(offset, this.text.length));
    let low = 0;
    let high = this.lineStarts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if (this.lineStarts[mid]! <= clamped) low = mid;
      else high = mid - 1;
    }
    return { line: low + 1, col: clamped - this.lineStarts[low]! + 1 };
  }

  span(offset: number, endOffset: number): SourceSpan {
    // The YAML parser may report a position just past the end of the text.
    const length = this.text.length;
    offset = Math.max(0, Math.min(offset, length));
    const end = Math.max(offset, Math.min(endOffset, length));
    return { file: this.file, start: this.position(offset), end: this.position(end), offset, endOffset: end };
  }

  set(pointer: string, spans: NodeSpans): void {
    this.nodes.set(pointer, spans);
    this.byTopLevel = undefined;
  }

  get(pointer: string): NodeSpans | undefined {
    return this.nodes.get(this.written(pointer));
  }

  /** The value span of the pointer, or of its nearest ancestor that has one. */
  valueSpan(pointer: string): SourceSpan {
    return this.nearest(pointer).value;
  }

  /** The key span of the pointer (its value span when it has no key), or the nearest ancestor's. */
  keySpan(pointer: string): SourceSpan {
    const spans = this.nearest(pointer);
    return spans.key ?? spans.value;
  }

  private nearest(pointer: string): NodeSpans {
    let current = this.written(pointer);
    for (;;) {
      const spans = this.nodes.get(current);
      if (spans) return spans;
      if (current === '') return { value: this.span(0, 0) };
      current = parentPointer(current);
    }
  }

  /** Every recorded pointer under `prefix` (itself included), re-keyed relative to it. */
  subtree(prefix: string): Record<string, SourceSpan> {
    const out: Record<string, SourceSpan> = {};
    for (const pointer of this.pointersUnder(prefix)) {
      out[pointer.slice(prefix.length)] = this.nodes.get(pointer)!.value;
    }
    for (const [now, was] of this.aliases ?? []) {
      if (!now.startsWith(`${prefix}/`)) continue;
      for (const key of Object.keys(out)) {
        const absolute = prefix + key;
        if (absolute === was || absolute.startsWith(`${was}/`)) {
          out[(now + absolute.slice(was.length)).slice(prefix.length)] = out[key]!;
          delete out[key];
        }
      }
    }
    return out;
  }

  private byTopLevel?: Map<string, string[]>;

  /** Pointers under a prefix; grouped by their first two segments so a step's subtree is one lookup. */
  private pointersUnder(prefix: string): string[] {
    if (!this.byTopLevel) {
      this.byTopLevel = new Map();
      for (const pointer of this.nodes.keys()) {
        const group = /^\/[^/]*(?:\/[^/]*)?/.exec(pointer)?.[0] ?? '';
        const list = this.byTopLevel.get(group);
        if (list) list.push(pointer);
        else this.byTopLevel.set(group, [pointer]);
      }
    }
    const group = /^\/[^/]*\/[^/]*/.exec(prefix)?.[0];
    const candidates = group === undefined ? [...this.nodes.keys()] : (this.byTopLevel.get(group) ?? []);
    return candidates.filter((pointer) => pointer === prefix || pointer.startsWith(`${prefix}/`));
  }

  /**
   * A view of this map for one instance of a step group, whose rewritten strings map offsets back to the
   * text as written; everything else is shared with this map.
   */
  instance(rewrites: Map<number, Rewrite>, aliases: Map<string, string>): SourceMap {
    const view = Object.create(this) as SourceMap;
    view.rewrites = rewrites;
    view.aliases = aliases;
    return view;
  }

  /** Renamed keys of an instance: the pointer as it reads now -> the pointer as written. */
  private aliases?: Map<string, string>;

  private written(pointer: string): string {
    if (!this.aliases) return pointer;
    for (const [now, was] of this.aliases)
      if (pointer === now || pointer.startsWith(`${now}/`)) return was + pointer.slice(now.length);
    return pointer;
  }

  /**
   * The text as written and the range in it for `[offset, offset + length)` of the string value at
   * `valueOffset` as it reads now; a range inside a replaced part maps to the whole part as written.
   */
  original(
    valueOffset: number,
    text: string,
    offset: number,
    length = 0,
  ): { text: string; offset: number; length: number } {
    const rewrite = this.rewrites?.get(valueOffset);
    if (!rewrite || rewrite.edits.length === 0) return { text, offset, length };
    const back = (at: number, end: boolean): number => {
      let delta = 0;
      for (const edit of rewrite.edits) {
        if (at < edit.newStart || (end && at === edit.newStart)) break;
        if (at < edit.newEnd) return end ? edit.end : edit.start;
        delta = edit.end - edit.newEnd;
      }
      return at + delta;
    };
    const start = back(offset, false);
    const stop = Math.max(start, back(offset + length, true));
    return { text: rewrite.original, offset: start, length: stop - start };
  }

  /**
   * The span of the `{{` at `offset` inside the template string found at `valueSpan`. The string's value
   * and its source text differ by quotes, escapes and folding, so the n-th `{{` of the value is matched to
   * the n-th `{{` of the source text.
   */
  /** The include's `with:` template that the text at `offset` was inserted from, and the offset in it. */
  inserted(valueOffset: number, offset: number): { origin: TextOrigin; offset: number } | undefined {
    const edit = this.rewrites
      ?.get(valueOffset)
      ?.edits.find((e) => e.origin && offset >= e.newStart && offset < e.newEnd);
    if (!edit?.origin) return undefined;
    return { origin: edit.origin, offset: edit.origin.aligned ? offset - edit.newStart : 0 };
  }

  /** The include's `with:` template that replaced the whole string value at `valueOffset`, if one did. */
  insertedWhole(valueOffset: number): TextOrigin | undefined {
    const rewrite = this.rewrites?.get(valueOffset);
    const edit = rewrite?.edits.length === 1 ? rewrite.edits[0] : undefined;
    return edit?.origin && edit.start === 0 && edit.end === rewrite!.original.length
      ? edit.origin
      : undefined;
  }

  templateSpan(valueSpan: SourceSpan, rewritten: string, rewrittenOffset: number): SourceSpan {
    const inserted = this.inserted(valueSpan.offset, rewrittenOffset);
    if (inserted) {
      const { map, span, text } = inserted.origin;
      return map.templateSpan(span, text, inserted.offset);
    }
    const { text: template, offset } = this.original(valueSpan.offset, rewritten, rewrittenOffset);
    let nth = 0;
    for (let at = template.indexOf('{{'); at >= 0 && at < offset; at = template.indexOf('{{', at + 2)) nth++;
    const source = this.text.slice(valueSpan.offset, valueSpan.endOffset);
    let at = source.indexOf('{{');
    for (let i = 0; i < nth && at >= 0; i++) at = source.indexOf('{{', at + 2);
    if (at < 0) return valueSpan;
    const close = source.indexOf('}}', at);
    const end = close < 0 ? source.length : close + 2;
    const lineBreak = source.indexOf('\n', at);
    const stop = lineBreak >= 0 && lineBreak < end ? lineBreak : end;
    return this.span(valueSpan.offset + at, valueSpan.offset + stop);
  }
}

function computeLineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === '\n') starts.push(i + 1);
  return starts;
}
