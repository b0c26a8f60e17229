/**
 * SQL connections of a run: one mysql2 connection per named connection, rendered from its templates and
 * opened at first use, closed when the run ends. A backtrack restarts the cluster's server (and a server may
 * crash and come back), so a session whose connection the server closed reconnects before its next
 * statement instead of failing. While the server is still down, connecting is refused: a session that was
 * connected before keeps trying, with backoff, until the server takes connections again, the step is
 * aborted, or a minute has passed. The first connection of a session waits the same way, for a shorter
 * while (30 s): a server that is restarting (an Aurora failover or reboot) refuses connections for a few
 * seconds, and one that is not there is reported soon enough, naming the address and how long it was tried.
 * Errors that no wait cures (a name that does not resolve, a refused login) are reported at once. A statement is never sent twice here: whether one cut off by a lost
 * connection may be sent again is for the caller to decide (the sql step resends pure reads only).
 */
import type { Connection, ConnectionOptions } from 'mysql2/promise';
import type { SourceSpan } from '../runbook/types.js';
import type { ConnectionSettings, SqlResult, SqlSession } from '../steps/types.js';
import { CONNECTION_GONE } from '../core/connection-errors.js';
import { StepError } from '../core/errors.js';
import { toPlain } from '../core/plain.js';

/**
 * Codes of a failed connect that mean the server is not up (yet): nothing listens while it restarts, and one
 * starting up or shutting down may drop or refuse the handshake.
 */
const NOT_UP = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'PROTOCOL_CONNECTION_LOST',
  'ER_SERVER_SHUTDOWN',
  'ER_CONNECTION_KILLED',
]);

export interface ConnectionPoolOptions {
  /** Renders a named connection's templates (at first use, so captures made earlier are available). */
  settings(name: string): Promise<ConnectionSettings>;
  /** Where the connection is declared, for connect errors. */
  spanOf(name: string): SourceSpan | undefined;
  connectTimeoutMs?: number;
  /**
   * How long a session that was connected before keeps trying to connect again while the server refuses
   * (default 60 s): long enough for a crashed server's recovery, short enough to report one that is gone.
   */
  reconnectWaitMs?: number;
  /**
   * How long the first connection of a session keeps trying while the server refuses (default 30 s): a
   * restarting server takes seconds to listen again; a wrong address costs this long to report.
   */
  firstConnectWaitMs?: number;
  /**
   * First pause between reconnect attempts, doubled after each one up to `reconnectMaxIntervalMs`; each pause
   * is drawn between half and all of that (equal jitter).
   */
  reconnectIntervalMs?: number;
  reconnectMaxIntervalMs?: number;
}

const RECONNECT_WAIT_MS = 60_000;
const FIRST_CONNECT_WAIT_MS = 30_000;
const RECONNECT_INTERVAL_MS = 100;
const RECONNECT_MAX_INTERVAL_MS = 2_000;

export class ConnectionPool {
  private sessions = new Map<string, MysqlSession>();

  constructor(private readonly options: ConnectionPoolOptions) {}

  session(name: string): SqlSession {
    let session = this.sessions.get(name);
    if (!session) {
      session = new MysqlSession(name, this.options);
      this.sessions.set(name, session);
    }
    return session;
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.sessions.values()].map((s) => s.close()));
    this.sessions.clear();
  }
}

class MysqlSession implements SqlSession {
  private connection: Connection | undefined;
  private alive = false;
  /** Once connected, a refused connect means the server is restarting rather than a wrong address. */
  private connectedBefore = false;
  /** A KILL QUERY under way for a statement that was aborted; closing waits for it. */
  private killing: Promise<void> | undefined;

  constructor(
    private readonly name: string,
    private readonly options: ConnectionPoolOptions,
  ) {}

