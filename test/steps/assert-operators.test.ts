import assert from 'node:assert/strict';
import { evaluate, looseEquals } from '../../src/steps/assert/execute.js';

describe('assert operators', () => {
  const cases: Array<[Parameters<typeof evaluate>[0], unknown, unknown, boolean]> = [
    ['equals', 42, '42', true],
    ['equals', '3264529792', 3264529792, true],
    ['equals', '18446744073709551615', '18446744073709551615', true],
    ['equals', '18446744073709551615', '18446744073709551614', false],
    ['equals', 'available', 'available', true],
    ['equals', 'available', 'creating', false],
    ['equals', 0, '0.0', true],
    ['equals', '042', 42, true],
    ['equals', 'abc', 'ABC', false],
    ['equals', true, 'true', true],
    ['equals', { a: [1, '2'] }, { a: ['1', 2] }, true],
    ['equals', null, undefined, true],
    ['equals', null, 0, false],
    ['notEquals', 1, '2', true],
    ['notEquals', '7', 7, false],
    ['oneOf', 'available', ['creating', 'available'], true],
    ['oneOf', '3', [1, 2, 3], true],
    ['oneOf', 'deleted', ['creating', 'available'], false],
    ['matches', 'auroralab-mysql-cluster-clone', '^auroralab-.*-clone$', true],
    ['matches', '2026-11-23T09:20:01.734512Z', '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{6}Z$', true],
    ['matches', 'abc', '^b', false],
    ['matches', null, '.*', false],
    ['contains', 'Table sbtest1 is missing', 'sbtest1', true],
    ['contains', ['a', 'b'], 'b', true],
    ['contains', [1, 2], '2', true],
    ['contains', 'abc', 'x', false],
    ['contains', undefined, 'x', false],
    ['greaterThan', '10', 9, true],
    ['greaterThan', 9, '10', false],
    ['greaterThan', '2026-01-02T00:00:00Z', '2026-01-01T00:00:00Z', true],
    ['greaterThan', '18446744073709551615', '18446744073709551614', true],
    ['lessThan', 1.5, '2', true],
    ['lessThan', 2, 2, false],
    ['exists', 'x', true, true],
    ['exists', 0, true, true],
    ['exists', null, true, false],
    ['exists', undefined, false, true],
    ['exists', 'x', false, false],
  ];
  for (const [operator, actual, expected, passed] of cases) {
    it(`${JSON.stringify(actual)} ${operator} ${JSON.stringify(expected)} is ${passed ? 'true' : 'false'}`, () => {
      assert.equal(evaluate(operator, actual, expected).passed, passed);
    });
  }

  it('reports a regex that does not compile instead of throwing', () => {
    const verdict = evaluate('matches', 'abc', '(unclosed');
    assert.equal(verdict.passed, false);
    assert.match(verdict.problem ?? '', /invalid regular expression/);
  });

  it('reports values that cannot be ordered', () => {
    const verdict = evaluate('greaterThan', { a: 1 }, 2);
    assert.equal(verdict.passed, false);
    assert.match(verdict.problem ?? '', /cannot order/);
  });

  it('needs a list for oneOf', () => {
    assert.match(evaluate('oneOf', 'a', 'a').problem ?? '', /needs a list/);
  });

  it('treats numbers and numeric strings as equal only when both are numeric', () => {
    assert.equal(looseEquals('1e3', 1000), true);
    assert.equal(looseEquals('1,000', 1000), false);
    assert.equal(looseEquals('', 0), false);
    assert.equal(looseEquals(' ', 0), false);
  });
});
