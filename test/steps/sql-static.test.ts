/** The sql step's static facets on compiled steps: syntax at its position, `?` count, result columns. */
import assert from 'node:assert/strict';
import type { ValueType } from '../../src/runbook/value-type.js';
import { checkSqlBody, sqlStatics } from '../../src/steps/sql/static.js';
import { compiledStep, staticContext } from '../helpers/compiled-steps.js';

function check(yaml: string) {
  return sqlStatics.check!(compiledStep(yaml), staticContext);
}

function rowMembers(yaml: string): string[] | 'any' {
  const result = sqlStatics.resultType!(compiledStep(yaml), staticContext);
  assert.equal(result.kind, 'structure');
  const members = (result as Extract<ValueType, { kind: 'structure' }>).members;
  assert.deepEqual(Object.keys(members), ['rows', 'rowCount', 'affectedRows', 'insertId']);
  assert.deepEqual(members.rowCount, { kind: 'integer' });
  const rows = members.rows as Extract<ValueType, { kind: 'list' }>;
  return rows.member.kind === 'structure' ? Object.keys(rows.member.members) : 'any';
}

describe('sql statics', () => {
  it('passes the seed statements', () => {
    for (const query of [
      'CHECKSUM TABLE sbtest1',
      'DROP TABLE IF EXISTS sbtest1',
      "SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_schema = ? AND table_name = 'sbtest1'",
    ]) {
      const params = query.includes('?') ? '\n    params: ["{{inputs.label}}"]' : '';
      assert.deepEqual(
        check(`  - id: s\n    type: sql\n    connection: db\n    query: ${query}${params}\n`),
        [],
      );
    }
  });

  it('points a syntax error at its word inside the query, also in a block scalar', () => {
    const [problem] = check(
      '  - id: s\n    type: sql\n    connection: db\n    query: CHECKSUM TABEL sbtest1\n',
    );
    assert.ok(problem);
    assert.equal(problem.code, 'sql-syntax');
    assert.equal(problem.pointer, '/query');
    assert.deepEqual([problem.offset, problem.length], [9, 5]);
    assert.equal(problem.hint, 'did you mean "TABLE"?');

    const step = compiledStep(
      '  - id: s\n    type: sql\n    connection: db\n    query: |\n      SELECT COUNT(*) AS n\n      FROM sbtest1 WHERE\n',
    );
    const [block] = sqlStatics.check!(step, staticContext);
    assert.ok(block);
    assert.equal(block.code, 'sql-syntax');
    assert.equal(block.offset, String(step.fields.query).trimEnd().length);
    assert.match(block.message, /ends too early/);
  });

  it('refuses a ? count that differs from params', () => {
    const [one] = check(
      '  - id: s\n    type: sql\n    connection: db\n    query: SELECT ? AS a\n    params: [1, 2]\n',
    );
    assert.ok(one);
    assert.equal(one.code, 'sql-params');
    assert.equal(one.pointer, '/params');
    assert.equal(one.message, 'the query has 1 ? placeholder but params has 2 values');
    const [none] = check('  - id: s\n    type: sql\n    connection: db\n    query: SELECT ? AS a\n');
    assert.ok(none);
    assert.equal(none.pointer, '/query');
    assert.equal(none.message, 'the query has 1 ? placeholder but params has 0 values');
  });

  it('leaves templated queries alone', () => {
    const yaml =
      '  - id: s\n    type: sql\n    connection: db\n    query: "SELEC {{inputs.label}}"\n    params: [1]\n';
    assert.deepEqual(check(yaml), []);
    assert.equal(rowMembers(yaml), 'any');
  });

  it('types the rows by the columns the statement names', () => {
    const step = (query: string): string =>
      `  - id: s\n    type: sql\n    connection: db\n    query: ${query}\n`;
    assert.deepEqual(rowMembers(step('CHECKSUM TABLE sbtest1')), ['Table', 'Checksum']);
    assert.deepEqual(rowMembers(step('SELECT current_timestamp()')), ['current_timestamp()']);
    assert.deepEqual(rowMembers(step('SELECT COUNT(*) AS n, t.k FROM sbtest1 t')), ['n', 'k']);
    assert.deepEqual(rowMembers(step('SHOW TABLES FROM mylab')), ['Tables_in_mylab']);
    assert.equal(rowMembers(step('SHOW TABLES')), 'any');
    assert.equal(rowMembers(step('SELECT * FROM sbtest1')), 'any');
    assert.deepEqual(rowMembers(step('DROP TABLE sbtest1')), []);
  });

  it('checks a wait-until sql probe at /probe', () => {
    const step = compiledStep(
      '  - id: w\n    type: wait-until\n    probe:\n      type: sql\n      connection: db\n      query: SELECT ? AS reached\n    value: "{{result.rows.0.reached}}"\n    success: [1]\n    timeout: 1m\n',
    );
    const [problem] = checkSqlBody(step.fields.probe as Record<string, unknown>, '/probe');
    assert.ok(problem);
    assert.equal(problem.pointer, '/probe/query');
    assert.equal(problem.code, 'sql-params');
  });
});
