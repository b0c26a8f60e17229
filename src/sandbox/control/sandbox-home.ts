/**
 * Proving a directory is a sandbox home before anything writes into it or deletes it. `up` writes the marker
 * file `labrun-sandbox.json` when it creates the home (or finds it empty); `down` and `down --purge` act only
 * on a directory that carries it. A home made before marker files existed is recognised by its layout (a
 * readable registry.json and nothing but the sandbox's own files) and marked on the next `up`; until then it is
 * refused like any other directory.
 */
import { link, lstat, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** A failure the CLI reports as a plain message (no stack trace); `refused` ones are the user's input (exit 2). */
export class SandboxError extends Error {
  constructor(
    message: string,
    readonly refused = false,
  ) {
    super(message);
    this.name = 'SandboxError';
  }
}

export const MARKER_FILE = 'labrun-sandbox.json';
const MARKER_KIND = 'labrun-sandbox';

/** Every top-level name a sandbox home made before marker files could hold. */
const LEGACY_ENTRIES = new Set([
  'registry.json',
  'daemon.json',
  'daemon.log',
  'daemon.lock',
  'db-password',
  'clusters',
]);
const LEGACY_TEMP = /^(registry\.json|daemon\.json|db-password)\.\d+\.tmp$/;
/** The marker and its temporary file, which a second `up` racing this one may be writing right now. */
const MARKER_NAMES = /^labrun-sandbox\.json(\.\d+\.tmp)?$/;

export type HomeState = 'absent' | 'empty' | 'marked' | 'legacy' | 'foreign';

/** What `home` is: missing, an empty directory, a marked sandbox home, an unmarked old one, or anything else. */
export async function inspectSandboxHome(home: string): Promise<HomeState> {
  let info;
  try {
    // A home may be a symbolic link to the directory (the marker must be a file of its own).
    info = await stat(home);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'absent';
    throw error;
  }
  if (!info.isDirectory()) return 'foreign';
  if (await hasMarker(home)) return 'marked';
  const entries = (await readdir(home)).filter((name) => !MARKER_NAMES.test(name));
  if (entries.length === 0) return 'empty';
  const ours = entries.every((name) => LEGACY_ENTRIES.has(name) || LEGACY_TEMP.test(name));
  return ours && (await hasReadableRegistry(home)) ? 'legacy' : 'foreign';
}

/**
 * For `up`: makes sure `home` is a sandbox home, creating and marking it if it does not exist or is empty,
 * marking an old unmarked one. Anything else is refused.
 */
export async function claimSandboxHome(home: string, progress: (line: string) => void): Promise<void> {
  const state = await inspectSandboxHome(home);
  if (state === 'marked') return;
  if (state === 'foreign') throw notASandbox(home, 'use it');
  if (state === 'absent') await mkdir(home, { recursive: true });
  await writeMarker(home);
  if (state === 'legacy') progress(`Marked ${home} as a sandbox home (it was made before marker files)`);
}

/**
 * For `down` and `down --purge`: true when `home` is a marked sandbox home, false when there is nothing
 * there (missing, or an empty directory). Anything else is refused, naming the path.
 */
export async function requireSandboxHome(home: string, action: string): Promise<boolean> {
  const state = await inspectSandboxHome(home);
  if (state === 'marked') return true;
  if (state === 'absent' || state === 'empty') return false;
  const hint =
    state === 'legacy'
      ? ` It looks like a sandbox home made before marker files: run \`labrun sandbox up\` once to mark it.`
      : '';
  throw notASandbox(home, action, hint);
}

function notASandbox(home: string, action: string, hint = ''): SandboxError {
  return new SandboxError(
    `${home} is not a labrun sandbox home (it has no ${MARKER_FILE}); refusing to ${action}.${hint} ` +
      `Point LABRUN_SANDBOX_HOME at a sandbox home, a new path or an empty directory.`,
    true,
  );
}

async function hasMarker(home: string): Promise<boolean> {
  const file = path.join(home, MARKER_FILE);
  try {
    if (!(await lstat(file)).isFile()) return false;
    const parsed = JSON.parse(await readFile(file, 'utf8')) as { kind?: unknown };
    return parsed.kind === MARKER_KIND;
  } catch {
    return false;
  }
}

async function hasReadableRegistry(home: string): Promise<boolean> {
  try {
    const parsed = JSON.parse(await readFile(path.join(home, 'registry.json'), 'utf8')) as {
      version?: unknown;
    };
    return parsed.version === 1;
  } catch {
    return false;
  }
}

/**
 * Writes the marker whole or not at all (a temporary file linked into place); a second `up` racing this one
 * may have written it first, which is as good.
 */
async function writeMarker(home: string): Promise<void> {
  const target = path.join(home, MARKER_FILE);
  const tmp = `${target}.${process.pid}.tmp`;
  const body = JSON.stringify({ kind: MARKER_KIND, version: 1, createdAt: new Date().toISOString() }) + '\n';
  await writeFile(tmp, body, { mode: 0o644, flush: true });
  try {
    await link(tmp, target);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    await rm(tmp, { force: true });
  }
}
