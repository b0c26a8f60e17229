/**
 * Reading one YAML file into plain data plus the span of every node. Hostile input is turned into
 * diagnostics here, before anything else looks at the data: oversized, non-UTF-8, empty, multi-document,
 * deeply nested and alias-bomb files, duplicate keys and keys that would reach Object.prototype.
 */
import { readFileSync } from 'node:fs';
import {
  LineCounter,
  isAlias,
  isMap,
  isScalar,
  isSeq,
  parseAllDocuments,
  type Document,
  type Node as YamlNode,
} from 'yaml';
import { error, warning } from './diagnostic.js';
import { joinPointer } from './pointer.js';
import { SourceMap } from './source-map.js';
import type { Diagnostic } from './types.js';

export const MAX_FILE_BYTES = 1024 * 1024;
export const MAX_DEPTH = 64;
/** Nodes that aliases may expand to in one file; a few hundred is plenty for a runbook. */
export const MAX_ALIAS_NODES = 10_000;
/**
 * Nesting the YAML parser is allowed to see. The parser itself exhausts memory on extreme nesting, so a
 * cheap scan rejects such text before parsing; the exact MAX_DEPTH check runs on the parsed nodes.
 */
const MAX_SCANNED_DEPTH = 256;

/** Reads a file's bytes (or text); the default reads from disk. */
export type ReadFile = (path: string) => string | Uint8Array;

export interface LoadedFile {
  file: string;
  /** The file's text; '' when it could not be read or decoded. */
  text: string;
  /** The document as plain data; undefined when the file is unusable. */
  value: unknown;
  map: SourceMap;
  diagnostics: Diagnostic[];
}

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

function readBytes(
  file: string,
  read: ReadFile | undefined,
): { bytes?: Uint8Array; text?: string; problem?: string } {
  try {
    const content = read ? read(file) : readFileSync(file);
    return typeof content === 'string' ? { text: content } : { bytes: content };
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    const reason =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EISDIR'
          ? 'it is a directory'
          : code === 'EACCES'
            ? 'permission denied'
            : cause instanceof Error
              ? cause.message
              : String(cause);
    return { problem: reason };
  }
}

/** Text of a UTF-8 file, or the byte offset of the first invalid sequence. */
function decodeUtf8(bytes: Uint8Array): { text: string } | { badOffset: number } {
  try {
    return { text: new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes) };
  } catch {
    // Find the first bad sequence so the message can say where.
    let low = 0;
    let high = bytes.length;
    const decoder = new TextDecoder('utf-8', { fatal: true });
    while (high - low > 1) {
      const mid = (low + high) >> 1;
      try {
        decoder.decode(bytes.subarray(0, mid), { stream: true });
        decoder.decode();
        low = mid;
      } catch {
        high = mid;
      }
    }
    return { badOffset: low };
  }
}

/**
 * An upper estimate of the nesting of a YAML text: block indentation levels, compact `- - -` sequences
 * and flow brackets, skipping quoted text, comments and block scalars.
 */
