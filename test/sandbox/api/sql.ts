/**
 * SQL against a sandbox cluster's endpoint, the way the lab reaches it: `<Endpoint>:3306` as the master user.
 */
import mysql from 'mysql2/promise';

export interface Endpoint {
  host: string;
  port?: number;
  user?: string;
  password?: string;
  database?: string;
}

export async function withConnection<T>(
  endpoint: Endpoint,
  work: (conn: mysql.Connection) => Promise<T>,
): Promise<T> {
  const conn = await mysql.createConnection({
    host: endpoint.host,
    port: endpoint.port ?? 3306,
    user: endpoint.user ?? 'masteruser',
    password: endpoint.password ?? 'Password1',
    database: endpoint.database ?? 'mylab',
    connectTimeout: 5000,
  });
  try {
    return await work(conn);
  } finally {
    await conn.end();
  }
}

/** CHECKSUM TABLE's value, or null when the table does not exist. */
export async function checksum(endpoint: Endpoint, table = 'sbtest1'): Promise<number | null> {
  return withConnection(endpoint, async (conn) => {
    const [rows] = await conn.query(`CHECKSUM TABLE ${table}`);
    const row = (rows as Array<{ Checksum: number | string | null }>)[0];
    return row?.Checksum === null || row?.Checksum === undefined ? null : Number(row.Checksum);
  });
}

export async function tableExists(endpoint: Endpoint, table = 'sbtest1'): Promise<boolean> {
  return withConnection(endpoint, async (conn) => {
    const [rows] = await conn.query(
      'SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = ?',
      [table],
    );
    return Number((rows as Array<{ n: number }>)[0]?.n) === 1;
  });
}

/** The server's clock as a whole second, like the lab's `SELECT current_timestamp()`. */
export async function serverSecond(endpoint: Endpoint): Promise<Date> {
  return withConnection(endpoint, async (conn) => {
    const [rows] = await conn.query('SELECT UNIX_TIMESTAMP(NOW()) AS t');
    return new Date(Number((rows as Array<{ t: number | string }>)[0]?.t) * 1000);
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
