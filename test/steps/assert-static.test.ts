/**
 * The assert step's static facets: operator values checked against what the operator does at run time,
 * at the value's position, with no report for an assertion that can pass; and the result type.
 */
import assert from 'node:assert/strict';
import { evaluate, type AssertOperator } from '../../src/steps/assert/execute.js';
import { ASSERT_RESULT_TYPE, assertStatics } from '../../src/steps/assert/static.js';
import { compileRunbook } from '../../src/runbook/index.js';
import type { ValueType } from '../../src/runbook/value-type.js';
import type { StaticContext } from '../../src/steps/static-types.js';
import { compiledStep } from '../helpers/compiled-steps.js';
import { memoryFiles, where } from '../runbook/fixtures.js';

/** Templates `{{t.<kind>}}` have the type named, e.g. `{{t.integer}}`, `{{t.list}}`. */
const TYPES: Record<string, ValueType> = {
  integer: { kind: 'integer' },
  number: { kind: 'number' },
  boolean: { kind: 'boolean' },
  string: { kind: 'string' },
  timestamp: { kind: 'timestamp' },
  list: { kind: 'list', member: { kind: 'integer' } },
  structure: { kind: 'structure', members: { a: { kind: 'integer' } } },
  status: { kind: 'string', enum: ['CREATE_COMPLETE', 'CREATE_FAILED', 'DELETE_COMPLETE'] },
};
const ctx: StaticContext = {
  typeOf: (template) => TYPES[/^\{\{t\.(\w+)\}\}$/.exec(template)?.[1] ?? ''],
};

function check(assertions: string) {
  return assertStatics.check!(compiledStep(`  - id: a\n    type: assert\n    that:\n${assertions}`), ctx);
}

/** The problems of one assertion `actual: <actual>, <operator>: <expected>` (YAML flow values). */
function problemsOf(actual: string, operator: string, expected: string) {
  return check(`      - actual: ${actual}\n        ${operator}: ${expected}\n`);
}

