/**
 * The `sysbench` step: runs the real sysbench binary with an argument vector (never a shell), connection
 * options taken from the named connection, and parses its summary into numbers.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { StepError } from '../../core/errors.js';
import { sysbenchPasswordProblem, withSysbenchPassword } from '../../core/private-file.js';
import type { CompiledStep } from '../../runbook/types.js';
import type {
  ConnectionSettings,
  PlanContext,
  PlannedAction,
  Reconciler,
  StepContext,
  StepType,
} from '../types.js';
import { isConnectionOption } from './options.js';

export interface SysbenchPrepareSummary {
  tables: number;
  rowsInserted: number;
}

export interface SysbenchRunSummary {
  transactions: number;
  tps: number;
  queries: number;
  qps: number;
  reads: number;
  writes: number;
  other: number;
  errors: number;
  reconnects: number;
  totalTimeSeconds: number;
  events: number;
  latency: { min: number; avg: number; max: number; p95: number; sum: number };
}

const readOnly = (step: CompiledStep): boolean =>
  step.fields.command === 'run' && /read_only|point_select|select_random/.test(String(step.fields.workload));

export const sysbenchStep = {
  type: 'sysbench',
  mutating: (step: CompiledStep) => !readOnly(step),
  plan: (_step, ctx) => planSysbench(ctx),
  execute: (_step, ctx) => runSysbench(ctx),
  reconciler: (step) => sysbenchReconciler(step),
} satisfies StepType;

const SYSBENCH = process.env.LABRUN_SYSBENCH ?? 'sysbench';

function planSysbench(ctx: PlanContext): PlannedAction {
  const connection = String(ctx.field('/connection'));
  const settings = ctx.connectionSettings(connection);
  const argv = buildArgv(
    String(ctx.render('/workload')),
    String(ctx.render('/command')),
    settings,
    (ctx.render('/options') ?? {}) as Record<string, unknown>,
  );
  const passwordArgs = settings.password === '' ? [] : ['--config-file=<private file with the password>'];
  return { summary: [SYSBENCH, ...passwordArgs, ...argv].join(' ') };
}

/**
 * [workload, --mysql-host=..., ..., --option=value..., command]: sysbench wants `--name=value` forms. The
 * password is not among them: it reaches sysbench through a private `--config-file` (see runSysbench).
 */
export function buildArgv(
  workload: string,
  command: string,
  settings: Partial<Record<keyof ConnectionSettings, unknown>>,
  options: Record<string, unknown>,
): string[] {
  const argv = [
    workload,
    `--mysql-host=${String(settings.host)}`,
    `--mysql-port=${String(settings.port)}`,
    `--mysql-user=${String(settings.user)}`,
  ];
  if (settings.database !== undefined && settings.database !== '')
    argv.push(`--mysql-db=${String(settings.database)}`);
  for (const [name, value] of Object.entries(options)) {
    const text = value === true ? 'on' : value === false ? 'off' : String(value);
    argv.push(`--${name}=${text}`);
  }
  argv.push(command);
  return argv;
}

async function runSysbench(ctx: StepContext, commandOverride?: string): Promise<unknown> {
  const connection = String(ctx.field('/connection'));
  const workload = String(ctx.render('/workload'));
  const command = commandOverride ?? String(ctx.render('/command'));
  const options = ctx.render('/options') ?? {};
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new StepError('options must be a mapping of sysbench option names to values', {
      code: 'InvalidOptions',
      kind: 'process',
      span: ctx.spanAt('/options'),
    });
  }
  for (const name of Object.keys(options)) {
    if (isConnectionOption(name)) {
      throw new StepError(`option ${name} is set from the connection, not in options`, {
        code: 'InvalidOptions',
        kind: 'process',
        span: ctx.spanAt(`/options/${name}`),
        hint: `Remove ${name}; the connection ${connection} supplies it.`,
      });
    }
  }
  const settings = await ctx.connectionSettings(connection);
  ctx.addSecret(settings.password);
  const argv = buildArgv(workload, command, settings, options as Record<string, unknown>);
  const problem = sysbenchPasswordProblem(settings.password);
  if (problem !== undefined) {
    throw new StepError(`the password of connection ${connection} cannot be given to sysbench: ${problem}`, {
      code: 'UnsupportedPassword',
      kind: 'process',
      span: ctx.spanAt('/connection'),
      hint:
        'sysbench 1.0 reads the password from its --config-file (labrun never puts it on the command line, ' +
        'where any local user sees it), and there a value with white space or a leading # is not read as ' +
        'written: use a password without them.',
    });
  }
  return withSysbenchPassword(settings.password, (passwordArgs) =>
    spawnSysbench(ctx, command, [...passwordArgs, ...argv]),
  );
}

async function spawnSysbench(ctx: StepContext, command: string, argv: string[]): Promise<unknown> {
  ctx.setRendered({ argv: [SYSBENCH, ...argv] });
  const { execa } = await import('execa');
  const child = execa(SYSBENCH, argv, {
    cancelSignal: ctx.signal,
    reject: false,
    all: true,
    stdin: 'ignore',
    env: { LC_ALL: 'C' },
  });
  // Journaled: if this runner dies, a resumed run stops the sysbench it leaves behind before going on.
  if (child.pid !== undefined) ctx.progress({ pid: child.pid, message: `sysbench ${command} started` });
  child.stdout?.on('data', (chunk: Buffer) => {
    const line = chunk.toString('utf8').trim().split('\n').pop();
    if (line) ctx.progress({ message: line.trim() });
  });
  const outcome = await child;
  if (ctx.signal.aborted) throw ctx.signal.reason;
  const output = outcome.all ?? `${outcome.stdout}\n${outcome.stderr}`;
  if (outcome.failed) {
    const notFound = (outcome.cause as { code?: string } | undefined)?.code === 'ENOENT';
    throw new StepError(
      notFound
        ? `cannot run ${SYSBENCH}: not found`
        : `sysbench ${command} exited with code ${outcome.exitCode ?? outcome.signal}:\n${tail(output, 12)}`,
      {
        code: notFound ? 'ENOENT' : 'SysbenchFailed',
        kind: 'process',
        span: ctx.spanAt('/command'),
        hint: notFound
          ? 'Install sysbench (Debian: apt-get install sysbench), or set LABRUN_SYSBENCH to its path.'
          : sysbenchHint(output),
      },
    );
  }
  const exitCode = outcome.exitCode ?? 0;
  if (command === 'prepare') return { ...parsePrepare(output), exitCode };
  if (command === 'run') return { ...parseRun(output), exitCode };
  return { exitCode };
}

