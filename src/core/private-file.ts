/**
 * Secrets handed to a child process through a file only this user can read, never through its argument
 * vector (which every local user sees in `ps` and /proc/<pid>/cmdline).
 *
 * The file lives in a fresh directory of mode 0700 under the system temporary directory, is created with
 * mode 0600 and is removed with its directory once the child is done. A process killed outright cannot remove
 * it; the directory's name carries the owner's pid, so the next call removes directories whose owner is gone.
 */
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const PREFIX = 'labrun-secret-';

/** Writes `content` to `<private dir>/<name>` (0600), runs `use` with its path, then removes the directory. */
export async function withPrivateFile<T>(
  name: string,
  content: string,
  use: (path: string) => Promise<T>,
): Promise<T> {
  await removeOrphans();
  const dir = await mkdtemp(join(tmpdir(), `${PREFIX}${process.pid}-`));
  try {
    const path = join(dir, name);
    await writeFile(path, content, { mode: 0o600, flag: 'wx' });
    return await use(path);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Removes private directories left by labrun processes that no longer exist (killed before they could). */
async function removeOrphans(): Promise<void> {
  let entries: string[];
  try {
    entries = await readdir(tmpdir());
  } catch {
    return;
  }
  for (const entry of entries) {
    const match = new RegExp(`^${PREFIX}(\\d+)-`).exec(entry);
    if (!match || alive(Number(match[1]))) continue;
    await rm(join(tmpdir(), entry), { recursive: true, force: true }).catch(() => undefined);
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else; its directory is not ours to remove either.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Why sysbench 1.0 cannot take `password` from its `--config-file`, or undefined when it can. Measured with
 * sysbench 1.0.20: a value with white space anywhere in it, or starting with `#`, is not read as written.
 */
export function sysbenchPasswordProblem(password: string): string | undefined {
  if (/\s/.test(password)) return 'it contains white space';
  if (password.startsWith('#')) return 'it starts with #';
  return undefined;
}

/**
 * Runs `use` with sysbench arguments that carry the password through a private `--config-file` (none when the
 * password is empty). Throws when sysbench could not read the password from the file (see above).
 */
export async function withSysbenchPassword<T>(
  password: string,
  use: (args: string[]) => Promise<T>,
): Promise<T> {
  if (password === '') return use([]);
  const problem = sysbenchPasswordProblem(password);
  if (problem !== undefined) {
    throw new Error(
      `sysbench cannot be given this password: ${problem}, and sysbench 1.0 reads it from its --config-file, ` +
        'where such a value is not read as written (labrun never puts a password on a command line)',
    );
  }
  return withPrivateFile('sysbench.cfg', `mysql-password=${password}\n`, (path) =>
    use([`--config-file=${path}`]),
  );
}
