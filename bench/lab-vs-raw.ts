/**
 * The whole Part 3 lab on the sandbox against the irreducible data work of the same lab done with the raw
 * tools on a bare MariaDB, in the same run and at the same size (default 1,000,000 rows):
 *   raw = one hot copy (mariadb-backup --backup + --prepare) + two restores (copy the prepared backup into a
 *         data directory and start mariadbd on it) + one sysbench prepare + four CHECKSUM TABLEs,
 *   lab = wall time of `labrun run runbooks/aurora-clone-backtrack.yaml --sandbox` (a fresh process: Node start,
 *         SDK load, every API call, poll, wait and record write included), with no --set: the table size and
 *         the poll intervals are the sandbox stack's outputs, as for a lab runner.
 * The raw servers use the sandbox's own server settings (binlog on, same buffer pool and flush settings).
 * Run: npm run build && npx tsx bench/lab-vs-raw.ts [rows] [input=value ...]
 * Budget: lab <= 1.2x raw.
 */
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { execa } from 'execa';
import mysql from 'mysql2/promise';
import { sandboxDown, sandboxUp } from '../src/sandbox/index.js';
import { createMariaDbDataPlane } from '../src/sandbox/mariadb/index.js';
import { startMariaDbServer, type MariaDbServer } from '../src/sandbox/mariadb/server.js';
import type { ClusterStorageSpec } from '../src/sandbox/mariadb/types.js';
import { sysbench } from './sysbench.js';

const rows = Number(process.argv[2] ?? 1_000_000);
/** Further arguments are `name=value` inputs for the lab run (e.g. pollInterval=1s to compare settings). */
const sets = process.argv.slice(3).flatMap((set) => ['--set', set]);
// Loopback addresses; override them when another bench or sandbox on the machine uses these.
const RAW_HOST = process.env.LABRUN_BENCH_RAW_HOST ?? '127.0.60.1';
const RAW_COPY_HOST = process.env.LABRUN_BENCH_RAW_COPY_HOST ?? '127.0.60.2';
const SANDBOX_HOST_BASE = process.env.LABRUN_BENCH_SANDBOX_HOST_BASE ?? '127.0.61.1';

const timings: Array<[string, number]> = [];
async function timed<T>(what: string, task: () => Promise<T>): Promise<T> {
  const start = performance.now();
  const value = await task();
  timings.push([what, performance.now() - start]);
  return value;
}
const seconds = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;

/** The lab's load with the password in a private config file, as labrun gives it. */
const load = (host: string, command: string): Promise<unknown> =>
  sysbench({ host, user: 'masteruser', password: 'Password1', database: 'mylab', rows }, command);

async function sql(host: string, statement: string): Promise<unknown> {
  const connection = await mysql.createConnection({
    host,
    user: 'masteruser',
    password: 'Password1',
    database: 'mylab',
  });
  try {
    const [result] = await connection.query(statement);
    return result;
  } finally {
    await connection.end();
  }
}
const checksum = (host: string) => sql(host, 'CHECKSUM TABLE sbtest1');

