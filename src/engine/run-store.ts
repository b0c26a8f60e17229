/**
 * Where a run lands on disk: `journal.jsonl`, one event per line, appended and fsynced line by line so every
 * step's start, result and captures survive the process dying mid-step, and `<runsDir>/<runId>/record.json`,
 * the run as one document, rewritten atomically (temp file, fsync, rename) so a crash never leaves half a
 * record.
 *
 * A new run claims its directory with an exclusive mkdir (createRunStore), so two runs started in the same
 * second, in one process or in two, never share a journal even if their random suffixes collide.
 */
import { randomInt } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { RunEvent } from './events.js';
import type { RunRecord } from './record.js';

export interface RunStore {
  runId: string;
  dir: string;
  recordPath: string;
  journalPath: string;
  appendEvent(event: RunEvent): void;
  writeRecord(record: RunRecord): void;
  close(): void;
}

/** How many run ids a new run tries before giving up: 65,536 suffixes make a second collision unlikely. */
const CLAIM_ATTEMPTS = 20;

/**
 * Opens the store of an existing run (resume) or of a run whose id the caller chose; the directory is made
 * if missing. A new run with a generated id should use createRunStore, which never reuses a directory.
 */
export function openRunStore(runsDir: string, runId: string): RunStore {
  const dir = join(runsDir, runId);
  mkdirSync(dir, { recursive: true });
  return storeIn(runId, dir);
}

/**
 * Opens the store of a new run: picks a run id (`nextId`, by default newRunId for `name` at `now`) whose
 * directory does not exist yet and creates that directory exclusively, so a concurrent run that drew the same
 * id gets EEXIST and draws again instead of appending to this run's journal.
 */
export function createRunStore(
  runsDir: string,
  name: string,
  now: Date,
  nextId: () => string = () => newRunId(name, now),
): RunStore {
  mkdirSync(runsDir, { recursive: true });
  for (let attempt = 1; ; attempt++) {
    const runId = nextId();
    const dir = join(runsDir, runId);
    try {
      mkdirSync(dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= CLAIM_ATTEMPTS) throw error;
      continue;
    }
    return storeIn(runId, dir);
  }
}

function storeIn(runId: string, dir: string): RunStore {
  const recordPath = join(dir, 'record.json');
  const journalPath = join(dir, 'journal.jsonl');
  let journal: number | undefined = openSync(journalPath, 'a');
  return {
    runId,
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

/** Run ids this process has handed out, so two runs of one process never get the same id. */
const issuedRunIds = new Set<string>();

/**
 * `20261123T093501Z-aurora-backtrack-3f9a`: sortable by time and readable. Never repeats within a process;
 * across processes only the exclusive directory claim of createRunStore makes it unique.
 */
export function newRunId(name: string, now: Date): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  for (;;) {
    const suffix = randomInt(0x10000).toString(16).padStart(4, '0');
    const runId = `${stamp}-${name}-${suffix}`;
    // After 65,536 ids in one second of one name the loop would spin: it is not a reachable case.
    if (issuedRunIds.has(runId)) continue;
    issuedRunIds.add(runId);
    return runId;
  }
}
