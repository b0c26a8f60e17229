/**
 * The one place secrets are removed. Every string that leaves the engine (events, the run record, the
 * journal, JUnit, error messages from mysql2, execa and the SDK) passes through a Masker.
 *
 * A secret is hidden in the forms it takes once quoted or encoded by what labrun shows: JSON-escaped (the
 * `json` helper, an assertion's message, a JSON error body; also escaped twice), URL- and form-encoded (a
 * query string, an SDK request), and shell-quoted (single quotes, double quotes, backslashes). A secret
 * shorter than MIN_SECRET_LENGTH is refused: masking it would blank out that letter everywhere.
 */
import { UsageError } from '../core/errors.js';

export const MASK = '****';

/** Shorter secrets are refused rather than masked letter by letter. */
export const MIN_SECRET_LENGTH = 4;

export class Masker {
  /** Every form of every secret, longest first, so a secret that contains another is hidden whole. */
  private forms: string[] = [];
  private secrets = new Set<string>();

  constructor(secrets: Iterable<unknown> = []) {
    for (const secret of secrets) this.add(secret);
  }

  /**
   * Registers a value to hide. Empty values are ignored: masking '' would mean nothing. One shorter than
   * MIN_SECRET_LENGTH is a UsageError naming `what` (e.g. `secret input dbPassword`).
   */
  add(secret: unknown, what = 'a secret value'): void {
    if (secret === undefined || secret === null) return;
    const text = String(secret);
    if (text === '' || this.secrets.has(text)) return;
    if ([...text].length < MIN_SECRET_LENGTH) {
      throw new UsageError(
        `${what} is too short to mask: ${[...text].length} character${text.length === 1 ? '' : 's'}, at least ${MIN_SECRET_LENGTH} needed`,
        'Masking so short a value would hide those letters everywhere in the output; use a longer secret.',
      );
    }
    this.secrets.add(text);
    for (const form of secretForms(text)) if (!this.forms.includes(form)) this.forms.push(form);
    this.forms.sort((a, b) => b.length - a.length);
  }

  get size(): number {
    return this.secrets.size;
  }

  text(value: string): string {
    let out = value;
    for (const form of this.forms) {
      if (out.includes(form)) out = out.split(form).join(MASK);
    }
    return out;
  }

  /**
   * A copy of `value` with every string masked; numbers equal to a secret become `****`. Keys are names
   * (columns, captures, parameters), not data, and stay as they are so the shape never changes.
   */
  deep<T>(value: T): T {
    return this.walk(value) as T;
  }

  private walk(value: unknown): unknown {
    if (this.secrets.size === 0) return value;
    if (typeof value === 'string') return this.text(value);
    if ((typeof value === 'number' || typeof value === 'bigint') && this.secrets.has(String(value))) {
      return MASK;
    }
    if (Array.isArray(value)) return value.map((item) => this.walk(item));
    if (value !== null && typeof value === 'object' && isPlainObject(value)) {
      const out: Record<string, unknown> = {};
      for (const [key, item] of Object.entries(value)) out[key] = this.walk(item);
      return out;
    }
    return value;
  }
}

/**
 * `secret` and the forms it takes inside JSON strings, URLs, form bodies and shell words (without the
 * surrounding quotes, which are not part of the secret). Exported for the tests' secret audit.
 */
export function secretForms(secret: string): string[] {
  const json = jsonInner(secret);
  const forms = [
    secret,
    json,
    jsonInner(json),
    ...urlForms(secret),
    // Shell: inside '...', inside "...", and backslash-escaped.
    secret.replaceAll("'", `'\\''`),
    secret.replace(/[\\"$`]/g, '\\$&'),
    secret.replace(/[^\w@%+=:,./-]/g, '\\$&'),
  ];
  return [...new Set(forms)];
}

/** Percent-encoded (encodeURIComponent; RFC 3986, the AWS SDK's; form bodies, with '+' for spaces). */
function urlForms(secret: string): string[] {
  let uri: string;
  try {
    uri = encodeURIComponent(secret);
  } catch {
    return []; // a lone surrogate cannot be percent-encoded
  }
  return [
    uri,
    uri.replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`),
    new URLSearchParams({ s: secret }).toString().slice(2),
    uri.replace(/%20/g, '+'),
  ];
}

function jsonInner(text: string): string {
  return JSON.stringify(text).slice(1, -1);
}

function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}
