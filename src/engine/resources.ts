/**
 * The clusters and instances a run creates. Every step that passes and whose type says it creates one (the
 * `creates` facet: CreateDBCluster, RestoreDBClusterToPointInTime, CreateDBInstance, ...) adds its target; after `finally`,
 * each one is looked up again, and those that still exist (and are not being deleted) are reported as
 * leaked: in the run record and on stderr, since they are billed until someone deletes them.
 */
import type { CompiledStep } from '../runbook/types.js';
import { createRdsClient, describeResource } from '../steps/aws/execute.js';
import { creationsOf as createdBy } from '../steps/statics.js';
import type { AwsSettings } from '../steps/types.js';
import type { ResourceRef, TrackedResource } from './events.js';
import { fieldAt, type Renderer, type TemplateScope } from './render.js';

/** How long the check after `finally` may take in all before it reports what it could not look up. */
const CHECK_BUDGET_MS = 20_000;

/** The resources `step` creates if it passes, rendered against the scope it runs with. */
export function creationsOf(step: CompiledStep, renderer: Renderer, scope: TemplateScope): ResourceRef[] {
  const out: ResourceRef[] = [];
  for (const { kind, pointer } of createdBy(step, { nested: false })) {
    const template = fieldAt(step, pointer);
    if (template === undefined) continue;
    try {
      const id = renderer.deep(step, template, pointer, scope);
      if (typeof id === 'string' && id !== '') out.push({ kind, id });
    } catch {
      // The executor renders it too and reports the template error; a step that cannot render creates nothing.
    }
  }
  return out;
}

export class ResourceTracker {
  private readonly created = new Map<string, TrackedResource>();

  add(stepId: string, refs: ResourceRef[] | undefined): void {
    for (const ref of refs ?? []) {
      const key = `${ref.kind}:${ref.id}`;
      if (!this.created.has(key)) this.created.set(key, { ...ref, stepId, state: 'created' });
    }
  }

  get size(): number {
    return this.created.size;
  }

  /**
   * Looks every created resource up again. With `quick` (a second interrupt: the user wants out now)
   * nothing is asked and every resource is reported as possibly left behind.
   */
  async check(
    aws: AwsSettings,
    quick: boolean,
  ): Promise<{ created: TrackedResource[]; leaked: TrackedResource[] }> {
    const all = [...this.created.values()];
    if (quick) {
      const unchecked = all.map((r) => ({ ...r, state: 'unchecked' }));
      return { created: unchecked, leaked: unchecked };
    }
    const signal = AbortSignal.timeout(CHECK_BUDGET_MS);
    // Instances first: a cluster's deletion waits for its instances, so this is the order cleanup works in.
    const ordered = [...all.filter((r) => r.kind === 'instance'), ...all.filter((r) => r.kind === 'cluster')];
    const created: TrackedResource[] = [];
    const client = await createRdsClient(aws);
    try {
      for (const resource of ordered) {
        try {
          const found = await describeResource(client, resource, signal);
          created.push({ ...resource, state: found ? found.status : 'gone' });
        } catch (error) {
          created.push({ ...resource, state: 'unknown', error: (error as Error).message });
        }
      }
    } finally {
      client.destroy();
    }
    const leaked = created.filter((r) => r.state !== 'gone' && r.state !== 'deleting');
    return { created, leaked };
  }
}
