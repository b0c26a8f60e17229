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
import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { UsageError } from '../core/errors.js';
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
  ensureDirectory(dir, `run directory ${dir}`);
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
  ensureDirectory(runsDir, `runs directory ${runsDir}`);
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
  takeRunLock(dir);
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
      if (journal !== undefined) {
        closeSync(journal);
        rmSync(join(dir, LOCK_FILE), { force: true });
      }
      journal = undefined;
    },
  };
}

/**
 * `run.lock` in a run directory names the process writing its journal while the run goes on: a second process
 * (a `labrun resume` of a run that is still running) must not append to it. A process that died (kill -9)
 * leaves its lock behind; it counts only while that very process lives (same pid and start time, so a
 * reused pid does not keep a dead run locked).
 */
const LOCK_FILE = 'run.lock';

interface RunLock {
  pid: number;
  /** The process's start time in clock ticks since boot (/proc/<pid>/stat field 22), where known. */
  started?: string;
}

/** The live process that holds the run in `dir`, or undefined. */
export function runHolder(dir: string): number | undefined {
  let lock: RunLock;
  try {
    lock = JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')) as RunLock;
  } catch {
    return undefined;
  }
  if (typeof lock.pid !== 'number' || lock.pid === process.pid) return undefined;
  const started = processStart(lock.pid);
  if (started !== undefined) return started === lock.started ? lock.pid : undefined;
  try {
    process.kill(lock.pid, 0);
    return lock.pid;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM' ? lock.pid : undefined;
  }
}

function takeRunLock(dir: string): void {
  const holder = runHolder(dir);
  if (holder !== undefined) {
    throw new UsageError(
      `run ${basename(dir)} is still running (process ${holder}); two processes must not write one journal`,
      `Wait for it to end, or stop it (kill ${holder}), then resume.`,
    );
  }
  const lock: RunLock = { pid: process.pid, started: processStart(process.pid) };
  writeFileAtomic(join(dir, LOCK_FILE), `${JSON.stringify(lock)}\n`);
}

/** Field 22 of /proc/<pid>/stat (after the parenthesised command name); `zombie`; undefined off Linux. */
function processStart(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // A zombie (killed, not yet reaped by its parent) holds nothing.
    return fields[0] === 'Z' ? 'zombie' : fields[19];
  } catch {
    return undefined;
  }
}

/** Writes JSON so that readers see either the old file or the whole new one. */
export function writeJsonAtomic(path: string, value: unknown): void {
  writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`);
}

export function writeFileAtomic(path: string, text: string): void {
  ensureDirectory(dirname(path), `cannot write ${path}`);
  const temp = `${path}.${process.pid}.tmp`;
  const fd = openSync(temp, 'w');
  try {
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, path);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
}

/**
 * Makes `path` a directory if it is not one yet, creating missing parents one at a time. Anything that stops
 * it (a file in the way, a place where nothing can be made, such as /proc) is a UsageError that starts with
 * `label` (e.g. `--runs-dir /proc/foo`). Not `mkdirSync(path, { recursive: true })`: in /proc that loops
 * forever in native code, deaf to signals.
 */
export function ensureDirectory(path: string, label = path): void {
  const missing: string[] = [];
  for (let current = resolve(path); ;) {
    let isDirectory: boolean;
    try {
      isDirectory = statSync(current).isDirectory();
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const parent = dirname(current);
      if ((code !== 'ENOENT' && code !== 'ENOTDIR') || parent === current) {
        throw pathError(label, current, error);
      }
      missing.push(current);
      current = parent;
      continue;
    }
    if (!isDirectory) {
      throw new UsageError(
        `${label}: ${current} is not a directory`,
        'Name a directory, or a path where one can be created.',
      );
    }
    break;
  }
  for (const dir of missing.reverse()) {
    try {
      mkdirSync(dir);
    } catch (error) {
      // Made meanwhile by someone else (a concurrent run) is as good.
      if ((error as NodeJS.ErrnoException).code === 'EEXIST' && statSync(dir).isDirectory()) continue;
      throw pathError(label, dir, error);
    }
  }
}

function pathError(label: string, at: string, error: unknown): UsageError {
  const e = error as NodeJS.ErrnoException;
  const reason = e.code ? `${e.code}${e.syscall ? ` (${e.syscall})` : ''}` : String(error);
  return new UsageError(`${label}: cannot create ${at}: ${reason}`, 'Name a directory you can write to.');
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
