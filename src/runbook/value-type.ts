/**
 * Static types of values, and problems found by static checks. Shared by the runbook checks, the step types
 * and the engine: an AWS member or output shape, an SQL result, a sysbench summary, a captured value.
 */
import type { DiagnosticCode } from './types.js';

export type ValueType =
  /** `enum`: the only values allowed, where known. */
  | { kind: 'string'; enum?: readonly string[] }
  | { kind: 'integer' }
  | { kind: 'number' }
  | { kind: 'boolean' }
  /** An instant: a Date in SDK results, an ISO-8601 string in templates and params. */
  | { kind: 'timestamp' }
  | { kind: 'list'; member: ValueType }
  /** `required`: members that must be present (input shapes). */
  | { kind: 'structure'; members: Readonly<Record<string, ValueType>>; required?: readonly string[] }
  | { kind: 'map'; value: ValueType }
  /** Not known statically: anything goes (`SELECT *` rows, untyped templates). */
  | { kind: 'any' };

/** A problem a static check found, located by a JSON pointer relative to the step mapping. */
export interface StaticProblem {
  /** e.g. "/params/DBClusterIdentifer", "/command/threads", "/query". */
  pointer: string;
  /** Point at the node's key (an unknown member, an unknown option) instead of its value. */
  at?: 'key' | 'value';
  /** For a problem inside a string value (an SQL syntax error): character offset and length in that string. */
  offset?: number;
  length?: number;
  code: DiagnosticCode;
  /** Defaults to 'error'. */
  severity?: 'error' | 'warning';
  message: string;
  hint?: string;
}
