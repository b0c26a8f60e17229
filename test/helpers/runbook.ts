/**
 * Runbooks for tests: YAML written to a temp directory and compiled by the real front end, then run by
 * the real engine with its records in the same directory. Events are collected for assertions, and the
 * events, the run's files and any error the run throws go through the secret audit (secret-audit.ts).
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { RunEvent } from '../../src/engine/events.js';
import { resolveRunInputs } from '../../src/engine/inputs.js';
import { runRunbook, type RunOptions, type RunResult } from '../../src/engine/interpreter.js';
import { compileRunbook, formatDiagnostics } from '../../src/runbook/index.js';
import type { CompiledRunbook } from '../../src/runbook/types.js';
import { auditDir, auditText, noteEngineRun } from './secret-audit.js';

export interface Workspace {
  dir: string;
  /** Writes files (path relative to the workspace -> text) and returns the path of the first one. */
  write(files: Record<string, string>): Promise<string>;
  compile(yaml: string, extraFiles?: Record<string, string>): Promise<CompiledRunbook>;
  /** Compiles and runs; inputs resolve from `set` and defaults as on the command line. */
  run(
    yaml: string,
    options?: Partial<RunOptions> & { set?: Record<string, string>; extraFiles?: Record<string, string> },
  ): Promise<RunResult & { events: RunEvent[]; runbook: CompiledRunbook }>;
  remove(): Promise<void>;
}

export async function workspace(): Promise<Workspace> {
  const dir = await mkdtemp(join(tmpdir(), 'labrun-test-'));
  let counter = 0;
  const ws: Workspace = {
    dir,
    async write(files) {
      let first = '';
      for (const [name, text] of Object.entries(files)) {
        const path = join(dir, name);
        await mkdir(dirname(path), { recursive: true });
        await writeFile(path, text);
        first ||= path;
      }
      return first;
    },
    async compile(yaml, extraFiles = {}) {
      counter += 1;
      const file = await ws.write({ [`runbook-${counter}.yaml`]: yaml, ...extraFiles });
      const { runbook, diagnostics } = await compileRunbook(file);
      if (!runbook) throw new Error(`test runbook does not compile:\n${formatDiagnostics(diagnostics)}`);
      return runbook;
    },
    async run(yaml, options = {}) {
      const runbook = await ws.compile(yaml, options.extraFiles);
      const env = options.env ?? {};
      const values = resolveRunInputs(runbook, { set: options.set ?? {}, env });
      const events: RunEvent[] = [];
      const runsDir = options.runsDir ?? join(dir, 'runs');
      const label = `engine run of ${runbook.name}`;
      let result: RunResult;
      try {
        result = await runRunbook(runbook, {
          inputs: values,
          runsDir,
          env,
          ...options,
          onEvent: (event) => {
            events.push(event);
            options.onEvent?.(event);
          },
        });
      } catch (error) {
        auditText(
          `${label} (error)`,
          error instanceof Error ? `${error.message}\n${error.stack}` : String(error),
        );
        throw error;
      } finally {
        noteEngineRun();
        auditText(`${label} (events)`, JSON.stringify(events));
        auditDir(runsDir);
      }
      return { ...result, events, runbook };
    },
    async remove() {
      await rm(dir, { recursive: true, force: true });
    },
  };
  return ws;
}

/** A fake clock: `sleep` returns at once and moves time forward, recording each requested interval. */
export function fakeClock(start = Date.parse('2026-01-01T00:00:00Z')): {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  sleeps: number[];
} {
  let now = start;
  const sleeps: number[] = [];
  return {
    now: () => now,
    sleeps,
    async sleep(ms, signal) {
      if (signal?.aborted) throw signal.reason;
      sleeps.push(ms);
      now += ms;
    },
  };
}
