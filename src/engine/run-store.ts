/**
 * Where a run lands on disk: `journal.jsonl`, one event per line, appended and fsynced line by line so every
 * step's start, result and captures survive the process dying mid-step, and `<runsDir>/<runId>/record.json`,
 * the run as one document, rewritten atomically (temp file, fsync, rename) so a crash never leaves half a
 * record.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { RunEvent } from './events.js';
import type { RunRecord } from './record.js';

export interface RunStore {
  dir: string;
  recordPath: string;
  journalPath: string;
  appendEvent(event: RunEvent): void;
  writeRecord(record: RunRecord): void;
  close(): void;
}

export function openRunStore(runsDir: string, runId: string): RunStore {
  const dir = join(runsDir, runId);
  mkdirSync(dir, { recursive: true });
  const recordPath = join(dir, 'record.json');
  const journalPath = join(dir, 'journal.jsonl');
  let journal: number | undefined = openSync(journalPath, 'a');
  return {
    dir,
    recordPath,
    journalPath,
    appendEvent(event) {
      if (journal === undefined) return;
      writeSync(journal, `${JSON.stringify(event)}\n`);
      fsyncSync(journal);
    },
    writeRecord(record) {
      writeJsonAtomic(recordPath, record);
    },
    close() {
      if (journal !== undefined) closeSync(journal);
      journal = undefined;
    },
  };
}

/** Writes JSON so that readers see either the old file or the whole new one. */
export function writeJsonAtomic(path: string, value: unknown): void {
  writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`);
}

export function writeFileAtomic(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const temp = `${path}.${process.pid}.tmp`;
  const fd = openSync(temp, 'w');
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temp, path);
}

/** `20261123T093501Z-aurora-backtrack-3f9a`: sortable by time, readable, unique enough for one machine. */
export function newRunId(name: string, now: Date): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  const suffix = Math.floor(Math.random() * 0x10000)
    .toString(16)
    .padStart(4, '0');
  return `${stamp}-${name}-${suffix}`;
}