export function estimateNesting(text: string): number {
  let deepest = 0;
  const indents: number[] = [];
  let flow = 0;
  let blockScalarIndent = -1;
  for (const line of text.split('\n')) {
    const indent = line.length - line.trimStart().length;
    const content = line.trim();
    if (blockScalarIndent >= 0) {
      if (content === '' || indent > blockScalarIndent) continue;
      blockScalarIndent = -1;
    }
    if (content === '' || content.startsWith('#')) continue;
    if (flow === 0) {
      while (indents.length > 0 && indents[indents.length - 1]! >= indent) indents.pop();
      indents.push(indent);
    }
    let markers = 0;
    let i = 0;
    while (flow === 0 && /^[-?:](\s|$)/.test(content.slice(i))) {
      markers++;
      i += 2;
      while (content[i] === ' ') i++;
    }
    let quote = '';
    for (; i < content.length; i++) {
      const c = content[i]!;
      if (quote) {
        if (c === quote) quote = '';
        continue;
      }
      if (c === '"' || c === "'") quote = c;
      else if (c === '#' && (i === 0 || /\s/.test(content[i - 1]!))) break;
      else if (c === '[' || c === '{') flow++;
      else if ((c === ']' || c === '}') && flow > 0) flow--;
      deepest = Math.max(deepest, indents.length + markers + flow);
    }
    deepest = Math.max(deepest, indents.length + markers + flow);
    if (flow === 0 && /(?:^|[\s:-])[|>][-+0-9]*\s*(?:#.*)?$/.test(content)) blockScalarIndent = indent;
  }
  return deepest;
}

interface ConvertContext {
  doc: Document;
  map: SourceMap;
  diagnostics: Diagnostic[];
  aliasNodes: number;
  aliasReported: boolean;
  depthReported: boolean;
  /** Anchored nodes being expanded through an alias, to catch an alias inside its own anchor. */
  expanding: Set<YamlNode>;
}

class AliasLimit extends Error {}

function nodeSpan(ctx: ConvertContext, node: YamlNode | null | undefined, fallback?: { offset: number }) {
  const range = node?.range;
  if (range) return ctx.map.span(range[0], range[1]);
  const at = fallback?.offset ?? 0;
  return ctx.map.span(at, at);
}

function keyText(node: unknown): string | undefined {
  if (isScalar(node)) {
    const value = node.value;
    if (value === null || value === undefined) return 'null';
    if (typeof value === 'object') return undefined;
    return String(value);
  }
  return undefined;
}

function define(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/**
 * Convert a YAML node to plain data. Spans are recorded only for nodes written in the file itself, not
 * for nodes reached through an alias (those report at the alias).
 */
function convert(
  ctx: ConvertContext,
  node: unknown,
  pointer: string,
  depth: number,
  record: boolean,
): unknown {
  if (!record) {
    ctx.aliasNodes++;
    if (ctx.aliasNodes > MAX_ALIAS_NODES) throw new AliasLimit();
  }
  if (depth > MAX_DEPTH) {
    if (!ctx.depthReported) {
      ctx.depthReported = true;
      ctx.diagnostics.push(
        error(
          'yaml-too-deep',
          `the document is nested more than ${MAX_DEPTH} levels deep`,
          ctx.map.file,
          nodeSpan(ctx, node as YamlNode),
          'a runbook never needs this much nesting; flatten the structure',
        ),
      );
    }
    return null;
  }
  if (isAlias(node)) {
    const target = node.resolve(ctx.doc);
    const span = nodeSpan(ctx, node);
    if (record) ctx.map.set(pointer, { value: span });
    if (!target) {
      ctx.diagnostics.push(
        error(
          'yaml-alias',
          `alias *${node.source} refers to an unknown anchor`,
          ctx.map.file,
          span,
          `define &${node.source} before using *${node.source}`,
        ),
      );
      return null;
    }
    if (ctx.expanding.has(target)) {
      ctx.diagnostics.push(
        error('yaml-alias', `alias *${node.source} refers to the node that contains it`, ctx.map.file, span),
      );
      return null;
    }
    ctx.expanding.add(target);
    try {
      return convert(ctx, target, pointer, depth, false);
    } catch (cause) {
      if (!(cause instanceof AliasLimit) || !record) throw cause;
      if (!ctx.aliasReported) {
        ctx.aliasReported = true;
        ctx.diagnostics.push(
          error(
            'yaml-alias',
            `aliases expand to more than ${MAX_ALIAS_NODES} nodes (starting at alias *${node.source})`,
            ctx.map.file,
            span,
            'aliases that repeat aliases grow exponentially; write the values out instead',
          ),
        );
      }
      return null;
    } finally {
      ctx.expanding.delete(target);
    }
  }
  if (isScalar(node)) {
    if (record) ctx.map.set(pointer, { value: nodeSpan(ctx, node) });
    return node.value;
  }
  if (isSeq(node)) {
    if (record) ctx.map.set(pointer, { value: nodeSpan(ctx, node) });
    return node.items.map((item, index) =>
      convert(ctx, item, joinPointer(pointer, index), depth + 1, record),
    );
  }
  if (isMap(node)) {
    const span = nodeSpan(ctx, node);
    if (record) ctx.map.set(pointer, { value: span });
    if (record && node.flow && ctx.map.text.startsWith('{{', span.offset)) {
      // `key: {{inputs.x}}` is a YAML flow mapping, not a template.
      const close = ctx.map.text.indexOf('}}', span.offset);
      const shown = close > 0 ? ctx.map.text.slice(span.offset, close + 2) : '{{...}}';
      ctx.diagnostics.push(
        error(
          'yaml-syntax',
          'a template must be quoted: unquoted, YAML reads {{...}} as a mapping',
          ctx.map.file,
          span,
          `write it as "${shown}"`,
        ),
      );
      return null;
    }
    const out: Record<string, unknown> = {};
    const firstSeen = new Map<string, ReturnType<typeof nodeSpan>>();
    for (const pair of node.items) {
      const key = keyText(pair.key);
      const keyNode = pair.key as YamlNode | null;
      const keySpan = nodeSpan(ctx, keyNode, { offset: span.offset });
      if (key === undefined) {
        if (record)
          ctx.diagnostics.push(
            error('schema', 'a mapping key must be plain text, not a list or mapping', ctx.map.file, keySpan),
          );
        continue;
      }
      if (FORBIDDEN_KEYS.has(key)) {
        if (record) {
          ctx.diagnostics.push(
            error(
              'unknown-key',
              `unknown key "${key}"`,
              ctx.map.file,
              keySpan,
              `"${key}" is reserved and cannot be used as a key`,
            ),
          );
        }
        continue;
      }
      const first = firstSeen.get(key);
      if (first) {
        if (record) {
          ctx.diagnostics.push(
            error(
              'duplicate-key',
              `duplicate key "${key}" (first defined at line ${first.start.line}, column ${first.start.col})`,
              ctx.map.file,
              keySpan,
              'each key may appear once in a mapping; remove or rename one of them',
            ),
          );
        }
        continue;
      }
      firstSeen.set(key, keySpan);
      const childPointer = joinPointer(pointer, key);
      const valueNode = pair.value as YamlNode | null;
      const value = valueNode === null ? null : convert(ctx, valueNode, childPointer, depth + 1, record);
      if (record) {
        const valueSpan = valueNode?.range ? nodeSpan(ctx, valueNode) : keySpan;
        const existing = ctx.map.get(childPointer);
        ctx.map.set(childPointer, { key: keySpan, value: existing?.value ?? valueSpan });
      }
      define(out, key, value);
    }
    return out;
  }
  return null;
}

function yamlErrorMessage(code: string, message: string): string {
  if (code === 'TAB_AS_INDENT') return 'tabs cannot be used for indentation';
  const first = message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
  return first.charAt(0).toLowerCase() + first.slice(1);
}

function yamlErrorHint(code: string, line: string): string | undefined {
  if (line.includes('{{') && code !== 'TAB_AS_INDENT')
    return 'a template value must be quoted, e.g. key: "{{inputs.name}}"';
  switch (code) {
    case 'TAB_AS_INDENT':
      return 'indent with spaces';
    case 'BAD_INDENT':
    case 'MISSING_CHAR':
      return 'check the indentation and the closing brackets and quotes above this point';
    default:
      return undefined;
  }
}

/** Parse YAML text into plain data with spans. */
export function loadYamlText(file: string, text: string): LoadedFile {
  const content = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const lineCounter = new LineCounter();
  const diagnostics: Diagnostic[] = [];
  let map = new SourceMap(file, content);
  const result = (value: unknown): LoadedFile => ({ file, text: content, value, map, diagnostics });
  // Blank or comment-only text, or YAML that holds no document at all.
  const emptyFile = (): LoadedFile => {
    diagnostics.push(
      error(
        'file-empty',
        'the file is empty',
        file,
        map.span(0, 0),
        'a runbook needs at least `name` and `steps`',
      ),
    );
    return result(undefined);
  };

  if (content.trim() === '' || content.split('\n').every((line) => /^\s*(#.*)?$/.test(line))) {
    return emptyFile();
  }
  if (estimateNesting(content) > MAX_SCANNED_DEPTH) {
    diagnostics.push(
      error(
        'yaml-too-deep',
        `the document is nested more than ${MAX_DEPTH} levels deep`,
        file,
        map.span(0, 0),
        'a runbook never needs this much nesting; flatten the structure',
      ),
    );
    return result(undefined);
  }

  const docs = parseAllDocuments(content, {
    lineCounter,
    uniqueKeys: false,
    prettyErrors: false,
    strict: true,
  });
  map = new SourceMap(file, content, lineCounter);
  const list = Array.isArray(docs) ? docs : [];
  if (list.length === 0) {
    return emptyFile();
  }
  const linesWithErrors = new Set<number>();
  for (const doc of list) {
    for (const problem of doc.errors) {
      let span = map.span(problem.pos[0], problem.pos[1]);
      let message = yamlErrorMessage(problem.code, problem.message);
      const quote =
        problem.code === 'MISSING_CHAR' ? /closing (["'])quote/.exec(problem.message)?.[1] : undefined;
      if (quote) {
        // The parser notices at the end of the input; the mistake is the quote that was opened.
        const opened = content.lastIndexOf(quote, Math.max(0, problem.pos[0] - 1));
        if (opened >= 0) {
          span = map.span(opened, opened + 1);
          message = `this ${quote === '"' ? 'double' : 'single'}-quoted string is never closed`;
        }
      }
      // Later errors on the same line are nearly always knock-on effects of the first.
      if (linesWithErrors.has(span.start.line)) continue;
      linesWithErrors.add(span.start.line);
      const line = content.split('\n')[span.start.line - 1] ?? '';
      diagnostics.push(error('yaml-syntax', message, file, span, yamlErrorHint(problem.code, line)));
    }
    for (const problem of doc.warnings) {
      diagnostics.push(
        warning(
          'yaml-syntax',
          yamlErrorMessage(problem.code, problem.message),
          file,
          map.span(problem.pos[0], problem.pos[1]),
        ),
      );
    }
  }
  if (list.length > 1) {
    const second = list[1]!;
    const at = second.contents?.range?.[0] ?? second.range[0];
    const lineStart = content.lastIndexOf('\n', at - 1) + 1;
    const marker = content.lastIndexOf('---', at);
    const start =
      marker >= 0 && marker >= content.lastIndexOf('\n', Math.max(0, marker - 1)) ? marker : lineStart;
    diagnostics.push(
      error(
        'yaml-multi-document',
        `the file holds ${list.length} YAML documents; a runbook is a single document`,
        file,
        map.span(start, start + 3),
        'remove the `---` separator or split the documents into separate files',
      ),
    );
  }
  if (diagnostics.some((d) => d.severity === 'error')) return result(undefined);

  const doc = list[0]!;
  const root = doc.contents;
  if (root === null || (isScalar(root) && (root.value === null || root.value === undefined))) {
    return emptyFile();
  }
  if (!isMap(root)) {
    const found = isSeq(root)
      ? 'a list'
      : isAlias(root)
        ? 'an alias'
        : `a ${typeof (root as { value?: unknown }).value}`;
    const range = (root as YamlNode).range;
    diagnostics.push(
      error(
        'not-a-mapping',
        `a runbook must be a mapping of keys (name, steps, ...), found ${found}`,
        file,
        range ? map.span(range[0], range[1]) : map.span(0, 0),
        'start the file with `name: my-runbook` and put the steps under `steps:`',
      ),
    );
    return result(undefined);
  }
  const ctx: ConvertContext = {
    doc,
    map,
    diagnostics,
    aliasNodes: 0,
    aliasReported: false,
    depthReported: false,
    expanding: new Set(),
  };
  const value = convert(ctx, root, '', 0, true);
  // A truncated document would only add knock-on errors.
  if (diagnostics.some((d) => d.code === 'yaml-too-deep' || d.code === 'yaml-alias'))
    return result(undefined);
  return result(value);
}

/** Read and parse a YAML file, checking size and encoding first. */
export function loadYamlFile(file: string, read?: ReadFile): LoadedFile {
  const unusable = (diagnostic: Diagnostic): LoadedFile => ({
    file,
    text: '',
    value: undefined,
    map: new SourceMap(file, ''),
    diagnostics: [diagnostic],
  });
  const content = readBytes(file, read);
  if (content.problem !== undefined) {
    return unusable(
      error('file-unreadable', `cannot read the file: ${content.problem}`, file, undefined, 'check the path'),
    );
  }
  const size = content.bytes ? content.bytes.length : Buffer.byteLength(content.text!, 'utf8');
  if (size > MAX_FILE_BYTES) {
    return unusable(
      error(
        'file-too-large',
        `the file is ${size} bytes; a runbook may be at most ${MAX_FILE_BYTES} bytes (1 MiB)`,
        file,
        undefined,
        'split the runbook with `include`',
      ),
    );
  }
  let text = content.text;
  if (content.bytes) {
    const decoded = decodeUtf8(content.bytes);
    if ('badOffset' in decoded) {
      const before = new TextDecoder('utf-8').decode(content.bytes.subarray(0, decoded.badOffset));
      const map = new SourceMap(file, before);
      const at = map.span(before.length, before.length);
      return {
        ...unusable(
          error(
            'file-not-utf8',
            `the file is not valid UTF-8 (invalid byte 0x${content.bytes[decoded.badOffset]!.toString(16).padStart(2, '0')} at byte ${decoded.badOffset})`,
            file,
            at,
            'save the file as UTF-8',
          ),
        ),
        text: before,
        map,
      };
    }
    text = decoded.text;
  }
  return loadYamlText(file, text!);
}