  async run(query: string, params: unknown[], signal: AbortSignal): Promise<SqlResult> {
    if (signal.aborted) throw signal.reason;
    let connection = await this.ensure(signal);
    // A server restart is only noticed when the connection is used; a ping finds out without risking that a
    // statement runs twice.
    if (!(await this.ping(connection))) {
      await this.close();
      connection = await this.ensure(signal);
    }
    // On a timeout or interrupt the connection is dropped, and the statement is killed on the server: a
    // CPU-bound query (a CHECKSUM of a big table) would otherwise run on after its client is gone.
    const onAbort = (): void => {
      const threadId = connection.threadId;
      connection.destroy();
      if (typeof threadId === 'number') this.killing = this.killQuery(threadId);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      const [rows] = await connection.query({ sql: query, values: params });
      return shapeResult(rows);
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      throw sqlError(error, `${this.name}: `);
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

  /** `KILL QUERY` on a side connection, best effort: the step has failed already, whatever happens here. */
  private async killQuery(threadId: number): Promise<void> {
    this.alive = false;
    try {
      const settings = await this.options.settings(this.name);
      const { default: mysql } = await import('mysql2/promise');
      const side = await mysql.createConnection({
        host: settings.host,
        port: settings.port,
        user: settings.user,
        password: settings.password,
        connectTimeout: 5_000,
      });
      try {
        await side.query(`KILL QUERY ${Math.trunc(threadId)}`);
      } finally {
        side.destroy();
      }
    } catch {
      // Gone already, or the server cannot be reached: nothing more to do.
    }
  }

  async close(): Promise<void> {
    await this.killing;
    const connection = this.connection;
    this.connection = undefined;
    this.alive = false;
    if (!connection) return;
    try {
      await connection.end();
    } catch {
      connection.destroy();
    }
  }

  private async ping(connection: Connection): Promise<boolean> {
    if (!this.alive) return false;
    try {
      await connection.ping();
      return true;
    } catch (error) {
      const code = (error as { code?: string }).code;
      if ((error as { fatal?: boolean }).fatal || (code !== undefined && CONNECTION_GONE.has(code)))
        return false;
      throw sqlError(error, `${this.name}: `);
    }
  }

  private async ensure(signal: AbortSignal): Promise<Connection> {
    if (this.connection && this.alive) return this.connection;
    if (this.connection) await this.close();
    const settings = await this.options.settings(this.name);
    const { default: mysql } = await import('mysql2/promise');
    const config: ConnectionOptions = {
      host: settings.host,
      port: settings.port,
      user: settings.user,
      password: settings.password,
      database: settings.database,
      supportBigNumbers: true,
      bigNumberStrings: false,
      decimalNumbers: false,
      timezone: 'Z',
      dateStrings: false,
      connectTimeout: this.options.connectTimeoutMs ?? 20_000,
    };
    const where = `${settings.user}@${settings.host}:${settings.port}`;
    const waitMs = this.connectedBefore
      ? (this.options.reconnectWaitMs ?? RECONNECT_WAIT_MS)
      : (this.options.firstConnectWaitMs ?? FIRST_CONNECT_WAIT_MS);
    const maxPause = this.options.reconnectMaxIntervalMs ?? RECONNECT_MAX_INTERVAL_MS;
    let pause = Math.min(this.options.reconnectIntervalMs ?? RECONNECT_INTERVAL_MS, maxPause);
    const started = Date.now();
    let attempts = 0;
    let connection: Connection;
    for (;;) {
      attempts += 1;
      try {
        connection = await abortable(mysql.createConnection(config), signal, (c) => c.destroy());
        break;
      } catch (error) {
        if (signal.aborted) throw signal.reason;
        const left = started + waitMs - Date.now();
        if (left > 0 && isNotUp(error)) {
          // Equal jitter: clients that lost one server together do not all knock again at the same moment.
          await delay(Math.min(pause / 2 + Math.random() * (pause / 2), left), signal);
          pause = Math.min(pause * 2, maxPause);
          continue;
        }
        const failure = sqlError(error, `cannot connect to ${this.name} (${where}): `);
        if (attempts > 1 && isNotUp(error)) {
          const tried = `tried for ${seconds(Date.now() - started)} (${attempts} attempts)`;
          if (this.connectedBefore) {
            failure.message += `; the server went away and did not take connections again: ${tried}`;
            failure.hint ??=
              'Check that the cluster and its instance are available; a server that is only slow to come ' +
              'back needs a longer wait.';
          } else {
            failure.message += `; nothing took connections there: ${tried}`;
          }
        }
        failure.span = this.options.spanOf(this.name);
        failure.hint ??= connectHint(failure.code);
        throw failure;
      }
    }
    // Without a listener an idle connection's 'error' (the server went away) would crash the process.
    connection.on('error', () => {
      this.alive = false;
    });
    connection.on('end', () => {
      this.alive = false;
    });
    this.connection = connection;
    this.alive = true;
    this.connectedBefore = true;
    return connection;
  }
}

function shapeResult(rows: unknown): SqlResult {
  if (Array.isArray(rows)) {
    // A multi-result (e.g. a CALL) arrives as an array of result sets; report the first one.
    const set = rows.length > 0 && Array.isArray(rows[0]) ? (rows[0] as unknown[]) : rows;
    const plain = set.map(
      (row) => toPlain({ ...(row as Record<string, unknown>) }) as Record<string, unknown>,
    );
    return { rows: plain, rowCount: plain.length, affectedRows: 0 };
  }
  const header = rows as { affectedRows?: number; insertId?: number };
  return {
    rows: [],
    rowCount: 0,
    affectedRows: header.affectedRows ?? 0,
    ...(header.insertId ? { insertId: header.insertId } : {}),
  };
}

function sqlError(error: unknown, prefix: string): StepError {
  if (error instanceof StepError) return error;
  const e = error as { code?: string; errno?: number; sqlMessage?: string; message?: string };
  const code = e.code ?? (e.errno ? `ER_${e.errno}` : 'SqlError');
  const message = e.sqlMessage ?? e.message ?? String(error);
  return new StepError(`${prefix}${message}${e.code ? ` (${e.code})` : ''}`, {
    code,
    kind: 'sql',
    cause: error,
    hint: code === 'ER_NO_SUCH_TABLE' ? "Check the table name and the connection's database." : undefined,
  });
}

function connectHint(code: string): string | undefined {
  switch (code) {
    case 'ECONNREFUSED':
      return 'Nothing listens there: check the host and port, and that the cluster has an available instance.';
    case 'ENOTFOUND':
      return 'The host name does not resolve: check the endpoint.';
    case 'ER_ACCESS_DENIED_ERROR':
      return 'Check the user and password of the connection (e.g. DBUSER/DBPASS).';
    case 'ER_BAD_DB_ERROR':
      return "The database does not exist on that server: check the connection's database.";
    case 'ETIMEDOUT':
      return 'The server did not answer in time: check network access (security groups) to the endpoint.';
    default:
      return undefined;
  }
}

function isNotUp(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && NOT_UP.has(code);
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** Waits `ms`, or rejects with the abort reason as soon as the signal fires. */
function delay(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<void>((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** Rejects with the abort reason when the signal fires first; cleans up the late result. */
function abortable<T>(promise: Promise<T>, signal: AbortSignal, discard: (value: T) => void): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const onAbort = (): void => {
      settled = true;
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        if (settled) discard(value);
        else resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        if (!settled) reject(error);
      },
    );
  });
}