async function rawLab(home: string): Promise<number> {
  const plane = createMariaDbDataPlane({ home });
  const source: ClusterStorageSpec = {
    id: 'raw-source',
    host: RAW_HOST,
    port: 3306,
    masterUsername: 'masteruser',
    masterPassword: 'Password1',
    databaseName: 'mylab',
  };
  let copyServer: MariaDbServer | undefined;
  try {
    await plane.createCluster(source);
    await load(RAW_HOST, 'prepare');
    const sourceDir = join(home, 'clusters', source.id);
    const backup = join(home, 'raw-backup');
    const datadir = join(home, 'raw-copy', 'data');
    const serverOptions = {
      configFile: join(home, 'raw-copy', 'my.cnf'),
      datadir,
      socket: join(home, 'raw-copy', 'mariadbd.sock'),
      pidFile: join(home, 'raw-copy', 'mariadbd.pid'),
      errorLog: join(home, 'raw-copy', 'error.log'),
      network: { host: RAW_COPY_HOST, port: 3306 },
      serverId: 9001,
      binlogBasename: join(home, 'raw-copy', 'binlogs', 'mysql-bin'),
    };
    const restore = async (): Promise<void> => {
      await copyServer?.stop();
      await rm(join(home, 'raw-copy'), { recursive: true, force: true });
      await execa('mkdir', ['-p', join(home, 'raw-copy', 'binlogs')]);
      await execa('cp', ['-a', backup, datadir]);
      copyServer = await startMariaDbServer(serverOptions);
    };

    const start = performance.now();
    await timed('raw: hot copy (backup + prepare)', async () => {
      await execa('mariadb-backup', [
        `--defaults-file=${join(sourceDir, 'my.cnf')}`,
        '--backup',
        `--target-dir=${backup}`,
        `--socket=${join(sourceDir, 'mariadbd.sock')}`,
        '--user=root',
      ]);
      await execa('mariadb-backup', ['--no-defaults', '--prepare', `--target-dir=${backup}`]);
    });
    await timed('raw: restore 1 (copy + start)', restore);
    await timed('raw: checksum of the copy', () => checksum(RAW_COPY_HOST));
    await timed('raw: checksum of the source', () => checksum(RAW_HOST));
    await sql(RAW_COPY_HOST, 'DROP TABLE sbtest1');
    await timed('raw: sysbench prepare', () => load(RAW_COPY_HOST, 'prepare'));
    await timed('raw: checksum of the re-prepared table', () => checksum(RAW_COPY_HOST));
    await timed('raw: restore 2 (copy + start)', restore);
    await timed('raw: checksum after restore 2', () => checksum(RAW_COPY_HOST));
    const total = timings.filter(([what]) => what.startsWith('raw:')).reduce((sum, [, ms]) => sum + ms, 0);
    timings.push(['raw: wall time of the sequence', performance.now() - start]);
    return total;
  } finally {
    await copyServer?.stop();
    await plane.shutdown();
  }
}

async function sandboxLab(home: string): Promise<number> {
  const env = { ...process.env, LABRUN_SANDBOX_HOME: home, CI: '1', NO_COLOR: '1' };
  await sandboxUp({ home, port: 0, tableSize: rows, hostBase: SANDBOX_HOST_BASE });
  try {
    const result = await timed('lab: labrun run aurora-clone-backtrack.yaml --sandbox', () =>
      execa(
        process.execPath,
        [
          'dist/cli/main.js',
          'run',
          'runbooks/aurora-clone-backtrack.yaml',
          // No --set: the table size and poll intervals come from the sandbox's stack outputs.
          '--sandbox',
          ...sets,
          '--runs-dir',
          join(home, 'runs'),
        ],
        { env, reject: false },
      ),
    );
    if (result.exitCode !== 0) throw new Error(`the lab failed:\n${result.stdout}\n${result.stderr}`);
    // LABRUN_BENCH_LAB_OUT=path keeps the lab run's output (its step timings).
    const keepOut = process.env.LABRUN_BENCH_LAB_OUT;
    if (keepOut) await writeFile(keepOut, result.stdout);
    return timings.at(-1)![1];
  } finally {
    // LABRUN_BENCH_DAEMON_LOG=path keeps the sandbox daemon's log (its phase timings) past the purge.
    const keepLog = process.env.LABRUN_BENCH_DAEMON_LOG;
    if (keepLog) await copyFile(join(home, 'daemon.log'), keepLog).catch(() => undefined);
    await sandboxDown({ home, purge: true });
  }
}

const rawHome = await mkdtemp(join(tmpdir(), 'labrun-bench-raw-'));
const labHome = await mkdtemp(join(tmpdir(), 'labrun-bench-lab-'));
try {
  console.log(`rows: ${rows}${sets.length > 0 ? `, lab run with ${sets.join(' ')}` : ''}`);
  const raw = await rawLab(rawHome);
  const lab = await sandboxLab(labHome);
  console.log('\n| measurement | time |\n|---|---|');
  for (const [what, ms] of timings) console.log(`| ${what} | ${seconds(ms)} |`);
  console.log(`| raw total (sum of the data work) | ${seconds(raw)} |`);
  const ratio = lab / raw;
  console.log(`\nlab / raw = ${ratio.toFixed(2)}x (budget 1.2x) ${ratio <= 1.2 ? 'OK' : 'OVER'}`);
} finally {
  await rm(rawHome, { recursive: true, force: true });
  await rm(labHome, { recursive: true, force: true });
}
