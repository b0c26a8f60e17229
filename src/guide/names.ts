/**
 * Names: the aws CLI's spelling of an operation or a parameter (botocore's xform_name with "-"), and shell
 * variable names for inputs, captures and step results.
 */

const FIRST_CAP = /(.)([A-Z][a-z]+)/g;
const END_CAP = /([a-z0-9])([A-Z])/g;
const SPECIAL_PLURAL = /[A-Z]{2,}s$/;

/**
 * `DBClusterIdentifier` -> `db-cluster-identifier`, `RestoreDBClusterToPointInTime` ->
 * `restore-db-cluster-to-point-in-time`, `VpcSecurityGroupIds` -> `vpc-security-group-ids`: botocore's rule,
 * which the aws CLI (v1 and v2) uses for command and option names.
 */
export function cliName(name: string, sep = '-'): string {
  if (name.includes(sep)) return name;
  let source = name;
  const special = SPECIAL_PLURAL.exec(source);
  if (special) source = `${source.slice(0, -special[0].length)}${sep}${special[0].toLowerCase()}`;
  return source.replace(FIRST_CAP, `$1${sep}$2`).replace(END_CAP, `$1${sep}$2`).toLowerCase();
}

/** Variables a guide must not take over. */
const RESERVED = new Set([
  'PATH',
  'HOME',
  'PWD',
  'OLDPWD',
  'SHELL',
  'USER',
  'IFS',
  'SECONDS',
  'RANDOM',
  'LINENO',
  'UID',
  'EUID',
  'HOSTNAME',
  'TERM',
  'LANG',
  'PS1',
  'PS2',
  'BASH',
  'OPTIND',
  'OPTARG',
  'REPLY',
  'MYSQL_PWD',
  'STACK_NAME',
  'TMPDIR',
  'STATUS',
  'FAILED',
]);

/** Hands out unique shell variable names: `cloneEndpoint` -> CLONE_ENDPOINT. */
export class ShellNames {
  private readonly taken = new Map<string, string>();
  private readonly used = new Set<string>();

  /** Claim a name as is (an environment variable the runbook names). */
  claim(key: string, name: string): string {
    this.taken.set(key, name);
    this.used.add(name);
    return name;
  }

  name(key: string, base: string): string {
    const known = this.taken.get(key);
    if (known) return known;
    let candidate = cliName(base.replace(/[^A-Za-z0-9]+/g, '_'), '_')
      .replace(/[^a-z0-9_]+/g, '_')
      .replace(/_+/g, '_')
      .replace(/^_|_$/g, '')
      .toUpperCase();
    if (!/^[A-Z_]/.test(candidate)) candidate = `V_${candidate}`;
    let name = candidate;
    for (let n = 2; this.used.has(name) || RESERVED.has(name); n++) name = `${candidate}_${n}`;
    return this.claim(key, name);
  }
}
