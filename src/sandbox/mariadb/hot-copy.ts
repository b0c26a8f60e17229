/**
 * A consistent copy of a running server's data: `mariadb-backup --backup` over the server's socket, then
 * `--prepare`, which leaves a data directory a server can start on. The copy reflects the moment the backup
 * held BACKUP STAGE BLOCK_COMMIT, just before it finished.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BinlogCoordinates } from './cluster-record.js';
import { defaultTools, runTool, type MariaDbTools } from './tools.js';

export interface HotCopyOptions {
  /** Option file of the source server (gives mariadb-backup its data directory and InnoDB settings). */
  sourceConfigFile: string;
  sourceSocket: string;
  targetDir: string;
  tools?: MariaDbTools;
}

export interface HotCopy {
  /** The instant the copy reflects. */
  copiedAt: Date;
  /** The source's binlog position at that instant, when the source writes a binlog. */
  binlog?: BinlogCoordinates;
  /** Milliseconds spent in `--backup` and in `--prepare`. */
  timings: { backupMs: number; prepareMs: number };
}

export async function hotCopy(options: HotCopyOptions): Promise<HotCopy> {
  const tools = options.tools ?? defaultTools();
  const started = Date.now();
  await runTool('Copying the source cluster (mariadb-backup --backup)', tools.backup, [
    `--defaults-file=${options.sourceConfigFile}`,
    '--backup',
    `--target-dir=${options.targetDir}`,
    `--socket=${options.sourceSocket}`,
    '--user=root',
    '--parallel=2',
  ]);
  const copiedAt = new Date();
  const backupMs = Date.now() - started;
  await runTool('Preparing the copy (mariadb-backup --prepare)', tools.backup, [
    '--no-defaults',
    '--prepare',
    `--target-dir=${options.targetDir}`,
    '--use-memory=256M',
  ]);
  const prepareMs = Date.now() - copiedAt.getTime();
  return { copiedAt, binlog: await readBinlogInfo(options.targetDir), timings: { backupMs, prepareMs } };
}

/** mariadb-backup 10.x writes xtrabackup_binlog_info; 11.x renamed it mariadb_backup_binlog_info. */
async function readBinlogInfo(dir: string): Promise<BinlogCoordinates | undefined> {
  for (const name of ['xtrabackup_binlog_info', 'mariadb_backup_binlog_info']) {
    let text: string;
    try {
      text = await readFile(join(dir, name), 'utf8');
    } catch {
      continue;
    }
    const [file, position, gtid] = text.trim().split(/\s+/);
    if (file && position && /^\d+$/.test(position)) {
      return { file, position: Number(position), ...(gtid ? { gtid } : {}) };
    }
  }
  return undefined;
}
