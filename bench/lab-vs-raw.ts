/**
 * The whole Part 3 lab on the sandbox against the irreducible data work of the same lab done with the raw
 * tools on a bare MariaDB, in the same run and at the same size (default 1,000,000 rows):
 *   raw = one hot copy (mariadb-backup --backup + --prepare) + two restores (copy the prepared backup into a
 *         data directory and start mariadbd on it) + the DROP TABLE + one sysbench prepare + the lab's five
 *         CHECKSUM TABLEs (the copy, the source, the re-prepared table, the restored copy, the source again),
 *   lab = wall time of `labrun run runbooks/aurora-clone-backtrack.yaml --sandbox` (a fresh process: Node start,
 *         SDK load, every API call, poll, wait and record write included), with no --set: the table size and
 *         the poll intervals are the sandbox stack's outputs, as for a lab runner.
 * The raw servers use the sandbox's own server settings (binlog on, same buffer pool and flush settings).
 * Both sides are set up once (a loaded bare server; the sandbox with its lab cluster) and then run in rounds
 * (LABRUN_BENCH_ROUNDS, default 3), taking turns going first, each after a `sync`. One run of each side varies
 * by a fifth from run to run on a 2-core machine (mostly the sysbench prepare), as much as the gap measured,
 * so the budget applies to the ratio of the medians; every round's ratio is printed too.
 * Run: npm run build && npx tsx bench/lab-vs-raw.ts [rows] [input=value ...]
 * Budget: median lab <= 1.2x median raw.
 */
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { DescribeDBClustersCommand, RDSClient } from '@aws-sdk/client-rds';
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
/** Rounds of both sides, taking turns; the budget applies to the ratio of the medians. */
const rounds = Number(process.env.LABRUN_BENCH_ROUNDS ?? 3);
if (!Number.isInteger(rounds) || rounds < 1)
  throw new Error('LABRUN_BENCH_ROUNDS must be a whole number >= 1');
// Loopback addresses; override them when another bench or sandbox on the machine uses these.
const RAW_HOST = process.env.LABRUN_BENCH_RAW_HOST ?? '127.0.60.1';
const RAW_COPY_HOST = process.env.LABRUN_BENCH_RAW_COPY_HOST ?? '127.0.60.2';
const SANDBOX_HOST_BASE = process.env.LABRUN_BENCH_SANDBOX_HOST_BASE ?? '127.0.61.1';

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

/** Phase name → duration of one round of the raw sequence, and their sum. */
interface RawRound {
  phases: Array<[string, number]>;
  total: number;
}

/**
 * The raw side: a bare MariaDB loaded once (as the sandbox's lab cluster is), then per round one hot copy,
 * two restores from it, the DROP, the sysbench prepare and the five checksums, each timed.
 */
async function openRaw(home: string): Promise<{ round(): Promise<RawRound>; close(): Promise<void> }> {
  const plane = createMariaDbDataPlane({ home });
  const source: ClusterStorageSpec = {
    id: 'raw-source',
    host: RAW_HOST,
    port: 3306,
    masterUsername: 'masteruser',
    masterPassword: 'Password1',
    databaseName: 'mylab',
  };
  await plane.createCluster(source);
  await load(RAW_HOST, 'prepare');
  const sourceDir = join(home, 'clusters', source.id);
  const backup = join(home, 'raw-backup');
  const copyDir = join(home, 'raw-copy');
  const serverOptions = {
    configFile: join(copyDir, 'my.cnf'),
    datadir: join(copyDir, 'data'),
    socket: join(copyDir, 'mariadbd.sock'),
    pidFile: join(copyDir, 'mariadbd.pid'),
    errorLog: join(copyDir, 'error.log'),
    network: { host: RAW_COPY_HOST, port: 3306 },
    serverId: 9001,
    binlogBasename: join(copyDir, 'binlogs', 'mysql-bin'),
  };
  let copyServer: MariaDbServer | undefined;
  const stopCopy = async (): Promise<void> => {
    await copyServer?.stop();
    copyServer = undefined;
  };
  const restore = async (): Promise<void> => {
    await stopCopy();
    await rm(copyDir, { recursive: true, force: true });
    await mkdir(join(copyDir, 'binlogs'), { recursive: true });
    await execa('cp', ['-a', backup, serverOptions.datadir]);
    copyServer = await startMariaDbServer(serverOptions);
  };
  return {
    async round() {
      await stopCopy();
      await rm(backup, { recursive: true, force: true });
      await rm(copyDir, { recursive: true, force: true });
      await settleDisk();
      const phases: Array<[string, number]> = [];
      const timed = async (what: string, task: () => Promise<unknown>): Promise<void> => {
        const start = performance.now();
        await task();
        phases.push([what, performance.now() - start]);
      };
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
      await timed('raw: drop table', () => sql(RAW_COPY_HOST, 'DROP TABLE sbtest1'));
      await timed('raw: sysbench prepare', () => load(RAW_COPY_HOST, 'prepare'));
      await timed('raw: checksum of the re-prepared table', () => checksum(RAW_COPY_HOST));
      await timed('raw: restore 2 (copy + start)', restore);
      await timed('raw: checksum after restore 2', () => checksum(RAW_COPY_HOST));
      await timed('raw: checksum of the source again', () => checksum(RAW_HOST));
      await stopCopy();
      return { phases, total: phases.reduce((sum, [, ms]) => sum + ms, 0) };
    },
    async close() {
      await stopCopy();
      await plane.shutdown();
    },
  };
}

