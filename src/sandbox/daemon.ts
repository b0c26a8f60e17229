/**
 * The sandbox daemon: the process `sandboxUp` starts detached. It serves the RDS and CloudFormation APIs,
 * owns the data plane's mariadbd servers, and on first start builds the lab stack (source cluster + instance
 * + sysbench-loaded sbtest1). It reports through `<home>/daemon.json` (starting → ready | failed) and
 * `<home>/daemon.log`, and keeps the master password in `<home>/db-password` (mode 0600); SIGTERM or SIGINT stops every server it started and exits 0.
 *
 *   node dist/sandbox/daemon.js --home H --port P [--table-size N [--reload]] [--host-base 127.0.1.1] [--region R]
 *                               [--strict] [--faults throttle=0.2,error5xx=0.1,drop=0.05,seed=42,restart=<cluster>@3s]
 *
 * `--strict` makes the RDS API refuse what today's AWS refuses where the sandbox is otherwise lenient: the retired
 * engine name `aurora`, Aurora MySQL 1 versions, instance classes not offered for Aurora MySQL 3.
 * `--reload` reloads sbtest1 of an existing lab stack to `--table-size` rows when it holds another number
 * (see control/table-size.ts). `--faults` (for tests) makes the API inject throttling, 5xx answers and dropped connections, and
 * crash-restarts the named clusters' mariadbd (see api/fault-injection.ts).
 */
import { openSync, writeSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parseFaultSpec, type FaultSpec } from './api/fault-injection.js';
import { startApiServer, type ApiServer } from './api/server.js';
import { ControlPlane } from './control/control-plane.js';
import {
  acquireDaemonLock,
  DAEMON_LOCKED_EXIT,
  daemonPaths,
  releaseDaemonLock,
  removeDaemonFile,
  writeDaemonFile,
} from './control/daemon-files.js';
import { DEFAULT_LAB_STACK, SANDBOX_REGION, ensureLabStack } from './control/lab-stack.js';
import { RegistryStore } from './control/registry-store.js';
import { settleTableSize } from './control/table-size.js';
import { writeSandboxPasswordFile } from './control/sandbox-env.js';
import { inspectSandboxHome, MARKER_FILE } from './control/sandbox-home.js';
import { createMariaDbDataPlane, type MariaDbDataPlane } from './mariadb/index.js';
import { clusterPaths } from './mariadb/layout.js';

interface DaemonArgs {
  home: string;
  port: number;
  tableSize: number;
  reload: boolean;
  hostBase: string;
  region: string;
  transitionDelayMs: number;
  strict: boolean;
  faults?: FaultSpec;
}

function parseDaemonArgs(argv: string[]): DaemonArgs {
  const { values } = parseArgs({
    args: argv,
    options: {
      home: { type: 'string' },
      port: { type: 'string', default: '7306' },
      'table-size': { type: 'string', default: String(DEFAULT_LAB_STACK.tableSize) },
      reload: { type: 'boolean', default: false },
      'host-base': { type: 'string', default: '127.0.1.1' },
      region: { type: 'string', default: SANDBOX_REGION },
      'transition-delay-ms': { type: 'string', default: '0' },
      strict: { type: 'boolean', default: false },
      faults: { type: 'string' },
    },
    strict: true,
  });
  if (!values.home) throw new Error('--home is required');
  const number = (name: string, text: string, min: number, max: number) => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < min || n > max)
      throw new Error(`--${name} must be an integer from ${min} to ${max}`);
    return n;
  };
  return {
    home: values.home,
    port: number('port', values.port, 0, 65535),
    tableSize: number('table-size', values['table-size'], 1, 1_000_000_000),
    reload: values.reload,
    hostBase: values['host-base'],
    region: values.region,
    transitionDelayMs: number('transition-delay-ms', values['transition-delay-ms'], 0, 600_000),
    strict: values.strict,
    ...(values.faults ? { faults: parseFaultSpec(values.faults) } : {}),
  };
}

