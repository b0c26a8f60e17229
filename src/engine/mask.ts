/**
 * The one place secrets are removed. Every string that leaves the engine (events, the run record, the
 * journal, JUnit, error messages from mysql2, execa and the SDK) passes through a Masker.
 */
export const MASK = '****';

export class Masker {
  private secrets: string[] = [];

  constructor(secrets: Iterable<unknown> = []) {
    for (const secret of secrets) this.add(secret);
  }

  /** Registers a value to hide. Empty values are ignored: masking '' would mean nothing. */
  add(secret: unknown): void {
    if (secret === undefined || secret === null) return;
    const text = String(secret);
    if (text === '' || this.secrets.includes(text)) return;
    this.secrets.push(text);
    // Longest first, so a secret that contains another is hidden whole.
    this.secrets.sort((a, b) => b.length - a.length);
  }

  get size(): number {
    return this.secrets.length;
  }

  text(value: string): string {
    let out = value;
    for (const secret of this.secrets) {
      if (out.includes(secret)) out = out.split(secret).join(MASK);
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
    if (this.secrets.length === 0) return value;
    if (typeof value === 'string') return this.text(value);
    if ((typeof value === 'number' || typeof value === 'bigint') && this.secrets.includes(String(value))) {
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

function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}
