/**
 * The paths a run writes to, checked before anything runs: `--runs-dir` must be (or become) a directory,
 * `--json` and `--junit` must name a file that can be written. A bad one is a usage error (exit 2) naming the
 * flag, found before a sandbox starts or a step touches anything.
 */
import { realpathSync, statSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { UsageError } from '../core/errors.js';
import { ensureDirectory } from '../engine/run-store.js';

export function checkRunPaths(flags: { runsDir: string; json?: string; junit?: string }): void {
  ensureDirectory(flags.runsDir, `--runs-dir ${flags.runsDir}`);
  if (flags.json !== undefined) checkReportFile('--json', flags.json);
  if (flags.junit !== undefined) checkReportFile('--junit', flags.junit);
}

/** A report is written atomically (a temp file beside it, then a rename), so it must be a plain file. */
function checkReportFile(flag: string, path: string): void {
  if (path === '') throw new UsageError(`${flag} needs a file name`);
  let stat: ReturnType<typeof statSync> | undefined;
  try {
    stat = statSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // Missing, or a file where a parent directory should be: ensureDirectory below says which.
    if (code !== 'ENOENT' && code !== 'ENOTDIR') {
      throw new UsageError(`${flag} ${path}: cannot be written (${code})`);
    }
  }
  if (stat && !stat.isFile()) {
    const what = stat.isDirectory() ? 'a directory' : 'not a regular file';
    throw new UsageError(`${flag} ${path}: is ${what}; name the file to write`, `e.g. ${flag} report-file`);
  }
  ensureDirectory(dirname(path), `${flag} ${path}`);
}

/**
 * Whether `dir` lies inside `root` once symbolic links and `..` are resolved (both must exist). Used so that
 * `labrun resume` writes only into run directories of the runs dir it was given.
 */
export function isInside(dir: string, root: string): boolean {
  const path = relative(realpathSync(resolve(root)), realpathSync(resolve(dir)));
  return path !== '' && !path.startsWith('..') && !isAbsolute(path);
}
