/**
 * The typed checks: a step type's static problems become diagnostics at the key, the value or a position
 * inside a string (plain, quoted with escapes, block scalars); types flow from inputs, results and captures
 * into `typeOf`; result paths are checked against result types.
 */
import assert from 'node:assert/strict';
import { compileRunbook, formatDiagnostic } from '../../src/runbook/index.js';
import type { CompiledStep } from '../../src/runbook/types.js';
import type { StaticProblem, ValueType } from '../../src/runbook/value-type.js';
import { operationModel } from '../../src/steps/aws/model.js';
import { checkAwsBody } from '../../src/steps/aws/params-check.js';
import { valueOffsets } from '../../src/runbook/string-offsets.js';
import { stepStatics } from '../../src/steps/statics.js';
import type { StaticContext, StepStatics } from '../../src/steps/static-types.js';
import { memoryFiles, where } from './fixtures.js';

type Name = keyof typeof stepStatics;

/** Runs `body` with some step types' statics replaced, then puts the real ones back. */
function withStatics<T>(replacements: Partial<Record<Name, StepStatics>>, body: () => T): T {
  const saved = { ...stepStatics };
  Object.assign(stepStatics, replacements);
  try {
    return body();
  } finally {
    Object.assign(stepStatics, saved);
  }
}

const header = `name: lab
inputs:
  clusterName: {default: lab}
  size: {type: integer, default: 10}
connections:
  db: {host: 127.0.0.1, user: root}
steps:
`;

function compile(steps: string) {
  return compileRunbook('lab.yaml', { readFile: memoryFiles({ 'lab.yaml': header + steps }) });
}

/** Every problem points at the text a static check names. */
function problemsAt(steps: string, problems: StaticProblem[]) {
  return withStatics({ sql: { check: () => problems } }, () => compile(steps).diagnostics);
}

const sqlStep = (query: string) => `  - id: q\n    type: sql\n    connection: db\n    query: ${query}\n`;

/** The text a diagnostic's span covers. */
function covered(text: string, d: { span?: { offset: number; endOffset: number } }): string {
  return text.slice(d.span!.offset, d.span!.endOffset);
}

describe('typed checks: static problems as diagnostics', () => {
  it('points at a key, at a value, and at the step', () => {
    const steps = `${sqlStep('SELECT ?')}    params: [1, 2]\n    timeout: 5s\n`;
    const text = header + steps;
    const diagnostics = problemsAt(steps, [
      { pointer: '/timeout', at: 'key', code: 'sql-params', message: 'key' },
      { pointer: '/params', code: 'sql-params', message: 'value', hint: 'drop one' },
      { pointer: '/nothing/here', code: 'sql-params', message: 'ancestor', severity: 'warning' },
    ]);
    const byMessage = Object.fromEntries(diagnostics.map((d) => [d.message, d]));
    assert.equal(covered(text, byMessage.key!), 'timeout');
    assert.equal(where(byMessage.key!), '13:5');
    assert.equal(covered(text, byMessage.value!), '[1, 2]');
    assert.equal(byMessage.value!.hint, 'drop one');
    assert.equal(byMessage.ancestor!.severity, 'warning');
    assert.ok(covered(text, byMessage.ancestor!).startsWith('id: q'));
  });

  const inside = (query: string, needle: string) => {
    const steps = sqlStep(query);
    const text = header + steps;
    // The value of the query as YAML reads it, to find where the needle is in it.
    const value = withStatics({ sql: {} }, () => compile(steps).runbook!.steps[0]!.fields.query as string);
    const offset = value.indexOf(needle);
    assert.ok(offset >= 0, `${needle} not in ${JSON.stringify(value)}`);
    const [d] = problemsAt(steps, [
      { pointer: '/query', offset, length: needle.length, code: 'sql-syntax', message: 'here' },
    ]);
    return { covered: covered(text, d!), at: where(d!), frame: formatDiagnostic(d!, { source: text }) };
  };

  it('points inside a plain string', () => {
    const found = inside('SELECT 1 FORM t', 'FORM');
    assert.equal(found.covered, 'FORM');
    assert.equal(found.at, '11:21');
    assert.ok(found.frame.endsWith(`\n   |${' '.repeat(21)}^^^^`), found.frame);
  });

  it('points inside a double-quoted string with escapes', () => {
    assert.equal(inside('"SELECT \\"a\\tb\\" FORM t"', 'FORM').covered, 'FORM');
    assert.equal(inside('"SELECT \\u00e9, 2 FORM t"', 'FORM').covered, 'FORM');
    assert.equal(inside('"SELECT \\"x\\" FORM t"', '"x"').covered, '\\"x\\"');
  });

  it("points inside a single-quoted string with ''", () => {
    assert.equal(inside("'SELECT ''a'' FORM t'", 'FORM').covered, 'FORM');
  });

  it('points inside a literal block scalar, on the right line', () => {
    const found = inside('|\n      SELECT 1\n      FORM t\n      WHERE x', 'FORM');
    assert.equal(found.covered, 'FORM');
    assert.equal(found.at, '13:7');
  });

  it('points inside a folded block scalar and a multi-line quoted string', () => {
    assert.equal(inside('>-\n      SELECT 1\n        FROM t\n      WHERE x = 1 ORDR', 'ORDR').at, '14:19');
    assert.equal(inside('"SELECT 1\n      FORM t"', 'FORM').at, '12:7');
  });

  it('maps offsets of a value with folded blank lines', () => {
    const source = '"a\n\n   b"';
    assert.deepEqual(valueOffsets(source, 'a\nb'), [1, 2, 7, 8]);
  });
});

