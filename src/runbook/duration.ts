/** Durations as written in runbooks: one or more number+unit parts, e.g. 500ms, 1.5s, 5m, 1h30m. */

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h)/y;

export class DurationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DurationError';
  }
}

/** Milliseconds for a duration such as "500ms", "2s", "1.5s", "5m", "1h" or "1h30m". */
export function parseDuration(text: string): number {
  const trimmed = typeof text === 'string' ? text.trim() : '';
  if (trimmed === '') {
    throw new DurationError(
      `invalid duration ${JSON.stringify(text)}: expected a number with a unit, e.g. 500ms, 10s, 5m, 1h`,
    );
  }
  if (/^\d+(?:\.\d+)?$/.test(trimmed)) {
    throw new DurationError(
      `invalid duration "${trimmed}": the unit is missing (use ms, s, m or h, e.g. ${trimmed}s)`,
    );
  }
  let total = 0;
  PART.lastIndex = 0;
  while (PART.lastIndex < trimmed.length) {
    const at = PART.lastIndex;
    const match = PART.exec(trimmed);
    if (!match) {
      throw new DurationError(
        `invalid duration "${trimmed}": cannot read "${trimmed.slice(at)}" (expected a number with a unit ms, s, m or h, e.g. 500ms, 10s, 5m, 1h30m)`,
      );
    }
    total += Number(match[1]) * UNIT_MS[match[2]!]!;
  }
  return Math.round(total);
}

/** True when the text is a well-formed duration. */
export function isDuration(text: string): boolean {
  try {
    parseDuration(text);
    return true;
  } catch {
    return false;
  }
}

/** The JSON Schema pattern of a literal duration or a template that yields one at run time. */
export const DURATION_PATTERN = '^(?:(?:\\d+(?:\\.\\d+)?(?:ms|s|m|h))+|.*\\{\\{[\\s\\S]*)$';
