/**
 * UTC instants with microsecond precision. Server time markers come from `UTC_TIMESTAMP(6)` and a
 * JavaScript Date keeps only milliseconds, so instants are held as integer microseconds since the epoch.
 */

const ISO = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:?\d{2})?$/;

/** Microseconds since the Unix epoch for an ISO-8601 (or MySQL DATETIME, read as UTC) text, a Date or epoch ms. */
export function toEpochMicros(value: unknown): number {
  if (value instanceof Date) {
    const ms = value.getTime();
    if (Number.isNaN(ms)) throw new Error('not a valid instant: Invalid Date');
    return ms * 1000;
  }
  if (typeof value === 'number' && Number.isFinite(value)) return Math.round(value * 1000);
  if (typeof value !== 'string') throw new Error(`not an instant: ${describe(value)}`);
  const match = ISO.exec(value.trim());
  if (!match) {
    throw new Error(
      `not an ISO-8601 instant: ${JSON.stringify(value)} (expected e.g. 2026-11-23T09:20:01.734512Z)`,
    );
  }
  const [, y, mo, d, h, mi, s, fraction = '', zone = 'Z'] = match;
  const ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  if (Number.isNaN(ms)) throw new Error(`not a valid instant: ${JSON.stringify(value)}`);
  const micros = Number(fraction.padEnd(6, '0').slice(0, 6));
  let offsetMinutes = 0;
  if (zone !== 'Z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    offsetMinutes = sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2)));
  }
  return (ms - offsetMinutes * 60_000) * 1000 + micros;
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

/** yyyy-mm-ddThh:mm:ss.ffffffZ */
export function formatMicros(epochMicros: number): string {
  const ms = Math.floor(epochMicros / 1000);
  const micros = epochMicros - Math.floor(epochMicros / 1_000_000) * 1_000_000;
  return `${new Date(ms).toISOString().slice(0, 19)}.${pad(micros, 6)}Z`;
}

/** yyyy-mm-ddThh:mm:ssZ, fractions truncated. */
export function formatSeconds(epochMicros: number): string {
  const ms = Math.floor(epochMicros / 1_000_000) * 1000;
  return `${new Date(ms).toISOString().slice(0, 19)}Z`;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  return `${typeof value} ${JSON.stringify(value)}`;
}