const rows: ValueType = {
  kind: 'structure',
  members: {
    rows: {
      kind: 'list',
      member: { kind: 'structure', members: { Table: { kind: 'string' }, Checksum: { kind: 'integer' } } },
    },
    rowCount: { kind: 'integer' },
    tags: { kind: 'map', value: { kind: 'string' } },
    raw: { kind: 'any' },
  },
};

const typedSql: StepStatics = { resultType: () => rows };

describe('typed checks: result paths', () => {
  const check = (steps: string) =>
    withStatics({ sql: typedSql }, () => {
      const { diagnostics } = compile(steps);
      return diagnostics.map((d) => ({
        code: d.code,
        at: where(d),
        covered: covered(header + steps, d),
        message: d.message,
        hint: d.hint,
      }));
    });

  it('accepts paths the result type has: list indexes, map keys, any', () => {
    const steps =
      `${sqlStep('CHECKSUM TABLE t')}    capture:\n` +
      `      sum: "{{result.rows.0.Checksum}}"\n      n: "{{result.rows.length}}"\n` +
      `      tag: "{{result.tags.anything}}"\n      deep: "{{result.raw.a.b.c}}"\n`;
    assert.deepEqual(check(steps), []);
  });

  it('refuses a misspelt member, case-insensitive match first, at the segment', () => {
    const steps = `${sqlStep('CHECKSUM TABLE t')}    capture:\n      sum: "{{result.rows.0.checksum}}"\n`;
    const [d] = check(steps);
    assert.equal(d!.code, 'unknown-result-path');
    assert.equal(d!.covered, 'checksum');
    assert.equal(d!.at, '13:29');
    assert.equal(d!.message, 'unknown path "result.rows.0.checksum": result.rows.0 has no member "checksum"');
    assert.equal(d!.hint, 'did you mean "Checksum"?');
  });

  it('refuses a list read by name and a member of a scalar', () => {
    const steps =
      `${sqlStep('SELECT 1')}    capture:\n      a: "{{result.rows.Table}}"\n` +
      `      b: "x {{result.rowCount.value}}"\n`;
    const found = check(steps);
    assert.deepEqual(
      found.map((d) => [d.covered, d.message]),
      [
        ['Table', 'unknown path "result.rows.Table": result.rows is a list: index it by number'],
        ['value', 'unknown path "result.rowCount.value": result.rowCount is an integer, it has no members'],
      ],
    );
  });

  it('checks steps.<id>.result paths and capture types in later steps', () => {
    const steps =
      `${sqlStep('CHECKSUM TABLE t')}    capture:\n      first: "{{result.rows.0}}"\n` +
      `  - id: check\n    type: assert\n    that:\n` +
      `      - actual: "{{steps.q.result.rows.0.Checksun}}"\n        exists: true\n` +
      `      - actual: "{{captures.first.Tabel}}"\n        exists: true\n`;
    const found = check(steps);
    assert.deepEqual(
      found.map((d) => [d.covered, d.hint]),
      [
        ['Checksun', 'did you mean "Checksum"?'],
        ['Tabel', 'did you mean "Table"?'],
      ],
    );
  });

  it('leaves untyped results alone', () => {
    const steps = `  - id: a\n    type: aws\n    operation: DescribeDBClusters\n    capture:\n      x: "{{result.Whatever.0.Thing}}"\n`;
    assert.deepEqual(
      withStatics({ aws: {} }, () => check(steps)),
      [],
    );
  });
});

