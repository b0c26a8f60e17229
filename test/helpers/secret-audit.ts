/**
 * The suite-wide secret audit: every output labrun produces in the tests (what the CLI prints, the files it
 * writes in run directories, --json and --junit files, the events and records of engine-level runs, the
 * sandbox daemon's log and state files) is handed to `auditText`/`auditFile`/`auditDir`, which count each
 * occurrence of the secrets the tests use. The root hook in audit-hooks.ts fails the suite on any occurrence,
 * and, when the whole suite ran, when too little was audited for the result to mean anything.
 *
 * Test sources and files a test writes itself (a runbook holding a password on purpose) are never audited.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { secretForms } from '../../src/engine/mask.js';

/**
 * Every secret the tests hand to labrun: none of them may appear in anything labrun prints or writes.
 * (Dummy values that labrun prints on purpose, like the sandbox's fake AWS keys, are not secrets.)
 */
export const AUDITED_SECRETS: readonly string[] = [
  // The sandbox's master password (src/sandbox/control/lab-stack.ts), also the seed labs' DBPASS.
  'Password1',
  // test/helpers/mariadb.ts: the default password of the throwaway MariaDB servers.
  'S3cret-pw-for-tests',
  // test/cli/cli.test.ts: a secret input set with --set or LAB_TOKEN, and the fake AWS secret key.
  'cli-Secret-Value-42',
  'stack-token',
  'not-a-real-secret',
  // test/engine: secret inputs and the fake AWS secret key of engine-level runs.
  'Tr0ub4dor-secret-value',
  'tok-Very-Secret-1',
  'labrun-test-secret-key',
  // test/cli/cli.test.ts: a secret with a quote, a backslash, a tab and a space, shown escaped.
  'My"Sec\\ret\tSp ce%9',
];

/** Each audited secret with the forms it takes in JSON, URLs and shell words (src/engine/mask.ts). */
const AUDITED_FORMS: ReadonlyArray<{ secret: string; forms: string[] }> = AUDITED_SECRETS.map((secret) => ({
  secret,
  forms: secretForms(secret),
}));

export interface AuditFinding {
  /** What was audited: a command line and stream, or a file path. */
  label: string;
  secret: string;
  count: number;
}

export interface AuditStats {
  /** Texts audited (streams, event lists, file versions). */
  outputs: number;
  bytes: number;
  /** `labrun` processes whose stdout and stderr were audited. */
  cliRuns: number;
  /** Engine-level runs (test/helpers/runbook.ts) whose events and files were audited. */
  engineRuns: number;
  /** Distinct run directories (holding record.json or journal.jsonl) audited. */
  runDirs: number;
  /** Distinct sandbox homes whose daemon log and state files were audited. */
  sandboxHomes: number;
}

interface AuditRegistry {
  findings: AuditFinding[];
  stats: AuditStats;
  runDirs: Set<string>;
  sandboxHomes: Set<string>;
  /** Path -> size and mtime of the version last audited: a file audited again unchanged is not read twice. */
  fileVersions: Map<string, string>;
}

/**
 * One registry per process, kept on globalThis: mocha may load the root hook through require and the tests
 * through import, which gives this module two instances that must still share their findings.
 */
const registry: AuditRegistry = ((globalThis as { [key: symbol]: AuditRegistry })[
  Symbol.for('labrun.secretAudit')
] ??= {
  findings: [],
  stats: { outputs: 0, bytes: 0, cliRuns: 0, engineRuns: 0, runDirs: 0, sandboxHomes: 0 },
  runDirs: new Set(),
  sandboxHomes: new Set(),
  fileVersions: new Map(),
});
const { findings, stats, runDirs, sandboxHomes, fileVersions } = registry;

/** Records `text` (what labrun printed or wrote) under `label` for the end-of-suite check. */
export function auditText(label: string, text: string): void {
  stats.outputs += 1;
  stats.bytes += Buffer.byteLength(text);
  for (const { secret, forms } of AUDITED_FORMS) {
    const count = forms.reduce((sum, form) => sum + text.split(form).length - 1, 0);
    if (count > 0) findings.push({ label, secret, count });
  }
}

/** Reads a file labrun wrote and audits its contents; a missing file is skipped (returns false). */
export function auditFile(path: string): boolean {
  const full = resolve(path);
  let version: string;
  try {
    const info = statSync(full);
    if (!info.isFile()) return false;
    version = `${info.size}:${info.mtimeMs}`;
  } catch {
    return false;
  }
  if (fileVersions.get(full) === version) return true;
  let text: string;
  try {
    text = readFileSync(full, 'utf8');
  } catch {
    // Replaced or removed between stat and read (a record is written by rename): the next audit reads it.
    return false;
  }
  fileVersions.set(full, version);
  auditText(full, text);
  const name = basename(full);
  if (name === 'record.json' || name === 'journal.jsonl') {
    runDirs.add(dirname(full));
    stats.runDirs = runDirs.size;
  }
  return true;
}

/** Audits every file under `dir` (a runs directory or one run's directory: everything in it is labrun's). */
export function auditDir(dir: string): void {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) auditDir(path);
    else if (entry.isFile()) auditFile(path);
  }
}

/**
 * The sandbox daemon's log and state files in `home` (daemon.log, daemon.json, daemon.lock). Not the password
 * file (it holds the password on purpose), not the registry (the control plane's own store, like RDS's), not
 * the clusters' MariaDB data directories. Call it before the home is purged.
 */
export function auditSandboxHome(home: string): void {
  if (!existsSync(home)) return;
  let audited = false;
  for (const name of ['daemon.log', 'daemon.json', 'daemon.lock'])
    audited = auditFile(join(home, name)) || audited;
  if (audited) {
    sandboxHomes.add(resolve(home));
    stats.sandboxHomes = sandboxHomes.size;
  }
}

/** Counts one `labrun` process whose output went through `auditText`. */
export function noteCliRun(): void {
  stats.cliRuns += 1;
}

/** Counts one engine-level run whose events and files went through the audit. */
export function noteEngineRun(): void {
  stats.engineRuns += 1;
}

export function auditFindings(): readonly AuditFinding[] {
  return findings;
}

export function auditStats(): Readonly<AuditStats> {
  return { ...stats };
}
