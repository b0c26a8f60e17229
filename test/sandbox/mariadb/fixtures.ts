/**
 * Shared set-up for the data-plane tests: a temporary home, free loopback addresses in 127.0.40.0/24, and
 * SQL connections to a cluster as its master user.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import type { ClusterStorageSpec } from '../../../src/sandbox/mariadb/types.js';

export async function tempHome(): Promise<{ home: string; remove(): Promise<void> }> {
  const home = await mkdtemp(join(tmpdir(), 'labrun-dataplane-'));
  return { home, remove: () => rm(home, { recursive: true, force: true }) };
}

const handedOut = new Set<string>();

/** An address in 127.0.40.1-254 whose port 3306 is free and that no other test in this process holds. */
export async function freeHost(): Promise<string> {
  const first = 1 + Math.floor(Math.random() * 254);
  for (let i = 0; i < 254; i++) {
    const host = `127.0.40.${((first + i - 1) % 254) + 1}`;
    if (handedOut.has(host)) continue;
    if (await portIsFree(host, 3306)) {
      handedOut.add(host);
      return host;
    }
  }
  throw new Error('no free address in 127.0.40.0/24');
}

export function portIsFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

export async function clusterSpec(id: string): Promise<ClusterStorageSpec> {
  return {
    id,
    host: await freeHost(),
    port: 3306,
    masterUsername: 'masteruser',
    masterPassword: "Pa55-w'ord\\x",
    databaseName: 'mylab',
  };
}

export async function connect(spec: ClusterStorageSpec): Promise<mysql.Connection> {
  return mysql.createConnection({
    host: spec.host,
    port: spec.port,
    user: spec.masterUsername,
    password: spec.masterPassword,
    database: spec.databaseName,
    timezone: 'Z',
  });
}

/** Runs `statements` over one connection and returns the last result's rows. */
export async function sql<T = Record<string, unknown>>(
  spec: ClusterStorageSpec,
  ...statements: string[]
): Promise<T[]> {
  const connection = await connect(spec);
  try {
    let rows: unknown = [];
    for (const statement of statements) [rows] = await connection.query(statement);
    return rows as T[];
  } finally {
    await connection.end();
  }
}

export async function checksum(spec: ClusterStorageSpec, table: string): Promise<number | null> {
  const rows = await sql<{ Checksum: number | null }>(spec, `CHECKSUM TABLE ${table}`);
  return rows[0]?.Checksum ?? null;
}

export async function tableExists(spec: ClusterStorageSpec, table: string): Promise<boolean> {
  const rows = await sql<{ n: number }>(
    spec,
    `SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = '${table}'`,
  );
  return Number(rows[0]?.n) > 0;
}

/** The server's clock (UTC, milliseconds). */
export async function serverNow(spec: ClusterStorageSpec): Promise<Date> {
  const rows = await sql<{ t: string }>(
    spec,
    `SELECT DATE_FORMAT(UTC_TIMESTAMP(3), '%Y-%m-%dT%H:%i:%s.%fZ') AS t`,
  );
  return new Date(String(rows[0]?.t).replace(/(\.\d{3})\d*Z$/, '$1Z'));
}

/** Waits until the wall clock has entered a later second, so events before and after land in different ones. */
export async function nextSecond(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 1000 - (Date.now() % 1000) + 20));
}

/** Inserts `rows` pseudo-random rows into a new table `name` (id, k, c). */
export async function fillTable(
  spec: ClusterStorageSpec,
  name: string,
  rows: number,
  seed: number,
): Promise<void> {
  await sql(
    spec,
    `CREATE TABLE ${name} (id INT PRIMARY KEY, k INT NOT NULL, c CHAR(60) NOT NULL) ENGINE=InnoDB`,
    `INSERT INTO ${name} SELECT seq, (seq * ${seed}) % 10007, SHA1(CONCAT(seq, '-', ${seed})) FROM seq_1_to_${rows}`,
  );
}