describe('typed checks: typeOf', () => {
  it('knows typed inputs, step results, captures and helpers', () => {
    const seen: Record<string, ValueType | undefined> = {};
    const probe: StepStatics = {
      check: (step, ctx) => {
        if (step.id !== 'use') return [];
        for (const template of Object.values(step.fields.params as Record<string, string>))
          seen[template] = ctx.typeOf(template);
        return [];
      },
    };
    const steps =
      `${sqlStep('CHECKSUM TABLE t')}    capture:\n      sum: "{{result.rows.0.Checksum}}"\n      row: "{{result.rows.0}}"\n` +
      `  - id: at\n    type: capture\n    name: marker\n    serverTime: db\n` +
      `  - id: use\n    type: sql\n    connection: db\n    query: SELECT ?\n    params:\n` +
      `      - "{{inputs.size}}"\n      - "{{inputs.clusterName}}"\n      - "{{captures.sum}}"\n` +
      `      - "{{captures.row.Table}}"\n      - "{{steps.q.result.rowCount}}"\n      - "{{captures.marker}}"\n` +
      `      - "{{addSeconds captures.marker 5}}"\n      - "id-{{inputs.size}}"\n      - "{{env.HOME}}"\n` +
      `      - "{{steps.q.result.raw.x}}"\n`;
    withStatics({ sql: { ...typedSql, ...probe } }, () => {
      const { diagnostics } = compile(steps);
      assert.deepEqual(diagnostics, []);
    });
    assert.deepEqual(seen, {
      '{{inputs.size}}': { kind: 'integer' },
      '{{inputs.clusterName}}': { kind: 'string' },
      '{{captures.sum}}': { kind: 'integer' },
      '{{captures.row.Table}}': { kind: 'string' },
      '{{steps.q.result.rowCount}}': { kind: 'integer' },
      '{{captures.marker}}': { kind: 'timestamp' },
      '{{addSeconds captures.marker 5}}': { kind: 'timestamp' },
      'id-{{inputs.size}}': { kind: 'string' },
      '{{env.HOME}}': { kind: 'string' },
      '{{steps.q.result.raw.x}}': undefined,
    });
  });
});

describe('typed checks: aws params in a whole runbook', () => {
  const createInstance = (engine: string) =>
    `  - id: add-instance\n    type: aws\n    operation: CreateDBInstance\n    params:\n` +
    `      DBInstanceIdentifier: lab-instance\n      DBInstanceClass: db.r5.large\n      Engine: ${engine}\n` +
    `      DBClusterIdentifier: "{{inputs.clusterName}}"\n`;

  it('warns about the retired engine name aurora at the value, and the runbook still compiles', () => {
    const { runbook, diagnostics } = compile(createInstance('aurora'));
    assert.ok(runbook, 'a warning does not block compile');
    assert.deepEqual(
      diagnostics.map((d) => `${d.severity} ${d.code} ${where(d)} ${d.hint}`),
      [
        'warning retired-value 14:15 Use aurora-mysql (see https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstance.html).',
      ],
    );
    assert.deepEqual(compile(createInstance('aurora-mysql')).diagnostics, []);
  });

  it('refuses an operation whose model is missing at the operation, without a crash', () => {
    const lacking = {
      ...stepStatics.aws,
      check: (step: CompiledStep, ctx: StaticContext) =>
        checkAwsBody(step.fields, '', ctx, (service, operation) =>
          operation === 'CreateDBInstance' ? undefined : operationModel(service, operation),
        ),
    };
    const steps = createInstance('aurora-mysql');
    const { runbook, diagnostics } = withStatics({ aws: lacking }, () => compile(steps));
    assert.equal(runbook, undefined);
    assert.deepEqual(
      diagnostics.map((d) => `${d.severity} ${d.code} ${where(d)} ${d.message}`),
      [
        'error missing-aws-model 10:16 labrun has no model of rds CreateDBInstance: its params cannot be checked',
      ],
    );
  });
});