describe('assert statics', () => {
  it('refuses a greaterThan or lessThan value that is not a number or an instant', () => {
    const [problem] = problemsOf('"{{t.integer}}"', 'greaterThan', 'zero');
    assert.deepEqual(problem && [problem.pointer, problem.code, problem.message, problem.hint], [
      '/that/0/greaterThan',
      'invalid-assert-literal',
      'greaterThan needs a number (or an ISO-8601 instant), not "zero"',
      'Write a number, e.g. greaterThan: 0.',
    ]);
    assert.equal(
      problemsOf('"{{t.number}}"', 'lessThan', '"1,000"')[0]?.hint,
      'Write the number without separators: 1000.',
    );
    for (const bad of ['true', '[1]', '{a: 1}', 'null', '"{{t.boolean}}"', '"{{t.list}}"'])
      assert.equal(problemsOf('"{{t.integer}}"', 'lessThan', bad).length, 1, bad);
    for (const good of ['0', '-1.5', '"42"', '"2026-11-23T09:20:01Z"', '"{{t.integer}}"', '"{{t.string}}"'])
      assert.deepEqual(problemsOf('"{{t.string}}"', 'greaterThan', good), [], good);
  });

  it('refuses ordering a boolean, a list or a mapping, and a number against an instant', () => {
    const [list] = problemsOf('"{{t.list}}"', 'greaterThan', '0');
    assert.equal(list?.pointer, '/that/0/actual');
    assert.equal(list.hint, 'Compare its length: {{t.list.length}}.');
    assert.equal(problemsOf('"{{t.structure}}"', 'lessThan', '3').length, 1);
    assert.equal(problemsOf('"{{t.boolean}}"', 'lessThan', '3').length, 1);
    assert.match(
      problemsOf('"{{t.number}}"', 'lessThan', '"2026-01-01T00:00:00Z"')[0]?.message ?? '',
      /cannot be ordered against the instant/,
    );
    assert.deepEqual(problemsOf('"{{t.timestamp}}"', 'lessThan', '"2026-01-01T00:00:00Z"'), []);
  });

  it('refuses a regular expression that does not compile, and nothing else for matches', () => {
    const [problem] = problemsOf('x', 'matches', '"a(b"');
    assert.equal(problem?.pointer, '/that/0/matches');
    assert.match(problem.message, /^matches needs a regular expression: .*Unterminated group/);
    assert.deepEqual(problemsOf('"{{t.integer}}"', 'matches', '"^\\\\d+$"'), []);
    assert.deepEqual(problemsOf('x', 'matches', '"{{t.string}}("'), []);
  });

  it('refuses equals values a known type never equals, with a did-you-mean for known values', () => {
    const [status] = problemsOf('"{{t.status}}"', 'equals', 'CREATE_COMPLETED');
    assert.equal(status?.hint, 'did you mean "CREATE_COMPLETE"?');
    assert.match(status.message, /never equals "CREATE_COMPLETED", so the assertion always fails$/);
    assert.match(
      problemsOf('"{{t.integer}}"', 'notEquals', 'many')[0]?.message ?? '',
      /so the assertion always passes$/,
    );
    const oneOf = problemsOf('"{{t.boolean}}"', 'oneOf', '[true, 1, "yes", "false"]');
    assert.deepEqual(
      oneOf.map((p) => p.pointer),
      ['/that/0/oneOf/1', '/that/0/oneOf/2'],
    );
    assert.equal(problemsOf('"{{t.integer}}"', 'equals', '"{{t.boolean}}"').length, 1);
    assert.equal(problemsOf('"{{t.integer}}"', 'equals', '"{{t.list}}"').length, 1);
  });

  it('agrees with the run-time operators: what it refuses never passes, what it lets through can', () => {
    // Values a template of each type may render to.
    const samples: Record<string, unknown[]> = {
      integer: [0, 1, 42, '42', -7, null],
      number: [0, 1.5, '2.25', null],
      boolean: [true, false, 'true', 'false', null],
      status: ['CREATE_COMPLETE', 'CREATE_FAILED', 'DELETE_COMPLETE', null],
    };
    const literals: Array<[string, unknown]> = [
      ['0', 0],
      ['1', 1],
      ['"42"', '42'],
      ['1.5', 1.5],
      ['true', true],
      ['"false"', 'false'],
      ['"yes"', 'yes'],
      ['many', 'many'],
      ['CREATE_COMPLETE', 'CREATE_COMPLETE'],
      ['CREATE_COMPLETED', 'CREATE_COMPLETED'],
      ['null', null],
    ];
    let refusals = 0;
    for (const operator of ['equals', 'notEquals'] as AssertOperator[]) {
      for (const [kind, values] of Object.entries(samples)) {
        for (const [yaml, literal] of literals) {
          const refused = problemsOf(`"{{t.${kind}}}"`, operator, yaml).length > 0;
          const outcomes = values.map((value) => evaluate(operator, value, literal).passed);
          // A refused equals never passes (a refused notEquals always does) for values of the type.
          const decided = outcomes.every((passed) => passed === (operator === 'notEquals'));
          if (refused) refusals += 1;
          if (refused)
            assert.ok(decided, `${kind} ${operator} ${yaml} is refused but can come out either way`);
        }
      }
    }
    assert.ok(refusals >= 20, `only ${refusals} refusals: the comparison checks little`);
    // A boolean template renders a boolean (a whole `{{expression}}` keeps its type), never the text "true".
    const ordered = { ...samples, boolean: [true, false], status: ['CREATE_COMPLETE'] };
    for (const [kind, values] of Object.entries(ordered)) {
      for (const [yaml, literal] of literals) {
        if (problemsOf(`"{{t.${kind}}}"`, 'greaterThan', yaml).length > 0) {
          for (const value of values)
            assert.equal(evaluate('greaterThan', value, literal).passed, false, `${kind} > ${yaml}`);
        }
      }
    }
  });

  it('leaves alone what it cannot know: untyped templates, strings, contains and exists', () => {
    assert.deepEqual(
      check(
        '      - actual: "{{captures.x}}"\n        equals: anything\n' +
          '      - actual: "{{t.string}}"\n        equals: 42\n' +
          '      - actual: "{{t.list}}"\n        contains: 3\n' +
          '      - actual: "{{t.string}}"\n        contains: sbtest\n' +
          '      - actual: "{{t.integer}}"\n        exists: true\n' +
          '      - actual: "{{t.timestamp}}"\n        equals: "2026-01-01T00:00:00Z"\n',
      ),
      [],
    );
    assert.equal(problemsOf('"{{t.string}}"', 'contains', '[a, b]').length, 1);
  });

  it('places each problem at its value in the runbook', () => {
    const { diagnostics } = compileRunbook('lab.yaml', {
      readFile: memoryFiles({
        'lab.yaml': `name: lab
inputs:
  size: {type: integer, default: 10}
steps:
  - id: check
    type: assert
    that:
      - actual: "{{inputs.size}}"
        greaterThan: zero
      - actual: "{{inputs.size}}"
        oneOf: [10, "ten"]
`,
      }),
    });
    assert.deepEqual(
      diagnostics.map((d) => [d.code, where(d)]),
      [
        ['invalid-assert-literal', '9:22'],
        ['invalid-assert-literal', '11:21'],
      ],
    );
  });

  it('has a result type of the evaluated assertions', () => {
    const type = assertStatics.resultType!(
      compiledStep('  - id: a\n    type: assert\n    that: [{actual: 1, equals: 1}]\n'),
      ctx,
    );
    assert.equal(type, ASSERT_RESULT_TYPE);
    assert.equal(type.kind, 'structure');
  });
});
