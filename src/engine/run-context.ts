/**
 * What the steps of one run share: the clock, the masker, template scope and renderer, SQL sessions, SDK
 * clients and the event sink. Created by runRunbook, used by the step runner, disposed at the end.
 */
import type { CompiledRunbook } from '../runbook/types.js';
import type { AwsSettings, ConnectionSettings } from '../steps/types.js';
import type { Clock } from '../core/clock.js';
import { renderConnection } from './connection-settings.js';
import { ConnectionPool } from './connections.js';
import type { CrashWhen } from './crash-points.js';
import type { RunEvent } from './events.js';
import { DestructiveGuard } from './guard.js';
import type { Masker } from './mask.js';
import { Renderer, type TemplateScope } from './render.js';
import { ResourceTracker } from './resources.js';

interface Resource {
  value: Promise<unknown>;
  dispose?: (value: never) => void;
}

export class RunContext {
  readonly renderer: Renderer;
  readonly scope: TemplateScope;
  readonly pool: ConnectionPool;
  /** The destructive-step guard; undefined when destructive steps are allowed. */
  readonly guard?: DestructiveGuard;
  /** Clusters and instances the run created. */
  readonly tracker = new ResourceTracker();
  private readonly settings = new Map<string, ConnectionSettings>();
  private readonly resources = new Map<string, Resource>();

  constructor(
    readonly runbook: CompiledRunbook,
    readonly clock: Clock,
    readonly masker: Masker,
    readonly emit: (event: RunEvent) => void,
    readonly aws: AwsSettings,
    readonly defaultTimeoutMs: number,
    inputs: Record<string, unknown>,
    env: Record<string, string | undefined>,
    guardDestructive = false,
    /** Where to kill the process, for recovery tests (crash-points.ts). */
    readonly crashAt?: ReadonlyMap<string, CrashWhen>,
  ) {
    this.renderer = new Renderer(runbook.sources, () => new Date(clock.now()));
    if (guardDestructive) this.guard = new DestructiveGuard(runbook, this.renderer);
    // A step the run has not reached (finally after a failure) reads as skipped, with no result.
    const steps: TemplateScope['steps'] = {};
    for (const step of [...runbook.steps, ...runbook.finally]) steps[step.id] = { status: 'skipped' };
    this.scope = { inputs: { ...inputs }, captures: {}, steps, env };
    this.pool = new ConnectionPool({
      settings: async (name) => this.connectionSettings(name),
      spanOf: (name) => runbook.connections[name]?.span,
    });
  }

  /** Rendered once, at first use, so a host captured by an earlier step is known by then. */
  connectionSettings(name: string): ConnectionSettings {
    const cached = this.settings.get(name);
    if (cached) return cached;
    const settings = renderConnection(this.runbook, name, this.scope, this.renderer);
    this.masker.add(settings.password, `the password of connection ${name}`);
    this.settings.set(name, settings);
    return settings;
  }

  async resource<T>(key: string, create: () => Promise<T>, dispose?: (value: T) => void): Promise<T> {
    let entry = this.resources.get(key);
    if (!entry) {
      entry = { value: create(), dispose: dispose as ((value: never) => void) | undefined };
      this.resources.set(key, entry);
    }
    return (await entry.value) as T;
  }

  async dispose(): Promise<void> {
    await this.pool.closeAll().catch(() => undefined);
    for (const entry of this.resources.values()) {
      try {
        entry.dispose?.((await entry.value) as never);
      } catch {
        // A client that cannot be disposed holds nothing the process exit does not release.
      }
    }
    this.resources.clear();
  }
}
