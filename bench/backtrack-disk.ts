/**
 * Disk per backtrack, on the real data plane: a clone of an N-row sbtest1 (default 1,000,000), then ten
 * backtracks with a few statements written before and after each target (100 rows updated at random, 100
 * inserted, 20 deleted, twice per round). Round 6 goes back into an epoch an earlier backtrack abandoned.
 * Every backtrack is checked against the table's checksum taken at its target. Prints the clone's disk
 * before and after (once its plain copies are sealed), the ratio, where the bytes are, and the backtrack times.
 * Run: npx tsx bench/backtrack-disk.ts [rows] [--rounds=10] [--verbose]
 * Budget: the clone after the backtracks stays under 2x its size before them.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import mysql from 'mysql2/promise';
import { createMariaDbDataPlane } from '../src/sandbox/mariadb/index.js';
import { diskUsage } from '../src/sandbox/mariadb/fs-utils.js';
import type { ClusterStorageSpec } from '../src/sandbox/mariadb/types.js';
import { sysbench } from './sysbench.js';

const rows = Number(process.argv.slice(2).find((arg) => /^\d+$/.test(arg)) ?? 1_000_000);
const rounds = Number(
  /^--rounds=(\d+)$/.exec(process.argv.find((arg) => arg.startsWith('--rounds=')) ?? '')?.[1] ?? 10,
);
const verbose = process.argv.includes('--verbose');
const results: Array<[string, string]> = [];
const record = (what: string, value: string): void => {
  results.push([what, value]);
  console.log(`  ${what}: ${value}`);
};
const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(0)} MiB`;

async function freeHost(skip: string[] = []): Promise<string> {
  for (let d = 200; d <= 254; d++) {
    const host = `127.0.41.${d}`;
    if (skip.includes(host)) continue;
    const free = await new Promise<boolean>((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(false));
      server.listen({ host, port: 3306, exclusive: true }, () => server.close(() => resolve(true)));
    });
    if (free) return host;
  }
  throw new Error('no free address in 127.0.41.200-254');
}

async function query<T>(spec: ClusterStorageSpec, ...statements: string[]): Promise<T[]> {
  const connection = await mysql.createConnection({
    host: spec.host,
    user: spec.masterUsername,
    password: spec.masterPassword,
    database: spec.databaseName,
  });
  try {
    let result: unknown = [];
    for (const statement of statements) [result] = await connection.query(statement);
    return result as T[];
  } finally {
    await connection.end();
  }
}

const checksum = async (spec: ClusterStorageSpec): Promise<string> =>
  String((await query<{ Checksum: number | null }>(spec, 'CHECKSUM TABLE sbtest1'))[0]?.Checksum);
const serverNow = async (spec: ClusterStorageSpec): Promise<Date> =>
  new Date(Number((await query<{ t: string }>(spec, 'SELECT UNIX_TIMESTAMP(NOW(3)) AS t'))[0]?.t) * 1000);
const nextSecond = (): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, 1000 - (Date.now() % 1000) + 20));

/** A few statements, as a lab writes between backtracks: rows spread over the whole table. */
async function write(spec: ClusterStorageSpec, seed: number): Promise<void> {
  const ids = (count: number, step: number): string =>
    Array.from({ length: count }, (_, i) => 1 + ((seed * 7919 + i * step) % rows)).join(',');
  await query(
    spec,
    `UPDATE sbtest1 SET k = k + 1 WHERE id IN (${ids(100, 104_729)})`,
    `INSERT INTO sbtest1 (k, c, pad) SELECT seq, SHA1(seq + ${seed}), SHA1(seq * 2) FROM seq_1_to_100`,
    `DELETE FROM sbtest1 WHERE id IN (${ids(20, 7_717)})`,
  );
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
const plane = createMariaDbDataPlane({
  home,
  ...(verbose ? { log: (line: string) => console.log(`    [data plane] ${line}`) } : {}),
});
try {
  const source: ClusterStorageSpec = {
    id: 'disk-source',
    host: await freeHost(),
    port: 3306,
    masterUsername: 'masteruser',
    masterPassword: 'bench-password',
    databaseName: 'mylab',
  };
  const clone: ClusterStorageSpec = { ...source, id: 'disk-clone', host: await freeHost([source.host]) };
  console.log(`rows: ${rows}, rounds: ${rounds}, home: ${home}`);
  await plane.createCluster(source);
  await sysbenchPrepare(source);
  const cloneStart = performance.now();
  await plane.cloneCluster(source.id, clone);
  await plane.start(clone.id);
  record('clone + first start', `${((performance.now() - cloneStart) / 1000).toFixed(2)} s`);

  const dir = join(home, 'clusters', clone.id);
  const breakdown = async (): Promise<string> => {
    const [data, store, binlogs] = await Promise.all(
      ['data', 'store', 'binlogs'].map((name) => diskUsage(join(dir, name))),
    );
    return `live ${mib(data!)}, store ${mib(store!)}, binlogs ${mib(binlogs!)}`;
  };
  // The copy the clone's first start was made from is sealed in the background: measure once that is done.
  await plane.settle(clone.id);
  const before = (await plane.info(clone.id)).dataBytes;
  record('clone before the backtracks', `${mib(before)} (${await breakdown()})`);

  const marks: Array<{ at: Date; sum: string }> = [];
  const times: number[] = [];
  for (let round = 1; round <= rounds; round++) {
    await write(clone, round);
    await nextSecond();
    marks.push({ at: new Date(Math.floor((await serverNow(clone)).getTime() / 1000) * 1000), sum: '' });
    const mark = marks[marks.length - 1]!;
    mark.sum = await checksum(clone);
    await nextSecond();
    await write(clone, 1000 + round);
    await nextSecond();
    // Round 6 goes back into the epoch round 3 wrote, before the backtracks that followed it.
    const target = round === 6 && marks.length >= 3 ? marks[2]! : mark;
    const started = performance.now();
    await plane.backtrack(clone.id, target.at, { windowSeconds: 86_400 });
    times.push(performance.now() - started);
    const sum = await checksum(clone);
    if (sum !== target.sum) throw new Error(`round ${round}: checksum ${sum}, expected ${target.sum}`);
    const now = (await plane.info(clone.id)).dataBytes;
    console.log(
      `  backtrack ${round}: ${(times[times.length - 1]! / 1000).toFixed(2)} s, clone ${mib(now)} ` +
        `(${await breakdown()}), checksum as at ${target.at.toISOString()}`,
    );
  }
  // The end states and replayed bases are plain copies until the clone is quiet: seal them now.
  const unsealed = (await plane.info(clone.id)).dataBytes;
  record(`clone after ${rounds} backtracks, before its plain copies are sealed`, mib(unsealed));
  const sealing = performance.now();
  await plane.settle(clone.id);
  record('sealing them', `${((performance.now() - sealing) / 1000).toFixed(2)} s`);
  const after = (await plane.info(clone.id)).dataBytes;
  const sorted = [...times].sort((a, b) => a - b);
  record(`clone after ${rounds} backtracks`, `${mib(after)} (${await breakdown()})`);
  record('after / before', `${(after / before).toFixed(2)}x`);
  record('disk per backtrack', `${mib((after - before) / rounds)}`);
  record(
    'backtrack time: median, max',
    `${(sorted[Math.floor(sorted.length / 2)]! / 1000).toFixed(2)} s, ${(sorted[sorted.length - 1]! / 1000).toFixed(2)} s`,
  );

  console.log('\n| measurement | value |\n|---|---|');
  for (const [what, value] of results) console.log(`| ${what.trim()} | ${value} |`);
} finally {
  await plane.shutdown();
  await rm(home, { recursive: true, force: true });
}