async function main(): Promise<number> {
  const args = parseDaemonArgs(process.argv.slice(2));
  // `up` made and marked the home; the daemon writes into no other directory.
  if ((await inspectSandboxHome(args.home)) !== 'marked') {
    process.stderr.write(`labrun sandbox daemon: ${args.home} has no ${MARKER_FILE}; not a sandbox home\n`);
    return 2;
  }
  // Synchronous appends: a line is on disk before the state file that `up` reads next can say "ready".
  const logFd = openSync(daemonPaths(args.home).log, 'a');
  const log = (line: string) => {
    writeSync(logFd, `${new Date().toISOString()} ${line}\n`);
  };
  const progress = (line: string) => log(`progress: ${line}`);

  const lock = await acquireDaemonLock(args.home);
  if (!lock.acquired) {
    const holder = lock.holder === undefined ? '' : ` (pid ${lock.holder})`;
    log(`another sandbox daemon${holder} already runs for ${args.home}; exiting`);
    return DAEMON_LOCKED_EXIT;
  }
  log(`daemon ${process.pid} starting (home ${args.home})`);
  await writeDaemonFile(args.home, { pid: process.pid, state: 'starting' });

  const dataPlane = createMariaDbDataPlane({ home: args.home, log });
  const control = new ControlPlane({
    dataPlane,
    store: new RegistryStore(args.home),
    region: args.region,
    hostBase: args.hostBase,
    log,
    transitionDelayMs: args.transitionDelayMs,
    strict: args.strict,
    faults: args.faults,
  });
  let server: ApiServer | undefined;
  let stopping: Promise<void> | undefined;
  const stop = (reason: string) => {
    stopping ??= (async () => {
      log(`stopping (${reason})`);
      await server?.close().catch(() => undefined);
      await control.shutdown().catch((error: unknown) => log(`shutdown: ${describe(error)}`));
    })();
    return stopping;
  };
  const onSignal = (signal: NodeJS.Signals) => {
    void stop(signal).then(async () => {
      await removeDaemonFile(args.home);
      await releaseDaemonLock(args.home);
      log('stopped');
      process.exit(0);
    });
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  // A bug must not leave mariadbd servers without an owner: log it, stop them, and exit non-zero.
  const onCrash = (error: unknown) => {
    log(`crashed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    void stop('crash')
      .then(() =>
        writeDaemonFile(args.home, {
          pid: process.pid,
          state: 'failed',
          error: `daemon crashed: ${describe(error)}`,
        }),
      )
      .then(() => releaseDaemonLock(args.home))
      .finally(() => process.exit(1));
  };
  process.on('uncaughtException', onCrash);
  process.on('unhandledRejection', onCrash);

  try {
    server = await startApiServer({ control, port: args.port, log, faults: args.faults });
    log(`API listening on ${server.url}`);
    if (args.faults) log(`injecting faults: ${JSON.stringify(args.faults)}`);
    log(
      args.strict
        ? 'strict mode: refusing engine aurora, Aurora MySQL 1 versions and classes not offered for Aurora MySQL 3'
        : 'lenient mode: engine aurora is taken as aurora-mysql, any instance class is accepted',
    );
    progress('Restoring the sandbox state');
    await control.resume();
    await reportUnregistered(args.home, control, dataPlane, progress);
    const spec = { ...DEFAULT_LAB_STACK, tableSize: args.tableSize };
    await settleTableSize(
      control,
      await ensureLabStack(control, spec, progress),
      spec,
      args.reload,
      progress,
    );
    if (stopping) return 0;
    progress(`Sandbox ready on ${server.url}${args.strict ? ' (strict mode)' : ''}`);
    // Before "ready": whoever reads the state file next finds the password file in place.
    await writeSandboxPasswordFile(args.home, DEFAULT_LAB_STACK.masterPassword);
    await writeDaemonFile(args.home, {
      pid: process.pid,
      state: 'ready',
      endpoint: server.url,
      port: server.port,
      region: args.region,
      stackName: DEFAULT_LAB_STACK.stackName,
      dbUser: DEFAULT_LAB_STACK.masterUsername,
      strict: args.strict,
    });
    return 0;
  } catch (error) {
    if (stopping) return 0;
    const reason = describe(error);
    log(`failed: ${error instanceof Error ? (error.stack ?? reason) : reason}`);
    await writeDaemonFile(args.home, { pid: process.pid, state: 'failed', error: reason });
    await stop('start-up failed');
    await releaseDaemonLock(args.home);
    process.exit(1);
  }
}

/**
 * Clusters with data on disk that the registry does not list are named in the progress and left alone. A
 * source cluster among them stops the start: building a new one would need its directory.
 */
async function reportUnregistered(
  home: string,
  control: ControlPlane,
  dataPlane: MariaDbDataPlane,
  progress: (line: string) => void,
): Promise<void> {
  const unregistered = (await dataPlane.list()).filter((id) => !control.findCluster(id));
  for (const id of unregistered) {
    progress(
      `Cluster ${id} has data in ${clusterPaths(home, id).dir} but is not in the registry; left untouched`,
    );
  }
  const source = DEFAULT_LAB_STACK.clusterId;
  if (unregistered.includes(source)) {
    throw new Error(
      `the source cluster ${source} has data in ${clusterPaths(home, source).dir} but is not in the ` +
        `registry (${home}/registry.json); labrun will not build a new source over it. Move that directory ` +
        `away to start afresh (or delete the whole sandbox with \`labrun sandbox down --purge\`)`,
    );
  }
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') return `the API port is already in use (${error.message})`;
    return error.message;
  }
  return String(error);
}

main().then(
  (code) => {
    // Success keeps the process alive: the HTTP server holds the event loop until a signal arrives.
    if (code !== 0) process.exit(code);
  },
  (error: unknown) => {
    process.stderr.write(`labrun sandbox daemon: ${describe(error)}\n`);
    process.exit(1);
  },
);
