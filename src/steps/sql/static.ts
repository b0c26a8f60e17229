/**
 * The sql step type's static facets (see ../static-types.ts): the statement must parse, its `?` count must
 * equal the count of `params`, and the result's rows have the columns the statement names. A templated query
 * (`{{...}}`) is known only at run time and is not checked.
 */
import type { StaticProblem, ValueType } from '../../runbook/value-type.js';
import type { StepStatics } from '../static-types.js';
import { analyzeSql, type SqlAnalysis } from './analyze.js';

/** `{rows, rowCount, affectedRows, insertId}` with rows of unknown columns. */
const UNKNOWN_RESULT: ValueType = {
  kind: 'structure',
  members: {
    rows: { kind: 'list', member: { kind: 'any' } },
    rowCount: { kind: 'integer' },
    affectedRows: { kind: 'integer' },
    insertId: { kind: 'integer' },
  },
};

function analysisOf(query: unknown): SqlAnalysis | undefined {
  if (typeof query !== 'string' || query.includes('{{')) return undefined;
  return analyzeSql(query);
}

/**
 * Problems of an sql body: the fields of a sql step (`base` "") or of a wait-until's sql probe (`base`
 * "/probe"). Pointers are relative to the step mapping.
 */
export function checkSqlBody(body: Record<string, unknown> | undefined, base = ''): StaticProblem[] {
  const analysis = analysisOf(body?.query);
  if (analysis === undefined) return [];
  const problems: StaticProblem[] = [];
  if (analysis.syntax) {
    const { offset, length, message, hint } = analysis.syntax;
    problems.push({
      pointer: `${base}/query`,
      offset,
      length,
      code: 'sql-syntax',
      message,
      ...(hint ? { hint } : {}),
    });
    return problems;
  }
  const params = body?.params;
  const given = Array.isArray(params) ? params.length : params === undefined ? 0 : undefined;
  if (given !== undefined && given !== analysis.placeholders) {
    const marks = `${analysis.placeholders} ? placeholder${analysis.placeholders === 1 ? '' : 's'}`;
    const values = `${given} value${given === 1 ? '' : 's'}`;
    problems.push({
      pointer: params === undefined ? `${base}/query` : `${base}/params`,
      code: 'sql-params',
      message: `the query has ${marks} but params has ${values}`,
      hint:
        given > analysis.placeholders
          ? 'Add a ? to the query for each value in params, or remove the extra values.'
          : 'Give params one value for each ? in the query, in order.',
    });
  }
  return problems;
}

/** The result type of an sql body's query: rows with known columns, or rows of `any`. */
export function sqlBodyResultType(body: Record<string, unknown> | undefined): ValueType {
  const analysis = analysisOf(body?.query);
  return analysis === undefined || analysis.syntax ? UNKNOWN_RESULT : analysis.resultType;
}

export const sqlStatics: StepStatics = {
  check: (step) => checkSqlBody(step.fields),
  resultType: (step) => sqlBodyResultType(step.fields),
};
