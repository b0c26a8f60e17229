/**
 * The destructive-step guard, front-end half: which steps drop or change data or resources, what they act
 * on, and the static check that a destructive step only targets what the runbook created or declared
 * disposable. What cannot be decided before the run (a template target) is checked by src/engine/guard.ts.
 */
import { error } from './diagnostic.js';
import { isMapping } from './expand.js';
import { isTemplate } from './template.js';
import type { CompiledStep, ConnectionSpec, Diagnostic, DisposableSpec } from './types.js';

export type ResourceKind = 'cluster' | 'instance';

/** RDS operations that delete, rewind, change or disrupt an existing cluster or instance: the parameter naming it. */
export const DESTRUCTIVE_AWS_OPERATIONS: Readonly<Record<string, { kind: ResourceKind; param: string }>> = {
  BacktrackDBCluster: { kind: 'cluster', param: 'DBClusterIdentifier' },
  DeleteDBCluster: { kind: 'cluster', param: 'DBClusterIdentifier' },
  ModifyDBCluster: { kind: 'cluster', param: 'DBClusterIdentifier' },
  FailoverDBCluster: { kind: 'cluster', param: 'DBClusterIdentifier' },
  RebootDBCluster: { kind: 'cluster', param: 'DBClusterIdentifier' },
  StopDBCluster: { kind: 'cluster', param: 'DBClusterIdentifier' },
  PromoteReadReplicaDBCluster: { kind: 'cluster', param: 'DBClusterIdentifier' },
  DeleteDBInstance: { kind: 'instance', param: 'DBInstanceIdentifier' },
  ModifyDBInstance: { kind: 'instance', param: 'DBInstanceIdentifier' },
  RebootDBInstance: { kind: 'instance', param: 'DBInstanceIdentifier' },
  StopDBInstance: { kind: 'instance', param: 'DBInstanceIdentifier' },
  PromoteReadReplica: { kind: 'instance', param: 'DBInstanceIdentifier' },
};

/** RDS operations that create a cluster or instance: the parameter naming the new resource. */
export const CREATING_AWS_OPERATIONS: Readonly<Record<string, { kind: ResourceKind; param: string }>> = {
  CreateDBCluster: { kind: 'cluster', param: 'DBClusterIdentifier' },
  RestoreDBClusterToPointInTime: { kind: 'cluster', param: 'DBClusterIdentifier' },
  RestoreDBClusterFromSnapshot: { kind: 'cluster', param: 'DBClusterIdentifier' },
  RestoreDBClusterFromS3: { kind: 'cluster', param: 'DBClusterIdentifier' },
  CreateDBInstance: { kind: 'instance', param: 'DBInstanceIdentifier' },
  CreateDBInstanceReadReplica: { kind: 'instance', param: 'DBInstanceIdentifier' },
  RestoreDBInstanceFromDBSnapshot: { kind: 'instance', param: 'DBInstanceIdentifier' },
  RestoreDBInstanceFromS3: { kind: 'instance', param: 'DBInstanceIdentifier' },
  RestoreDBInstanceToPointInTime: { kind: 'instance', param: 'TargetDBInstanceIdentifier' },
};

/**
 * The statement verb when `query` drops, truncates, deletes, alters, renames, replaces or updates data:
 * DROP, TRUNCATE, DELETE, ALTER, RENAME, UPDATE, REPLACE, CREATE OR REPLACE. Comments and parentheses
 * before the first word are skipped. Undefined for anything else (SELECT, INSERT, CREATE, CHECKSUM ...).
 */
