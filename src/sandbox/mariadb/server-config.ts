/**
 * The option file each mariadbd runs from. Everything is explicit (the server gets `--defaults-file`, so no
 * system my.cnf leaks in) and chosen to behave like an Aurora MySQL writer where the lab can see it: UTC,
 * utf8mb4, a 1 GiB packet limit, ROW binlogs with full images (what backtrack replays).
 */

export interface ServerConfigOptions {
  datadir: string;
  socket: string;
  pidFile: string;
  errorLog: string;
  /**
   * The server's own directory for temporary files. Never a shared /tmp: a starting mariadbd removes every
   * `#sql*` file it finds in its tmpdir, including the temporary tables of other servers running there.
   */
  tmpdir?: string;
  /** Where to listen; without it the server takes no TCP connections (used while replaying a binlog). */
  network?: { host: string; port: number };
  serverId?: number;
  /** Basename of the binlog files, e.g. /x/binlogs/e0/mysql-bin; without it binary logging is off. */
  binlogBasename?: string;
  innodbBufferPoolSize?: string;
  /** Further `name=value` lines for the [mariadbd] section. */
  extra?: string[];
}

export function renderServerConfig(options: ServerConfigOptions): string {
  const lines = [
    '[mariadbd]',
    `datadir=${options.datadir}`,
    `socket=${options.socket}`,
    `pid-file=${options.pidFile}`,
    `log-error=${options.errorLog}`,
  ];
  if (options.tmpdir) lines.push(`tmpdir=${options.tmpdir}`);
  if (options.network) {
    lines.push(`bind-address=${options.network.host}`, `port=${options.network.port}`);
  } else {
    lines.push('skip-networking');
  }
  if (options.serverId !== undefined) lines.push(`server-id=${options.serverId}`);
  if (options.binlogBasename) {
    lines.push(
      `log-bin=${options.binlogBasename}`,
      `log-bin-index=${options.binlogBasename}.index`,
      'binlog-format=ROW',
      'binlog-row-image=FULL',
      'sync-binlog=0',
    );
  } else {
    lines.push('skip-log-bin');
  }
  lines.push(
    "default-time-zone='+00:00'",
    'character-set-server=utf8mb4',
    'collation-server=utf8mb4_general_ci',
    'max-allowed-packet=1G',
    `innodb-buffer-pool-size=${options.innodbBufferPoolSize ?? '256M'}`,
    'innodb-log-file-size=96M',
    'innodb-flush-log-at-trx-commit=2',
    'skip-name-resolve',
    // Hundreds of file handles are plenty; asking for the default 32k only yields a start-up warning.
    'open-files-limit=4096',
    'table-open-cache=1000',
    'max-connections=200',
    ...(options.extra ?? []),
  );
  return lines.join('\n') + '\n';
}
