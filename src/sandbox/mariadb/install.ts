/**
 * A new cluster's first data directory: mariadb-install-db plus, in the same bootstrap run, the master user
 * and the database, so neither lands in any binlog and no extra server start is needed.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { ClusterStorageSpec } from './types.js';
import { defaultTools, runTool, userOption, type MariaDbTools } from './tools.js';

export async function installDataDirectory(
  datadir: string,
  spec: ClusterStorageSpec,
  sqlFile: string,
  tools: MariaDbTools = defaultTools(),
): Promise<void> {
  // The file holds the master password; it lives only for the bootstrap run and only root may read it.
  await writeFile(sqlFile, bootstrapSql(spec), { mode: 0o600 });
  // The bootstrap server's own tmpdir: one starting in a shared /tmp removes the temporary tables of another
  // bootstrap running there at the same moment (seen as "Unknown table 'mysql.tmp_user_sys'").
  const tmpdir = await mkdtemp(join(dirname(sqlFile), 'install-tmp-'));
  try {
    await runTool('Initialising the data directory', tools.installDb, [
      '--no-defaults',
      `--datadir=${datadir}`,
      `--tmpdir=${tmpdir}`,
      '--auth-root-authentication-method=socket',
      '--skip-test-db',
      `--extra-file=${sqlFile}`,
      // Small on purpose: snapshots copy this file; the server grows it to its configured size on start.
      '--innodb-log-file-size=8M',
      ...userOption(),
    ]);
  } finally {
    await rm(sqlFile, { force: true });
    await rm(tmpdir, { recursive: true, force: true });
  }
}

/** Statements run by the bootstrap server after the system tables exist. */
export function bootstrapSql(spec: ClusterStorageSpec): string {
  const user = sqlString(spec.masterUsername);
  const lines = [
    // The bootstrap server runs without grant tables; loading them makes CREATE USER possible.
    'FLUSH PRIVILEGES;',
    `CREATE USER ${user}@'%' IDENTIFIED VIA mysql_native_password USING PASSWORD(${sqlString(spec.masterPassword)});`,
    `GRANT ALL PRIVILEGES ON *.* TO ${user}@'%' WITH GRANT OPTION;`,
  ];
  if (spec.databaseName) lines.push(`CREATE DATABASE ${sqlIdentifier(spec.databaseName)};`);
  return lines.join('\n') + '\n';
}

export function sqlString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\0/g, '\\0')}'`;
}

export function sqlIdentifier(value: string): string {
  return `\`${value.replace(/`/g, '``')}\``;
}
