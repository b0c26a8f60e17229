/** Command lines as a person reads them: short ones on one line, long ones broken before each option. */

const WIDTH = 100;

/**
 * `groups[0]` is the command (e.g. `aws rds describe-db-clusters`), each further group one option with its
 * value(s). Returns the lines, continued with ` \` when the command is too long for one.
 */
export function commandLines(groups: string[][], prefix = '', suffix = ''): string[] {
  const flat = `${prefix}${groups.map((g) => g.join(' ')).join(' ')}${suffix}`;
  if (flat.length <= WIDTH && !flat.includes('\n')) return [flat];
  const lines = groups.map((g, i) => `${i === 0 ? prefix : '  '}${g.join(' ')}`);
  return lines.map((line, i) => (i < lines.length - 1 ? `${line} \\` : `${line}${suffix}`));
}
