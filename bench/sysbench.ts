/** The lab's sysbench load (oltp_write_only, one table, one thread), as the benchmarks run it. */
import { execa } from 'execa';
import { withSysbenchPassword } from '../src/core/private-file.js';

export interface SysbenchTarget {
  host: string;
  user: string;
  password: string;
  database?: string;
  rows: number;
}

/** Runs `sysbench oltp_write_only ... COMMAND` with the password in a private config file, as labrun does. */
export function sysbench(target: SysbenchTarget, command: string): Promise<unknown> {
  return withSysbenchPassword(target.password, (passwordArgs) =>
    execa('sysbench', [
      ...passwordArgs,
      'oltp_write_only',
      '--db-driver=mysql',
      `--mysql-host=${target.host}`,
      '--mysql-port=3306',
      `--mysql-user=${target.user}`,
      ...(target.database === undefined ? [] : [`--mysql-db=${target.database}`]),
      '--tables=1',
      `--table-size=${target.rows}`,
      '--threads=1',
      command,
    ]),
  );
}
