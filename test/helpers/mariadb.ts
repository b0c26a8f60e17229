/**
 * A throwaway real MariaDB server for tests: a fresh data directory in a temp folder, one mariadbd bound to
 * a free address in 127.0.20.1-254 on port 3306, a user with a password and a database. `stop()` kills the
 * server and removes every file; call it from an `after` hook so it also runs when a test fails.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import mysql from 'mysql2/promise';

const execFileAsync = promisify(execFile);

export interface TestMariadb {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
  /** Stops the server (SIGTERM, waits for exit) and starts it again on the same data. */
  restart(): Promise<void>;
  /** Stops the server and deletes its files. Safe to call twice. */
  stop(): Promise<void>;
}

export interface StartOptions {
  user?: string;
  password?: string;
  database?: string;
}

const MARIADBD = process.env.MARIADBD ?? '/usr/sbin/mariadbd';

export async function startMariadb(options: StartOptions = {}): Promise<TestMariadb> {
  const user = options.user ?? 'labuser';
  const password = options.password ?? 'S3cret-pw-for-tests';
  const database = options.database ?? 'labdb';
  const dir = await mkdtemp(join(tmpdir(), 'labrun-mariadb-'));
  const datadir = join(dir, 'data');
  const socket = join(dir, 'mariadb.sock');
  // Its own tmpdir: a mariadbd starting in a shared /tmp removes other servers' temporary tables there.
  const serverTmp = join(dir, 'tmp');
  await mkdir(serverTmp);
  await execFileAsync('mariadb-install-db', [
    '--no-defaults',
    `--datadir=${datadir}`,
    `--tmpdir=${serverTmp}`,
    '--auth-root-authentication-method=normal',
    '--skip-test-db',
    ...(process.getuid?.() === 0 ? ['--user=root'] : []),
  ]);
  const host = await freeLoopbackAddress();
  let child: ChildProcess | undefined;

  const start = async (): Promise<void> => {
    const args = [
      '--no-defaults',
      `--datadir=${datadir}`,
      `--tmpdir=${serverTmp}`,
      `--bind-address=${host}`,
      '--port=3306',
      `--socket=${socket}`,
      `--pid-file=${join(dir, 'mariadbd.pid')}`,
      '--default-time-zone=+00:00',
      '--skip-log-bin',
      '--skip-name-resolve',
      '--innodb-buffer-pool-size=32M',
      '--innodb-log-file-size=16M',
      `--log-error=${join(dir, 'error.log')}`,
      ...(process.getuid?.() === 0 ? ['--user=root'] : []),
    ];
    const proc = spawn(MARIADBD, args, { stdio: 'ignore' });
    child = proc;
    await waitUntilServing(proc, { host, user: 'root', socketPath: socket });
  };

  const halt = async (): Promise<void> => {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), 20_000);
    await exited;
    clearTimeout(timer);
  };

  try {
    await start();
    const root = await mysql.createConnection({ socketPath: socket, user: 'root' });
    try {
      await root.query(`CREATE DATABASE \`${database}\``);
      await root.query(`CREATE USER ?@'%' IDENTIFIED BY ?`, [user, password]);
      await root.query(`GRANT ALL ON *.* TO ?@'%' WITH GRANT OPTION`, [user]);
    } finally {
      await root.end();
    }
  } catch (error) {
    await halt();
    await rm(dir, { recursive: true, force: true });
    throw error;
  }

  let stopped = false;
  return {
    host,
    port: 3306,
    user,
    password,
    database,
    async restart() {
      await halt();
      await start();
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await halt();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function waitUntilServing(
  proc: ChildProcess,
  target: { host: string; user: string; socketPath: string },
): Promise<void> {
  const deadline = Date.now() + 30_000;
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null || proc.signalCode !== null) {
      throw new Error(`mariadbd exited during start-up (code ${proc.exitCode ?? proc.signalCode})`);
    }
    try {
      const conn = await mysql.createConnection({ socketPath: target.socketPath, user: target.user });
      await conn.end();
      return;
    } catch (error) {
      lastError = error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  proc.kill('SIGKILL');
  throw new Error(`mariadbd did not start on ${target.host}:3306: ${String(lastError)}`);
}

/** An address in 127.0.20.1-254 whose port 3306 is free right now. */
async function freeLoopbackAddress(): Promise<string> {
  const first = 1 + Math.floor(Math.random() * 254);
  for (let i = 0; i < 254; i++) {
    const host = `127.0.20.${((first + i - 1) % 254) + 1}`;
    if (await portIsFree(host, 3306)) return host;
  }
  throw new Error('no free address in 127.0.20.0/24 for a test MariaDB server');
}

function portIsFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}
