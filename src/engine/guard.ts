/**
 * The destructive-step guard, run-time half. Before a step that drops data (destructive SQL, sysbench
 * cleanup) or deletes, rewinds or changes a cluster or instance runs, its rendered target is checked: a
 * connection must be `disposable: true`; a cluster or instance must have been created by an earlier step of
 * this run (CreateDBCluster, RestoreDBClusterToPointInTime, CreateDBInstance, ...) or be listed under the
 * runbook's `disposable`. Otherwise the step fails before anything is called. The static half, for targets
 * known before the run, is src/runbook/destructive.ts.
 */
import { GUARD_HINT } from '../runbook/destructive.js';
import { renderTemplate } from '../runbook/index.js';
import type { CompiledRunbook, CompiledStep, Diagnostic } from '../runbook/types.js';
import type { ResourceKind } from '../steps/static-types.js';
import { creationsOf as createdBy, destructionsOf } from '../steps/statics.js';
import { StepError, UsageError } from '../core/errors.js';
import type { ResourceRef } from './events.js';
import { fieldAt, Renderer, spanAt, type TemplateScope } from './render.js';
import { creationsOf } from './resources.js';

export const REFUSED_CODE = 'DestructiveStepRefused';

export class DestructiveGuard {
  private readonly created: Record<ResourceKind, Set<string>> = { cluster: new Set(), instance: new Set() };
  /** Targets a create of this run found taken (AlreadyExists): someone else's, perhaps another run's. */
  private readonly taken = new Set<string>();

  constructor(
    private readonly runbook: CompiledRunbook,
    private readonly renderer: Renderer,
  ) {}

  /**
   * Checks a step against the scope it is about to run with: the StepError that refuses it, or undefined.
   * What a step creates (resources.ts, creationsOf) is passed to `record` once it has passed.
   */
  check(step: CompiledStep, scope: TemplateScope): StepError | undefined {
    const render = (pointer: string): unknown => {
      const value = fieldAt(step, pointer);
      if (value === undefined) return undefined;
      try {
        return this.renderer.deep(step, value, pointer, scope);
      } catch {
        // The executor renders it too and reports the template error in its own words.
        return undefined;
      }
    };
    for (const destruction of destructionsOf(step, render)) {
      if (destruction.on === 'connection') {
        const name = destruction.connection;
        if (this.runbook.connections[name]?.disposable !== false) continue;
        return new StepError(
          `refused to run ${destruction.what} on connection "${name}", which is not disposable; nothing was run`,
          { code: REFUSED_CODE, kind: 'guard', span: spanAt(step, destruction.pointer), hint: GUARD_HINT },
        );
      }
      const { on: kind, operation, id } = destruction;
      if (id === '') continue;
      if (this.created[kind].has(id) || this.declared(kind, scope).has(id)) continue;
      return new StepError(
        `refused to call ${operation} on ${kind} "${id}": this run did not create it and the runbook does not declare it disposable; nothing was called`,
        {
          code: REFUSED_CODE,
          kind: 'guard',
          span: spanAt(step, destruction.pointer),
          hint: this.taken.has(`${kind}:${id}`)
            ? `it existed before this run (creating it failed): it may be another run's, so leave it alone; give this run its own identifiers (e.g. --set cloneSuffix=...)`
            : `list it under \`disposable: {${kind}s: [...]}\` if the runbook may destroy it, or run with --allow-destructive`,
        },
      );
    }
    return undefined;
  }

  /** Records targets a failed create found already taken. */
  recordTaken(creations: ResourceRef[]): void {
    for (const { kind, id } of creations) this.taken.add(`${kind}:${id}`);
  }

  /** Records what a passed step created. */
  record(creations: ResourceRef[]): void {
    for (const { kind, id } of creations) this.created[kind].add(id);
  }

  /** The runbook's `disposable` identifiers of one kind, rendered now; one that cannot be rendered yet is left out. */
  private declared(kind: ResourceKind, scope: TemplateScope): Set<string> {
    const list = kind === 'cluster' ? this.runbook.disposable.clusters : this.runbook.disposable.instances;
    const out = new Set<string>();
    for (const template of list) {
      try {
        const value = renderTemplate(template, scope);
        if (typeof value === 'string' || typeof value === 'number') out.add(String(value));
      } catch {
        // Not renderable yet (a capture not made): it matches nothing.
      }
    }
    return out;
  }
}

/**
 * The guard before the run, with inputs resolved: a destructive step whose target is a template of inputs
 * only (`{{inputs.clusterName}}`) is known now, and refused now, before anything is called, instead of after
 * the steps before it have run. Targets that depend on captures or results stay for the run-time check; so do
 * all targets after a create whose identifier is only known at run time (it might be what they name).
 */
export function preflightGuard(
  runbook: CompiledRunbook,
  inputs: Record<string, unknown>,
  env: Record<string, string | undefined>,
): UsageError | undefined {
  const renderer = new Renderer(runbook.sources, () => new Date());
  const scope: TemplateScope = { inputs: { ...inputs }, captures: {}, steps: {}, env };
  const guard = new DestructiveGuard(runbook, renderer);
  for (const step of [...runbook.steps, ...runbook.finally]) {
    const refusal = guard.check(step, scope);
    if (refusal) {
      const diagnostic: Diagnostic = {
        code: 'destructive-step',
        severity: 'error',
        message: `step ${step.id}: ${refusal.message}`,
        file: refusal.span?.file ?? runbook.file,
        ...(refusal.span ? { span: refusal.span } : {}),
        ...(refusal.hint ? { hint: refusal.hint } : {}),
      };
      return new UsageError(`step ${step.id}: ${refusal.message}`, refusal.hint, [diagnostic]);
    }
    const creates = creationsOf(step, renderer, scope);
    // A create whose identifier is known only at run time: what follows might name it.
    if (creates.length < createdBy(step, { nested: false }).length) return undefined;
    guard.record(creates);
  }
  return undefined;
}
