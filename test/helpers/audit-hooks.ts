/**
 * Mocha root-hook plugin (loaded through .mocharc.json's `require`): after the whole suite, fails it if any
 * audited secret appeared in anything labrun printed or wrote (secret-audit.ts), naming each output and
 * secret. When every loaded test ran (no --grep, no test cut short), it also fails if the audit saw too
 * little to mean anything, so that a helper that stopped auditing cannot pass silently.
 */
import type { Context, Suite } from 'mocha';
import { AUDITED_SECRETS, auditFindings, auditStats, type AuditStats } from './secret-audit.js';

/**
 * What the full suite must at least have audited: about half of what it audits without the kill-and-resume
 * lab (69 labrun processes, 52 engine runs, 73 run directories, 7 sandbox homes, 1.6 MB).
 */
const MINIMUM: Partial<AuditStats> = {
  cliRuns: 40,
  engineRuns: 30,
  runDirs: 40,
  sandboxHomes: 4,
  bytes: 500_000,
};

/** True when every test that was loaded ran or was skipped on purpose: the audit covered the whole suite. */
function wholeSuiteRan(root: Suite): boolean {
  const all = (suite: Suite): boolean =>
    suite.tests.every((test) => test.state !== undefined || test.isPending()) && suite.suites.every(all);
  return all(root);
}

export const mochaHooks = {
  afterAll(this: Context): void {
    const findings = auditFindings();
    const stats = auditStats();
    if (findings.length > 0) {
      const lines = findings.map((f) => `  ${JSON.stringify(f.secret)} ${f.count}x in ${f.label}`);
      throw new Error(`secret audit: secrets appeared in labrun's output:\n${lines.join('\n')}`);
    }
    const root = this.test?.parent;
    if (root && wholeSuiteRan(root)) {
      const short = Object.entries(MINIMUM)
        .filter(([key, min]) => stats[key as keyof AuditStats] < min)
        .map(([key, min]) => `${key} ${stats[key as keyof AuditStats]} < ${min}`);
      if (short.length > 0)
        throw new Error(`secret audit: too little audited to mean anything (${short.join(', ')})`);
    }
    console.log(
      `  secret audit: ${stats.outputs} outputs (${stats.bytes} bytes) from ${stats.cliRuns} labrun processes, ` +
        `${stats.engineRuns} engine runs, ${stats.runDirs} run directories, ${stats.sandboxHomes} sandbox homes; ` +
        `the ${AUDITED_SECRETS.length} audited secrets appeared 0 times`,
    );
  },
};
