/**
 * The destructive-step guard, run-time half. Before a step that drops data (destructive SQL, sysbench
 * cleanup) or deletes, rewinds or changes a cluster or instance runs, its rendered target is checked: a
 * connection must be `disposable: true`; a cluster or instance must have been created by an earlier step of
 * this run (CreateDBCluster, RestoreDBClusterToPointInTime, CreateDBInstance, ...), be listed under the
 * runbook's `disposable`, or not exist at all (asked of the service through the step type's `targetExists`).
 * An existing target that is none of these fails the step before anything is called; a delete whose target
 * does not exist is skipped ("nothing to delete"), so a cleanup after a create that failed is not a second
 * failure. The static half, for targets known before the run, is src/runbook/destructive.ts.
 */
import { GUARD_HINT } from '../runbook/destructive.js';
import { renderTemplate } from '../runbook/index.js';
import type { CompiledRunbook, CompiledStep, Diagnostic, StepTypeName } from '../runbook/types.js';
import type { ResourceDestruction, ResourceKind } from '../steps/static-types.js';
import { creationsOf as createdBy, destructionsOf } from '../steps/statics.js';
import { StepError, UsageError } from '../core/errors.js';
import type { ResourceRef } from './events.js';
import { fieldAt, Renderer, spanAt, type TemplateScope } from './render.js';
import { creationsOf } from './resources.js';

export const REFUSED_CODE = 'DestructiveStepRefused';

/** A cluster or instance target, with the type of the step that declares it (the one that can look it up). */
export type LocatedDestruction = ResourceDestruction & { stepType: StepTypeName };

/** The guard's word on a step it does not let run as written. */
export type GuardVerdict =
  /** The step fails before anything is called. */
  | { action: 'refuse'; error: StepError }
  /** The step is skipped: what it would delete does not exist. */
  | { action: 'skip'; reason: string };

export class DestructiveGuard {
  private readonly created: Record<ResourceKind, Set<string>> = { cluster: new Set(), instance: new Set() };
  /** Targets a create of this run found taken (AlreadyExists): someone else's, perhaps another run's. */
  private readonly taken = new Set<string>();

  constructor(
    private readonly runbook: CompiledRunbook,
    private readonly renderer: Renderer,
  ) {}

  /**
   * Checks a step against the scope it is about to run with, without asking the world: the StepError that
   * refuses it (a target this run did not create, existing or not), or undefined. Used before the run.
   */
  check(step: CompiledStep, scope: TemplateScope): StepError | undefined {
    const { refusal, unowned } = this.assess(step, scope);
    return refusal ?? unowned[0]?.refusal;
  }

  /**
   * What to do with a step about to run. A target this run did not create (and the runbook does not declare
   * disposable) is looked up with `exists`, the real service's answer: one that exists is refused, as is one
   * that cannot be looked up; one that does not exist harms nobody. A step whose every target is a delete of
   * something that does not exist is skipped: there is nothing to delete. What a step creates (resources.ts,
   * creationsOf) is passed to `record` once it has passed.
   */
  async decide(
    step: CompiledStep,
    scope: TemplateScope,
    exists: (target: LocatedDestruction) => Promise<boolean>,
  ): Promise<GuardVerdict | undefined> {
    const { refusal, unowned, owned } = this.assess(step, scope);
    if (refusal) return { action: 'refuse', error: refusal };
    const absent: LocatedDestruction[] = [];
    for (const target of unowned) {
      let found: boolean;
      try {
        found = await exists(target.destruction);
      } catch (error) {
        const { destruction: d } = target;
        return {
          action: 'refuse',
          error: new StepError(
            `refused to call ${d.operation} on ${d.on} "${d.id}": this run did not create it, the runbook does not declare it disposable, and looking it up failed (${(error as Error).message}); nothing was called`,
            {
              code: REFUSED_CODE,
              kind: 'guard',
              span: target.refusal.span,
              hint: 'Check that the endpoint answers (labrun sandbox status, or your AWS settings) and run again.',
            },
          ),
        };
      }
      if (found) return { action: 'refuse', error: target.refusal };
      absent.push(target.destruction);
    }
    if (owned === 0 && absent.length > 0 && absent.every((d) => d.removes)) {
      return {
        action: 'skip',
        reason: `nothing to delete: ${absent.map((d) => d.id).join(', ')} does not exist`,
      };
    }
    return undefined;
  }

  /**
   * The step's destructions: a refusal on a connection, the cluster and instance targets that are not this
   * run's (each with the refusal it gets if it exists), and how many targets are.
   */
  private assess(
    step: CompiledStep,
    scope: TemplateScope,
  ): {
    refusal?: StepError;
    unowned: Array<{ destruction: LocatedDestruction; refusal: StepError }>;
    owned: number;
  } {
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
    const unowned: Array<{ destruction: LocatedDestruction; refusal: StepError }> = [];
    let owned = 0;
    for (const destruction of destructionsOf(step, render)) {
      if (destruction.on === 'connection') {
        const name = destruction.connection;
        if (this.runbook.connections[name]?.disposable !== false) continue;
        const refusal = new StepError(
          `refused to run ${destruction.what} on connection "${name}", which is not disposable; nothing was run`,
          { code: REFUSED_CODE, kind: 'guard', span: spanAt(step, destruction.pointer), hint: GUARD_HINT },
        );
        return { refusal, unowned, owned };
      }
      const { on: kind, operation, id } = destruction;
      if (id === '') continue;
      if (this.created[kind].has(id) || this.declared(kind, scope).has(id)) {
        owned += 1;
        continue;
      }
      const refusal = new StepError(
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
      unowned.push({ destruction: { ...destruction, on: kind }, refusal });
    }
    return { unowned, owned };
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
