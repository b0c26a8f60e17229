/**
 * The lab's data path at full size, on the real data plane: a 1,000,000-row sbtest1, a raw
 * `mariadb-backup --backup` + `--prepare` of it against cloneCluster, then the lab's two backtracks of the
 * clone (to just after a DROP, to just before it) and one forward again, plus the RSS of source and clone.
 * Run: npx tsx bench/clone-backtrack.ts [rows] [--repeat=3] [--verbose]
 * Budget: clone <= 1.2x the raw backup + prepare; every backtrack well under 5 s; source + clone RSS < 1.5 GB.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { execa } from 'execa';
import mysql from 'mysql2/promise';
import { createMariaDbDataPlane } from '../src/sandbox/mariadb/index.js';
import type { ClusterStorageSpec } from '../src/sandbox/mariadb/types.js';
import { sysbench } from './sysbench.js';

const rows = Number(process.argv.slice(2).find((arg) => /^\d+$/.test(arg)) ?? 1_000_000);
const repeat = Number(
  /^--repeat=(\d+)$/.exec(process.argv.find((arg) => arg.startsWith('--repeat=')) ?? '')?.[1] ?? 3,
);
const results: Array<[string, string]> = [];
const record = (what: string, value: string): void => {
  results.push([what, value]);
  console.log(`  ${what}: ${value}`);
};

async function timed<T>(what: string, task: () => Promise<T>): Promise<T> {
  const start = performance.now();
  const value = await task();
  record(what, `${((performance.now() - start) / 1000).toFixed(2)} s`);
  return value;
}

async function elapsed(task: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await task();
  return performance.now() - start;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

async function freeHost(skip: string[] = []): Promise<string> {
  for (let d = 200; d <= 254; d++) {
    const host = `127.0.40.${d}`;
    if (skip.includes(host)) continue;
    const free = await new Promise<boolean>((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(false));
      server.listen({ host, port: 3306, exclusive: true }, () => server.close(() => resolve(true)));
    });
    if (free) return host;
  }
  throw new Error('no free address in 127.0.40.200-254');
}

async function query<T>(spec: ClusterStorageSpec, statement: string): Promise<T[]> {
  const connection = await mysql.createConnection({
    host: spec.host,
    user: spec.masterUsername,
    password: spec.masterPassword,
    database: spec.databaseName,
  });
  try {
    const [result] = await connection.query(statement);
    return result as T[];
  } finally {
    await connection.end();
  }
}

const checksum = async (spec: ClusterStorageSpec): Promise<string> =>
  String((await query<{ Checksum: number | null }>(spec, 'CHECKSUM TABLE sbtest1'))[0]?.Checksum);
const serverNow = async (spec: ClusterStorageSpec): Promise<Date> =>
  new Date(Number((await query<{ t: string }>(spec, 'SELECT UNIX_TIMESTAMP(NOW(3)) AS t'))[0]?.t) * 1000);
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const floorSecond = (date: Date, plus = 0): Date =>
  new Date((Math.floor(date.getTime() / 1000) + plus) * 1000);

function rssMiB(pid: number | undefined): number {
  if (pid === undefined) return 0;
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(match?.[1] ?? 0) / 1024;
}

async function sysbenchPrepare(spec: ClusterStorageSpec): Promise<void> {
  await sysbench(
    {
      host: spec.host,
      user: spec.masterUsername,
      password: spec.masterPassword,
      database: spec.databaseName,
      rows,
    },
    'prepare',
  );
}

const home = await mkdtemp(join(tmpdir(), 'labrun-bench-'));
const verbose = process.argv.includes('--verbose');
const plane = createMariaDbDataPlane({
  home,
  ...(verbose ? { log: (line: string) => console.log(`    [data plane] ${line}`) } : {}),
});
try {
  const source: ClusterStorageSpec = {
    id: 'bench-source',
    host: await freeHost(),
    port: 3306,
    masterUsername: 'masteruser',
    masterPassword: 'bench-password',
    databaseName: 'mylab',
  };
  const clone: ClusterStorageSpec = {
    ...source,
    id: 'bench-source-clone',
    host: await freeHost([source.host]),
  };
  console.log(`rows: ${rows}, home: ${home}`);
  await timed('createCluster', () => plane.createCluster(source));
  await timed(`sysbench prepare (${rows} rows) on the source`, () => sysbenchPrepare(source));

  const sourceDir = join(home, 'clusters', source.id);
  const raw = join(home, 'raw-backup');
  const rawRun = async (tuned: boolean): Promise<void> => {
    await execa('mariadb-backup', [
      `--defaults-file=${join(sourceDir, 'my.cnf')}`,
      '--backup',
      `--target-dir=${raw}`,
      `--socket=${join(sourceDir, 'mariadbd.sock')}`,
      '--user=root',
      ...(tuned ? ['--parallel=2'] : []),
    ]);
    await execa('mariadb-backup', [
      '--no-defaults',
      '--prepare',
      `--target-dir=${raw}`,
      ...(tuned ? ['--use-memory=256M'] : []),
    ]);
  };
  // Warm-up, so every measurement reads the source from the page cache; then raw and clone alternate, so
  // both see the same machine load, and the medians are compared.
  await rawRun(false);
  const rawDefault: number[] = [];
  const rawTuned: number[] = [];
  const clones: number[] = [];
  let copiedAt = new Date(0);
  // Each run starts from the same state: the previous copy deleted and written back (`sync`), so no run
  // pays for another's deletions.
  const settle = async (): Promise<void> => {
    await rm(raw, { recursive: true, force: true });
    await execa('sync');
  };
  for (let round = 0; round < repeat; round++) {
    await settle();
    rawDefault.push(await elapsed(() => rawRun(false)));
    await settle();
    rawTuned.push(await elapsed(() => rawRun(true)));
    if (round > 0) await plane.destroy(clone.id);
    await settle();
    clones.push(await elapsed(async () => ({ copiedAt } = await plane.cloneCluster(source.id, clone))));
  }
  const seconds = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
  record(
    `raw mariadb-backup --backup + --prepare, default options (median of ${repeat})`,
    seconds(median(rawDefault)),
  );
  record(
    `raw backup + prepare with the clone's options: --parallel=2, --use-memory=256M`,
    seconds(median(rawTuned)),
  );
  record(`cloneCluster (median of ${repeat})`, seconds(median(clones)));
  record(
    'cloneCluster / raw (default options, same options)',
    `${(median(clones) / median(rawDefault)).toFixed(2)}x, ${(median(clones) / median(rawTuned)).toFixed(2)}x`,
  );
  await timed('start the clone (first start copies the base)', () => plane.start(clone.id));
  const sourceChecksum = await checksum(source);
  const cloneChecksum = await checksum(clone);
  record('checksum source / clone', `${sourceChecksum} / ${cloneChecksum}`);
  if (sourceChecksum !== cloneChecksum) throw new Error('the clone differs from the source');
  record('clone copiedAt', copiedAt.toISOString());

  // The lab's Task 3.2 on the clone.
  await sleep(1000);
  const beforeDrop = await serverNow(clone);
  await query(clone, 'DROP TABLE sbtest1');
  const afterDrop = await serverNow(clone);
  await sleep(2000);
  await timed('sysbench prepare again on the clone', () => sysbenchPrepare(clone));
  const reprepared = await checksum(clone);
  const afterReprepare = floorSecond(await serverNow(clone), 1);
  await sleep(1000 - (Date.now() % 1000) + 20);

  const first = await timed('backtrack 1: just after the DROP', () =>
    plane.backtrack(clone.id, floorSecond(afterDrop, 1)),
  );
  const absent = await query<{ n: number }>(
    clone,
    "SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_schema = 'mylab' AND table_name = 'sbtest1'",
  );
  record('  sbtest1 after backtrack 1', Number(absent[0]?.n) === 0 ? 'absent' : 'PRESENT (wrong)');
  record('  events replayed', String(first.replayedEvents));
  const second = await timed('backtrack 2: just before the DROP', () =>
    plane.backtrack(clone.id, floorSecond(beforeDrop)),
  );
  const restored = await checksum(clone);
  record(
    '  checksum after backtrack 2',
    `${restored} (${restored === cloneChecksum ? 'original' : 'WRONG'})`,
  );
  record('  events replayed', String(second.replayedEvents));
  await timed('backtrack 3: forward to after the re-prepare', () =>
    plane.backtrack(clone.id, afterReprepare),
  );
  const forward = await checksum(clone);
  record('  checksum after backtrack 3', `${forward} (${forward === reprepared ? 're-prepared' : 'WRONG'})`);

  const sourceInfo = await plane.info(source.id);
  const cloneInfo = await plane.info(clone.id);
  const rss = rssMiB(sourceInfo.pid) + rssMiB(cloneInfo.pid);
  record(
    'RSS source + clone',
    `${rss.toFixed(0)} MiB (${rssMiB(sourceInfo.pid).toFixed(0)} + ${rssMiB(cloneInfo.pid).toFixed(0)})`,
  );
  record(
    'disk: source / clone',
    `${(sourceInfo.dataBytes / 2 ** 20).toFixed(0)} / ${(cloneInfo.dataBytes / 2 ** 20).toFixed(0)} MiB`,
  );
  record('change records: source / clone', `${sourceInfo.changeRecords} / ${cloneInfo.changeRecords}`);

  console.log('\n| measurement | value |\n|---|---|');
  for (const [what, value] of results) console.log(`| ${what.trim()} | ${value} |`);
} finally {
  await plane.shutdown();
  await rm(home, { recursive: true, force: true });
}