export function parsePrepare(output: string): SysbenchPrepareSummary {
  let tables = 0;
  let rowsInserted = 0;
  for (const match of output.matchAll(/^Inserting (\d+) records into '([^']+)'/gm)) {
    tables += 1;
    rowsInserted += Number(match[1]);
  }
  if (tables === 0) tables = [...output.matchAll(/^Creating table '([^']+)'/gm)].length;
  return { tables, rowsInserted };
}

export function parseRun(output: string): SysbenchRunSummary {
  const number = (pattern: RegExp): number => {
    const match = pattern.exec(output);
    return match ? Number(match[1]) : 0;
  };
  return {
    transactions: number(/^\s*transactions:\s+(\d+)/m),
    tps: number(/^\s*transactions:\s+\d+\s+\(([\d.]+) per sec\.\)/m),
    queries: number(/^\s*queries:\s+(\d+)/m),
    qps: number(/^\s*queries:\s+\d+\s+\(([\d.]+) per sec\.\)/m),
    reads: number(/^\s*read:\s+(\d+)/m),
    writes: number(/^\s*write:\s+(\d+)/m),
    other: number(/^\s*other:\s+(\d+)/m),
    errors: number(/^\s*ignored errors:\s+(\d+)/m),
    reconnects: number(/^\s*reconnects:\s+(\d+)/m),
    totalTimeSeconds: number(/^\s*total time:\s+([\d.]+)s/m),
    events: number(/^\s*total number of events:\s+(\d+)/m),
    latency: {
      min: number(/^\s*min:\s+([\d.]+)/m),
      avg: number(/^\s*avg:\s+([\d.]+)/m),
      max: number(/^\s*max:\s+([\d.]+)/m),
      p95: number(/^\s*95th percentile:\s+([\d.]+)/m),
      sum: number(/^\s*sum:\s+([\d.]+)/m),
    },
  };
}

function tail(text: string, lines: number): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

function sysbenchHint(output: string): string | undefined {
  if (/already exists/i.test(output)) return 'The tables exist already: run `cleanup` first or drop them.';
  if (/Access denied/i.test(output)) return 'Check the user and password of the connection.';
  if (/Can't connect|Unknown MySQL server host/i.test(output)) return 'Check the connection host and port.';
  if (/invalid option|unrecognized option|Unknown option/i.test(output))
    return 'Check the option names in options.';
  return undefined;
}

/**
 * Settles a sysbench step cut off by a crash. First, the sysbench the dead runner started (its pid is in the
 * journal) is stopped if it still runs: it would otherwise go on writing behind the resumed run's back.
 * Then: a read-only `run` or a `cleanup` simply runs again; a `prepare` left an unknown part of its tables,
 * so they are dropped with `sysbench <workload> cleanup` (same options) and the prepare runs again — only on
 * a connection the guard lets lose data. A writing `run` did an unknown share of its work: left to `onResume`.
 */
function sysbenchReconciler(step: CompiledStep): Reconciler | undefined {
  const command = step.fields.command;
  if (command !== 'prepare' && command !== 'cleanup' && !readOnly(step)) return undefined;
  return async (ctx) => {
    const stopped = await stopLeftovers(ctx.pids);
    const before = stopped.length > 0 ? `stopped the cut-off sysbench (pid ${stopped.join(', ')}); ` : '';
    if (command !== 'prepare') return { action: 'rerun', note: `${before}running ${String(command)} again` };
    const connection = String(ctx.field('/connection'));
    if (!ctx.disposable(connection)) {
      return {
        action: 'refuse',
        reason: `settling a cut-off prepare means dropping its tables with sysbench cleanup, and connection ${connection} is not disposable`,
        hint: `Drop the half-made tables by hand and set \`onResume: rerun\` on step ${ctx.step.id}, or run with --allow-destructive.`,
      };
    }
    await runSysbench(ctx, 'cleanup');
    return {
      action: 'rerun',
      note: `${before}dropped the tables of the cut-off prepare with sysbench cleanup; preparing again`,
    };
  };
}

/** Kills (SIGKILL) those of `pids` that are still a running sysbench, and waits until they are gone. */
async function stopLeftovers(pids: number[]): Promise<number[]> {
  const program = basename(SYSBENCH);
  const isSysbench = (pid: number): boolean => {
    try {
      const argv0 = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0] ?? '';
      return basename(argv0) === program;
    } catch {
      return false;
    }
  };
  const stopped: number[] = [];
  for (const pid of pids) {
    if (!isSysbench(pid)) continue;
    try {
      process.kill(pid, 'SIGKILL');
      stopped.push(pid);
    } catch {
      // It ended on its own meanwhile.
    }
  }
  // A killed orphan is reaped by init; it is gone once /proc no longer shows it as sysbench.
  for (let waited = 0; stopped.some(isSysbench) && waited < 5000; waited += 50) await sleep(50);
  return stopped;
}
