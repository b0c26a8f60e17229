/**
 * Timestamps as the Query protocol's clients send them: the JS SDK sends `…:37Z` or `…:37.357Z`, botocore
 * `…:37.357000Z`, the aws CLI passes through what the user typed after normalizing it (`+00:00` offsets), and
 * the AWS docs show `2017-07-08T18:00Z` without seconds. Epoch seconds are accepted too.
 */

const ISO =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(?:([Zz])|([+-])(\d{2}):?(\d{2}))?$/;

/** The instant `text` names, or undefined when it is not a timestamp. */
export function parseTimestamp(text: string): Date | undefined {
  const value = text.trim();
  if (/^\d{1,11}(\.\d+)?$/.test(value)) return new Date(Math.round(Number(value) * 1000));
  const match = ISO.exec(value);
  if (!match) return undefined;
  const [, y, mo, d, h, mi, s, fraction, , sign, offH, offM] = match;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s ?? '0');
  if (month < 1 || month > 12 || hour > 23 || minute > 59 || second > 59) return undefined;
  if (day < 1 || day > daysInMonth(year, month)) return undefined;
  const millis = fraction ? Math.floor(Number(`0.${fraction}`) * 1000) : 0;
  let time = Date.UTC(year, month - 1, day, hour, minute, second, millis);
  if (sign) {
    const hours = Number(offH);
    const minutes = Number(offM);
    if (hours > 23 || minutes > 59) return undefined;
    const offset = (hours * 60 + minutes) * 60_000;
    time += sign === '+' ? -offset : offset;
  }
  return new Date(time);
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}
