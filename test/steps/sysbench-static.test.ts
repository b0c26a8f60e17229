/**
 * The sysbench step's static facets: the option list is current with the installed sysbench, options are
 * checked by name and value at their own line, the rules agree with what the real sysbench accepts, and the
 * result type is what the summary parser returns.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateOptionsModule } from '../../scripts/gen-sysbench-options.js';
import { compileRunbook } from '../../src/runbook/index.js';
import type { ValueType } from '../../src/runbook/value-type.js';
import { parsePrepare, parseRun } from '../../src/steps/sysbench/execute.js';
import { GENERAL_OPTIONS, WORKLOAD_OPTIONS, WORKLOADS } from '../../src/steps/sysbench/options.generated.js';
import { workloadOptions } from '../../src/steps/sysbench/options.js';
import { SYSBENCH_WORKLOADS } from '../../src/steps/sysbench/schema.js';
import { SYSBENCH_RESULT_TYPES, sysbenchStatics } from '../../src/steps/sysbench/static.js';
import { memoryFiles, repoRoot, where } from '../runbook/fixtures.js';
import { compiledStep, staticContext } from '../helpers/compiled-steps.js';

function check(options: string, workload = 'oltp_read_write', command = 'run') {
  const step = compiledStep(
    `  - id: s\n    type: sysbench\n    connection: db\n    workload: ${workload}\n    command: ${command}\n    options:\n${options}`,
  );
  return sysbenchStatics.check!(step, staticContext);
}

const header = `name: lab
inputs:
  verbose: {type: boolean, default: false}
  threads: {type: integer, default: 2}
connections:
  db: {host: 127.0.0.1, user: root}
steps:
`;

function compile(steps: string) {
  return compileRunbook('lab.yaml', { readFile: memoryFiles({ 'lab.yaml': header + steps }) });
}

function members(type: ValueType): string[] {
  assert.equal(type.kind, 'structure');
  return Object.keys(type.kind === 'structure' ? type.members : {}).sort();
}

describe('sysbench statics', () => {
  it('the committed option list equals the one generated from the installed sysbench', async function () {
    this.timeout(60_000);
    const committed = readFileSync(join(repoRoot, 'src/steps/sysbench/options.generated.ts'), 'utf8');
    assert.equal(committed, await generateOptionsModule(), 'run: npx tsx scripts/gen-sysbench-options.ts');
  });

  it('knows every workload of the schema, with the value kinds the help gives', () => {
    assert.deepEqual(Object.keys(WORKLOADS).sort(), [...SYSBENCH_WORKLOADS].sort());
    assert.equal(GENERAL_OPTIONS.threads?.kind, 'integer');
    assert.equal(GENERAL_OPTIONS['rand-pareto-h']?.kind, 'number');
    assert.equal(GENERAL_OPTIONS['thread-stack-size']?.kind, 'size');
    assert.equal(GENERAL_OPTIONS.histogram?.kind, 'boolean');
    assert.equal(GENERAL_OPTIONS['mysql-ignore-errors']?.kind, 'list');
    assert.deepEqual(GENERAL_OPTIONS['rand-type']?.values, ['uniform', 'gaussian', 'special', 'pareto']);
    assert.equal(GENERAL_OPTIONS['max-time']?.aliasOf, 'time');
    assert.equal(GENERAL_OPTIONS['pgsql-host'], undefined, 'the pgsql driver options are left out');
    assert.equal(WORKLOAD_OPTIONS.table_size?.kind, 'integer');
    assert.equal(WORKLOAD_OPTIONS.skip_trx?.kind, 'boolean');
    assert.deepEqual(WORKLOADS.bulk_insert, []);
    assert.ok(WORKLOADS.select_random_points?.includes('random_points'));
    assert.ok(!WORKLOADS.oltp_read_write?.includes('random_points'));
    assert.equal(workloadOptions('oltp_insert')?.get('table-size')?.name, 'table_size');
    assert.equal(workloadOptions('no_such_workload'), undefined);
  });

  it('passes the options of the shipped runbooks, in either spelling', () => {
    assert.deepEqual(
      check(
        '      threads: 1\n      tables: 1\n      table-size: "{{inputs.tableSize}}"\n      table_size: 10\n' +
          '      time: "60"\n      report-interval: 1\n      rand-type: uniform\n      skip_trx: true\n' +
          '      range_selects: "off"\n      thread-stack-size: 64K\n      rand-pareto-h: 0.3\n' +
          '      mysql-ignore-errors: all\n      mysql_storage_engine: innodb\n      events: "{{inputs.label}}"\n',
      ),
      [],
    );
  });

  it('reports an unknown option at its key, with a did-you-mean in the spelling used', () => {
    const problems = check(
      '      thread: 2\n      table_sise: 10\n      random_points: 3\n      pgsql-host: x\n',
    );
    assert.deepEqual(
      problems.map((p) => [p.pointer, p.at, p.code, p.hint]),
      [
        ['/options/thread', 'key', 'unknown-sysbench-option', 'did you mean "threads"?'],
        ['/options/table_sise', 'key', 'unknown-sysbench-option', 'did you mean "table_size"?'],
        [
          '/options/random_points',
          'key',
          'unknown-sysbench-option',
          'random_points is an option of select_random_points, not of oltp_read_write.',
        ],
        [
          '/options/pgsql-host',
          'key',
          'unknown-sysbench-option',
          'pgsql options are for the PostgreSQL driver; labrun runs sysbench with the mysql driver.',
        ],
      ],
    );
    assert.match(problems[0]!.message, /oltp_read_write has no option "thread"/);
  });

  it('knows that bulk_insert has no options of its own', () => {
    const [problem] = check('      tables: 4\n', 'bulk_insert', 'prepare');
    assert.equal(problem?.code, 'unknown-sysbench-option');
    assert.match(
      problem.hint ?? '',
      /an option of oltp_read_only, oltp_read_write, oltp_write_only and \d+ other/,
    );
    assert.deepEqual(check('      threads: 4\n      time: 5\n', 'bulk_insert'), []);
  });

  it('reports a value of the wrong form at the value, with the fix', () => {
    const problems = check(
      '      time: 5s\n      report-interval: 2m\n      threads: 2.5\n      tables: many\n      skip_trx: yes\n' +
        '      rand-type: Uniform\n      thread-stack-size: 1.5M\n      rand-pareto-h: high\n',
    );
    assert.deepEqual(
      problems.map((p) => [p.pointer, p.at, p.code]),
      [
        '/options/time',
        '/options/report-interval',
        '/options/threads',
        '/options/tables',
        '/options/skip_trx',
        '/options/rand-type',
        '/options/thread-stack-size',
        '/options/rand-pareto-h',
      ].map((pointer) => [pointer, undefined, 'invalid-sysbench-value']),
    );
    const hints = problems.map((p) => p.hint);
    assert.equal(problems[0]!.message, 'time takes a whole number, not "5s"');
    assert.equal(hints[0], 'time is in whole seconds: write 5.');
    assert.equal(hints[1], 'report-interval is in whole seconds: write 120.');
    assert.match(hints[2]!, /whole number \(number of threads to use\), e\.g\. 1/);
    assert.equal(hints[5], 'did you mean "uniform"?');
  });

  it('checks a template whose type is known, and leaves strings to sysbench', () => {
    const step = compiledStep(
      '  - id: s\n    type: sysbench\n    connection: db\n    workload: oltp_read_only\n    command: run\n' +
        '    options:\n      threads: "{{inputs.verbose}}"\n      time: "{{inputs.threads}}"\n      tables: "{{env.TABLES}}"\n',
    );
    const problems = sysbenchStatics.check!(step, {
      typeOf: (template) =>
        template.includes('verbose')
          ? { kind: 'boolean' }
          : template.includes('env')
            ? { kind: 'string' }
            : { kind: 'integer' },
    });
    assert.deepEqual(
      problems.map((p) => [p.pointer, p.message]),
      [
        [
          '/options/threads',
          'threads takes a whole number, but {{inputs.verbose}} is a boolean (true or false)',
        ],
      ],
    );
  });

  it("places the diagnostic on the option's own line, not at `command:`", () => {
    const { diagnostics } = compile(
      '  - id: s\n    type: sysbench\n    connection: db\n    workload: oltp_read_write\n    command: run\n' +
        '    options:\n      threads: 2\n      thread: 4\n      time: 5s\n',
    );
    assert.deepEqual(
      diagnostics.map((d) => [d.code, where(d)]),
      [
        ['unknown-sysbench-option', '15:7'],
        ['invalid-sysbench-value', '16:13'],
      ],
    );
  });

  it('agrees with the real sysbench on the values of its general options', function () {
    this.timeout(60_000);
    // sysbench itself checks its general options (a workload's are read by its Lua script, unchecked).
    const accepts = (option: string): boolean => {
      try {
        execFileSync('sysbench', [option, '--events=1', '--cpu-max-prime=10', 'cpu', 'run'], {
          stdio: 'pipe',
          env: { LC_ALL: 'C', PATH: process.env.PATH ?? '' },
        });
        return true;
      } catch {
        return false;
      }
    };
    const cases: Array<[string, string]> = [
      ['time', '5'],
      ['time', '5s'],
      ['time', '1e3'],
      ['threads', '2.5'],
      ['debug', 'on'],
      ['debug', 'true'],
      ['debug', '0'],
      ['debug', 'yes'],
      ['debug', 'On'],
      ['thread-stack-size', '64K'],
      ['thread-stack-size', '1.5M'],
      ['rand-type', 'gaussian'],
      ['rand-type', 'Uniform'],
      ['rand-pareto-h', '0.5'],
    ];
    for (const [name, value] of cases) {
      const statically = check(`      ${name}: "${value}"\n`).length === 0;
      assert.equal(statically, accepts(`--${name}=${value}`), `--${name}=${value}`);
    }
  });

  it('has the result type of what the parser returns, per command', () => {
    const prepare = SYSBENCH_RESULT_TYPES.prepare;
    assert.deepEqual(members(prepare), [...Object.keys(parsePrepare('')), 'exitCode'].sort());
    const run = SYSBENCH_RESULT_TYPES.run;
    assert.deepEqual(members(run), [...Object.keys(parseRun('')), 'exitCode'].sort());
    const latency = run.kind === 'structure' ? run.members.latency : undefined;
    assert.deepEqual(members(latency!), Object.keys(parseRun('').latency).sort());
    assert.deepEqual(members(SYSBENCH_RESULT_TYPES.cleanup), ['exitCode']);
    const typeOf = (command: string) =>
      sysbenchStatics.resultType!(
        compiledStep(
          `  - id: s\n    type: sysbench\n    connection: db\n    workload: oltp_read_only\n    command: ${command}\n`,
        ),
        staticContext,
      );
    assert.equal(typeOf('run'), run);
    assert.equal(typeOf('cleanup'), SYSBENCH_RESULT_TYPES.cleanup);
  });

  it('reports an unknown result path with a did-you-mean, and types the captures', () => {
    const { diagnostics } = compile(
      '  - id: bench\n    type: sysbench\n    connection: db\n    workload: oltp_read_only\n    command: run\n' +
        '    capture:\n      trx: "{{result.transaction}}"\n      p95: "{{result.latency.p95}}"\n' +
        '      p99: "{{result.latency.p99}}"\n' +
        '  - id: tables\n    type: sysbench\n    connection: db\n    workload: oltp_read_only\n    command: prepare\n' +
        '    capture:\n      tps: "{{result.tps}}"\n',
    );
    assert.deepEqual(
      diagnostics.map((d) => [d.code, where(d), d.message, d.hint]),
      [
        [
          'unknown-result-path',
          '14:22',
          'unknown path "result.transaction": result has no member "transaction"',
          'did you mean "transactions"?',
        ],
        [
          'unknown-result-path',
          '16:30',
          'unknown path "result.latency.p99": result.latency has no member "p99"',
          'did you mean "p95"?',
        ],
        [
          'unknown-result-path',
          '23:22',
          'unknown path "result.tps": result has no member "tps"',
          'members: tables, rowsInserted, exitCode',
        ],
      ],
    );
  });
});