export function destructiveSqlVerb(query: string): string | undefined {
  let text = query;
  for (;;) {
    const next = text
      .replace(/^[\s(]+/, '')
      .replace(/^\/\*[\s\S]*?\*\//, '')
      .replace(/^(--\s|#)[^\n]*(\n|$)/, '');
    if (next === text) break;
    text = next;
  }
  if (/^create\s+or\s+replace\b/i.test(text)) return 'CREATE OR REPLACE';
  const verb = /^[A-Za-z]+/.exec(text)?.[0]?.toUpperCase();
  return verb && ['DROP', 'TRUNCATE', 'DELETE', 'ALTER', 'RENAME', 'UPDATE', 'REPLACE'].includes(verb)
    ? verb
    : undefined;
}

/** The sysbench commands that drop tables. */
export const DESTRUCTIVE_SYSBENCH_COMMANDS: ReadonlySet<string> = new Set(['cleanup']);

/** One destructive (or possibly destructive) action of a step: the body that does it and where it sits. */
export interface GuardedAction {
  /** Pointer of the body inside the step: '' for the step itself, '/probe' for a wait-until probe. */
  base: string;
  type: 'sql' | 'sysbench' | 'aws';
  body: Record<string, unknown>;
}

/** The bodies of a step that the guard looks at: the step itself, or a wait-until's probe. */
export function guardedBodies(step: CompiledStep): GuardedAction[] {
  if (step.type === 'sql' || step.type === 'sysbench' || step.type === 'aws')
    return [{ base: '', type: step.type, body: step.fields }];
  if (step.type === 'wait-until' && isMapping(step.fields.probe)) {
    const probe = step.fields.probe;
    if (probe.type === 'sql' || probe.type === 'aws')
      return [{ base: '/probe', type: probe.type, body: probe }];
  }
  return [];
}

export const GUARD_HINT =
  'mark the connection `disposable: true` if the runbook may destroy its data, or run with --allow-destructive';

interface StaticSubject {
  connections: Record<string, ConnectionSpec>;
  disposable: DisposableSpec;
  /** Steps then finally steps, in run order. */
  steps: CompiledStep[];
}

/**
 * The static half of the guard: destructive SQL (and sysbench cleanup) on a connection that is not
 * disposable, and destructive AWS operations on a literal identifier that no earlier step creates and the
 * runbook does not declare disposable. Template targets are left to the run-time check.
 */
export function checkDestructive(subject: StaticSubject): Diagnostic[] {
  const out: Diagnostic[] = [];
  const finallyStart = subject.steps.findIndex((step) => step.cleanup);
  const created = (kind: ResourceKind, index: number): { literal: Set<string>; templated: boolean } => {
    const literal = new Set<string>();
    let templated = false;
    const visibleUpTo = finallyStart >= 0 && index >= finallyStart ? subject.steps.length : index;
    for (const step of subject.steps.slice(0, visibleUpTo)) {
      for (const { type, body } of guardedBodies(step)) {
        const op = type === 'aws' ? CREATING_AWS_OPERATIONS[String(body.operation)] : undefined;
        if (!op || op.kind !== kind || !isMapping(body.params)) continue;
        const id = body.params[op.param];
        if (typeof id !== 'string' || isTemplate(id)) templated = true;
        else literal.add(id);
      }
    }
    for (const entry of kind === 'cluster' ? subject.disposable.clusters : subject.disposable.instances) {
      if (isTemplate(entry)) templated = true;
      else literal.add(entry);
    }
    return { literal, templated };
  };

  subject.steps.forEach((step, index) => {
    for (const { base, type, body } of guardedBodies(step)) {
      const spanOf = (key: string) => step.spans[`${base}/${key}`] ?? step.span;
      if (type === 'sql' || type === 'sysbench') {
        const connection = subject.connections[String(body.connection)];
        if (!connection || connection.disposable) continue;
        const what =
          type === 'sql'
            ? typeof body.query === 'string' && !isTemplate(body.query)
              ? destructiveSqlVerb(body.query)
              : undefined
            : typeof body.command === 'string' && DESTRUCTIVE_SYSBENCH_COMMANDS.has(body.command)
              ? `sysbench ${body.command}`
              : undefined;
        if (!what) continue;
        const key = type === 'sql' ? 'query' : 'command';
        const span = spanOf(key);
        out.push(
          error(
            'destructive-step',
            `step "${step.id}" runs ${what} on connection "${connection.name}", which is not disposable`,
            span.file,
            span,
            GUARD_HINT,
          ),
        );
        continue;
      }
      const op = DESTRUCTIVE_AWS_OPERATIONS[String(body.operation)];
      if (!op || (body.service !== undefined && body.service !== 'rds') || !isMapping(body.params)) continue;
      const id = body.params[op.param];
      if (typeof id !== 'string' || isTemplate(id)) continue;
      const known = created(op.kind, index);
      if (known.templated || known.literal.has(id)) continue;
      const span = spanOf(`params/${op.param}`);
      out.push(
        error(
          'destructive-step',
          `step "${step.id}" calls ${String(body.operation)} on ${op.kind} "${id}", which no earlier step creates and the runbook does not declare disposable`,
          span.file,
          span,
          `add it under \`disposable: {${op.kind}s: [...]}\` if the runbook may destroy it, or run with --allow-destructive`,
        ),
      );
    }
  });
  return out;
}
