/**
 * Mocha root-hook plugin (loaded through .mocharc.json's `require`): after the whole suite, fails it if any
 * audited secret appeared in anything labrun printed or wrote (secret-audit.ts), naming each output and
 * secret. When every loaded test ran (no --grep, no test cut short), it also fails if the audit saw too
 * little to mean anything, so that a helper that stopped auditing cannot pass silently.
 *
 * For the whole suite it also samples every process's command line (argv-audit.ts): an audited secret on the
 * argv of any process (sysbench, mysql, mariadbd, started by labrun, the sandbox or a test) fails the suite.
 */
import type { Context, Suite } from 'mocha';
import { argvAuditMarker, startArgvSampler, type ArgvSampler } from './argv-audit.js';
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

/** The sysbench processes the full suite must at least have seen on the process table (it starts about 30). */
const MINIMUM_SYSBENCH_PROCESSES = 10;

let sampler: ArgvSampler | undefined;

export const mochaHooks = {
  beforeAll(): void {
    // Only this suite's processes count, not whatever else runs on the machine.
    sampler = startArgvSampler(AUDITED_SECRETS, {
      match: 'sysbench',
      intervalMs: 50,
      marker: argvAuditMarker(),
    });
  },
  async afterAll(this: Context): Promise<void> {
    const argv = await sampler?.stop();
    if (argv && argv.findings.length > 0) {
      const lines = argv.findings.map((f) => `  ${JSON.stringify(f.secret)} in: ${f.command}`);
      throw new Error(`argv audit: secrets appeared on command lines:\n${lines.join('\n')}`);
    }
    const findings = auditFindings();
    const stats = auditStats();
    if (findings.length > 0) {
      const lines = findings.map((f) => `  ${JSON.stringify(f.secret)} ${f.count}x in ${f.label}`);
      throw new Error(`secret audit: secrets appeared in labrun's output:\n${lines.join('\n')}`);
    }
    const root = this.test?.parent;
    // `npm run test:fast` loads a subset on purpose (no servers): the minimums are for the full suite.
    if (root && wholeSuiteRan(root) && process.env.LABRUN_TEST_SUBSET === undefined) {
      const short = Object.entries(MINIMUM)
        .filter(([key, min]) => stats[key as keyof AuditStats] < min)
        .map(([key, min]) => `${key} ${stats[key as keyof AuditStats]} < ${min}`);
      if (argv && argv.matched < MINIMUM_SYSBENCH_PROCESSES)
        short.push(`sysbench processes sampled ${argv.matched} < ${MINIMUM_SYSBENCH_PROCESSES}`);
      if (short.length > 0)
        throw new Error(`secret audit: too little audited to mean anything (${short.join(', ')})`);
    }
    console.log(
      `  secret audit: ${stats.outputs} outputs (${stats.bytes} bytes) from ${stats.cliRuns} labrun processes, ` +
        `${stats.engineRuns} engine runs, ${stats.runDirs} run directories, ${stats.sandboxHomes} sandbox homes; ` +
        `the ${AUDITED_SECRETS.length} audited secrets appeared 0 times`,
    );
    if (argv)
      console.log(
        `  argv audit: ${argv.samples} samples of the process table, ${argv.processes} processes ` +
          `(${argv.matched} sysbench); the audited secrets appeared on no command line`,
      );
  },
};