/**
 * The lab side: the sandbox brought up once with the table size; per round one `labrun run`, after which the
 * bench waits until the clone the lab deleted is gone, so the next round creates it afresh.
 */
async function openLab(
  home: string,
): Promise<{ round(index: number): Promise<number>; close(): Promise<void> }> {
  const env = { ...process.env, LABRUN_SANDBOX_HOME: home, CI: '1', NO_COLOR: '1' };
  const sandbox = await sandboxUp({ home, port: 0, tableSize: rows, hostBase: SANDBOX_HOST_BASE });
  const rds = new RDSClient({
    endpoint: sandbox.endpoint,
    region: sandbox.region,
    credentials: { accessKeyId: sandbox.accessKeyId, secretAccessKey: sandbox.secretAccessKey },
  });
  const cloneGone = async (): Promise<void> => {
    for (const deadline = Date.now() + 60_000; Date.now() < deadline;) {
      try {
        const { DBClusters = [] } = await rds.send(new DescribeDBClustersCommand({}));
        if (!DBClusters.some((cluster) => cluster.DBClusterIdentifier?.endsWith('-clone'))) return;
      } catch (error) {
        throw new Error(`the sandbox did not answer DescribeDBClusters: ${String(error)}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error('the lab clone was still there 60 s after the lab deleted it');
  };
  return {
    async round(index) {
      await settleDisk();
      const start = performance.now();
      const result = await execa(
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
      );
      const elapsed = performance.now() - start;
      if (result.exitCode !== 0) throw new Error(`the lab failed:\n${result.stdout}\n${result.stderr}`);
      // LABRUN_BENCH_LAB_OUT=path keeps each lab run's output (its step timings), as path.N.
      const keepOut = process.env.LABRUN_BENCH_LAB_OUT;
      if (keepOut) await writeFile(`${keepOut}.${index}`, result.stdout);
      await cloneGone();
      return elapsed;
    },
    async close() {
      rds.destroy();
      // LABRUN_BENCH_DAEMON_LOG=path keeps the sandbox daemon's log (its phase timings) past the purge.
      const keepLog = process.env.LABRUN_BENCH_DAEMON_LOG;
      if (keepLog) await copyFile(join(home, 'daemon.log'), keepLog).catch(() => undefined);
      await sandboxDown({ home, purge: true });
    },
  };
}

/**
 * Writes the page cache's dirty pages out before a timed sequence, so that neither side pays for the write-back
 * of what the other (or its own setup) wrote: the kernel starts writing pages back 30 s after they were dirtied,
 * which otherwise lands in whichever sysbench prepare happens to run then.
 */
async function settleDisk(): Promise<void> {
  await execa('sync');
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

const rawHome = await mkdtemp(join(tmpdir(), 'labrun-bench-raw-'));
const labHome = await mkdtemp(join(tmpdir(), 'labrun-bench-lab-'));
try {
  console.log(`rows: ${rows}, rounds: ${rounds}${sets.length > 0 ? `, lab run with ${sets.join(' ')}` : ''}`);
  const raw = await openRaw(rawHome);
  try {
    const lab = await openLab(labHome);
    try {
      const raws: RawRound[] = [];
      const labs: number[] = [];
      // The sides take turns going first, so neither always runs on a machine the other just warmed up.
      for (let index = 1; index <= rounds; index++) {
        if (index % 2 === 1) {
          raws.push(await raw.round());
          labs.push(await lab.round(index));
        } else {
          labs.push(await lab.round(index));
          raws.push(await raw.round());
        }
        console.log(
          `round ${index}: lab ${seconds(labs.at(-1)!)}, raw ${seconds(raws.at(-1)!.total)} ` +
            `(${(labs.at(-1)! / raws.at(-1)!.total).toFixed(2)}x)`,
        );
      }
      const columns = raws.map((_, index) => `round ${index + 1}`);
      console.log(`\n| measurement | ${columns.join(' | ')} | median |`);
      console.log(`|---|${columns.map(() => '---|').join('')}---|`);
      const row = (what: string, values: number[]): void =>
        console.log(`| ${what} | ${[...values, median(values)].map(seconds).join(' | ')} |`);
      for (const [phase, [what]] of raws[0]!.phases.entries()) {
        row(
          what,
          raws.map((round) => round.phases[phase]![1]),
        );
      }
      row(
        'raw total (sum of the data work)',
        raws.map((round) => round.total),
      );
      row('lab: labrun run aurora-clone-backtrack.yaml --sandbox', labs);
      const ratios = labs.map((ms, index) => ms / raws[index]!.total);
      const ratio = median(labs) / median(raws.map((round) => round.total));
      console.log(
        `\nlab / raw = ${ratio.toFixed(2)}x on the medians (rounds ${ratios.map((r) => r.toFixed(2)).join(', ')}; ` +
          `budget 1.2x) ${ratio <= 1.2 ? 'OK' : 'OVER'}`,
      );
    } finally {
      await lab.close();
    }
  } finally {
    await raw.close();
  }
} finally {
  await rm(rawHome, { recursive: true, force: true });
  await rm(labHome, { recursive: true, force: true });
}
