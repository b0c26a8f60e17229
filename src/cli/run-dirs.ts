/**
 * Naming a run on the command line (`labrun resume RUN`, `labrun show RUN`, `labrun run --source RUN`): a
 * run id in the runs dir, or a run directory, which must lie inside the runs dir (symbolic links and `..`
 * resolved), so that labrun reads and writes only runs kept there.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { UsageError } from '../core/errors.js';
import { isInside } from './paths.js';

/**
 * The directory of `run` (an id or a directory) in `runsDir`. `command` is how the refusal tells to name the
 * runs dir, e.g. `labrun resume RUN`.
 */
export function findRunDir(run: string, runsDir: string, command: (run: string) => string): string {
  const found = [join(runsDir, run), run].filter((dir) => existsSync(join(dir, 'journal.jsonl')));
  const inside = found.find((dir) => existsSync(runsDir) && isInside(dir, runsDir));
  if (inside) return inside;
  if (found.length > 0) {
    throw new UsageError(
      `run directory ${run} is not inside the runs dir ${runsDir}; labrun uses only runs kept there`,
      `To use it anyway, name its runs dir: ${command(run)} --runs-dir ${dirname(found[0]!)}`,
    );
  }
  throw new UsageError(
    `no run ${run} (looked for ${run}/journal.jsonl and ${join(runsDir, run)}/journal.jsonl)`,
  );
}
