/**
 * Instantiating a parameterised step group where it is included: `{{params.name}}` replaced by the value the
 * include gives in `with:` (or the parameter's default), and, under `as: P`, the group's step ids renamed
 * `P-<id>` and its capture names `P<Name>`, together with the references to them inside the group. The
 * rewritten steps are ordinary steps, so every later stage (checks, typed checks, guard, resume, guide) sees
 * nothing new; each rewritten string keeps a map back to its text as written (SourceMap.instance), so
 * diagnostics still point into the group's file.
 */
import { isTemplate, templateReferences, wholeExpression } from './template.js';
import type { Rewrite, RewriteEdit, TextOrigin } from './source-map.js';

/** A parameter as the include binds it: a literal, or a template rendered where the group's step runs. */
export type ParamValue = string | number | boolean;

export interface Renames {
  /** Step ids (as the group names them, nested groups' prefixes included) that get the prefix. */
  ids: ReadonlySet<string>;
  /** Capture names made inside the group that get the prefix. */
  captures: ReadonlySet<string>;
  prefix?: string;
}

export interface InstanceProblem {
  /** Offset in the text as written of the `{{` at fault. */
  offset: number;
  message: string;
  hint?: string;
}

/** What one rewritten string became. */
export interface Rewritten {
  /** The new value: a string, or the typed value of a parameter that was the whole string. */
  value: unknown;
  rewrite?: Rewrite;
  problems: InstanceProblem[];
}

export function prefixedId(prefix: string | undefined, id: string): string {
  return prefix ? `${prefix}-${id}` : id;
}

export function prefixedCapture(prefix: string | undefined, name: string): string {
  if (!prefix) return name;
  return `${prefix.replace(/-([a-z0-9])/g, (_m, c: string) => c.toUpperCase())}${name.charAt(0).toUpperCase()}${name.slice(1)}`;
}

function literalText(value: ParamValue): string {
  return typeof value === 'string' ? value : String(value);
}

/** A parameter's value as a handlebars argument: a literal, a path or a sub-expression. */
function argumentText(name: string, value: ParamValue): string | InstanceProblem {
  if (typeof value !== 'string') return String(value);
  if (!isTemplate(value)) return JSON.stringify(value);
  const expression = wholeExpression(value);
  const inner = /^\{\{~?\s*([\s\S]*?)\s*~?\}\}$/.exec(value)?.[1];
  if (expression && inner !== undefined) return expression.kind === 'helper' ? `(${inner})` : inner;
  return {
    offset: 0,
    message: `parameter "${name}" is a template with text around it (${JSON.stringify(value)}), so it cannot be a helper's argument`,
    hint: `use it whole ("{{params.${name}}}"), or pass a template that is one {{expression}}`,
  };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Rewrite one string of a group's step: renames, then parameters. References to undeclared parameters are
 * left as written (the reference checks report them, at their place in the group).
 */
export function rewriteString(
  text: string,
  params: ReadonlyMap<string, ParamValue>,
  renames: Renames,
  origins: ReadonlyMap<string, TextOrigin> = new Map(),
): Rewritten {
  const problems: InstanceProblem[] = [];
  if (!isTemplate(text)) return { value: text, problems };
  let references;
  try {
    references = templateReferences(text);
  } catch {
    return { value: text, problems }; // a syntax error, reported by the reference checks
  }
  const replacements: Array<{
    start: number;
    end: number;
    text: string;
    origin?: RewriteEdit['origin'];
  }> = [];
  for (const ref of references) {
    const [root, name] = ref.path;
    if (name === undefined) continue;
    // The name segment right after the root, as written.
    const segmentAt = (): number => text.indexOf(name, ref.pathOffset + root!.length);
    if (root === 'steps' && renames.prefix && renames.ids.has(name)) {
      const at = segmentAt();
      if (at >= 0)
        replacements.push({ start: at, end: at + name.length, text: prefixedId(renames.prefix, name) });
    } else if (root === 'captures' && renames.prefix && renames.captures.has(name)) {
      const at = segmentAt();
      if (at >= 0)
        replacements.push({
          start: at,
          end: at + name.length,
          text: prefixedCapture(renames.prefix, name),
        });
    } else if (root === 'params' && params.has(name)) {
      const value = params.get(name)!;
      if (ref.path.length > 2) {
        problems.push({
          offset: ref.offset,
          message: `"${ref.path.join('.')}": a parameter is one value, it has no members`,
          hint: `write {{params.${name}}}`,
        });
        continue;
      }
      const standalone = new RegExp(`^\\{\\{~?\\s*params\\.${escapeRegExp(name)}\\s*~?\\}\\}`).exec(
        text.slice(ref.offset),
      );
      if (standalone) {
        if (standalone[0].length === text.length) {
          // The whole string is the parameter: it takes the parameter's value and type.
          const origin = origins.get(name);
          const rewrite: Rewrite | undefined =
            typeof value === 'string'
              ? {
                  original: text,
                  edits: [
                    {
                      start: 0,
                      end: text.length,
                      newStart: 0,
                      newEnd: value.length,
                      ...(origin ? { origin: { ...origin, aligned: true } } : {}),
                    },
                  ],
                }
              : undefined;
          return { value, ...(rewrite ? { rewrite } : {}), problems };
        }
        const origin = origins.get(name);
        replacements.push({
          start: ref.offset,
          end: ref.offset + standalone[0].length,
          text: literalText(value),
          ...(origin ? { origin: { ...origin, aligned: true } } : {}),
        });
        continue;
      }
      const argument = argumentText(name, value);
      if (typeof argument !== 'string') {
        problems.push({ ...argument, offset: ref.offset });
        continue;
      }
      const at = text.indexOf(`params.${name}`, ref.pathOffset);
      const origin = origins.get(name);
      if (at >= 0)
        replacements.push({
          start: at,
          end: at + `params.${name}`.length,
          text: argument,
          ...(origin ? { origin: { ...origin, aligned: false } } : {}),
        });
    }
  }
  if (replacements.length === 0) return { value: text, problems };
  replacements.sort((a, b) => a.start - b.start);
  let out = '';
  let cursor = 0;
  const edits: Rewrite['edits'] = [];
  for (const replacement of replacements) {
    if (replacement.start < cursor) continue;
    out += text.slice(cursor, replacement.start);
    const newStart = out.length;
    out += replacement.text;
    edits.push({
      start: replacement.start,
      end: replacement.end,
      newStart,
      newEnd: out.length,
      ...(replacement.origin ? { origin: replacement.origin } : {}),
    });
    cursor = replacement.end;
  }
  out += text.slice(cursor);
  return { value: out, rewrite: { original: text, edits }, problems };
}
