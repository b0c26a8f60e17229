/**
 * Runs the built CLI (`dist/cli/main.js`) as a child process, the way a user or CI runs it. Every test that
 * runs `labrun` goes through here, so that what the CLI prints and writes can be audited for secrets
 * (secret-audit.ts): its stdout and stderr, the run directories and --json/--junit files it names, and the
 * sandbox home's log and state files.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { auditDir, auditFile, auditSandboxHome, auditText, noteCliRun } from './secret-audit.js';

export const MAIN = join(process.cwd(), 'dist/cli/main.js');

export interface LabrunOptions {
  cwd?: string;
  /** Added to CI=1 and NO_COLOR=1 (and the inherited environment); a later key wins. */
  env?: Record<string, string>;
  timeout?: number;
  /** Standard input; default none. */
  input?: string;
}

/** A running `labrun`: a promise of its result (stdout and stderr as strings) that never rejects. */
export type LabrunProcess = ResultPromise<{ reject: false }>;

/** Starts `labrun ...args`; never rejects on a non-zero exit. Its outputs are audited once it ends. */
export function labrun(args: string[], options: LabrunOptions = {}): LabrunProcess {
  if (!existsSync(MAIN)) throw new Error('dist/cli/main.js is missing: run `npm run build` first');
  const cwd = options.cwd ?? process.cwd();
  const home = options.env?.LABRUN_SANDBOX_HOME ?? process.env.LABRUN_SANDBOX_HOME;
  // `--purge` deletes the home: audit what the daemon wrote until now, before it is gone.
  if (home && args[0] === 'sandbox' && args[1] === 'down' && args.includes('--purge')) auditSandboxHome(home);
  const child: LabrunProcess = execa(process.execPath, [MAIN, ...args], {
    reject: false,
    cwd: options.cwd,
    env: { CI: '1', NO_COLOR: '1', ...options.env },
    timeout: options.timeout ?? 120_000,
    ...(options.input === undefined ? {} : { input: options.input }),
  });
  const label = `labrun ${args.join(' ')}`;
  void child.then(
    (result) => {
      noteCliRun();
      const stdout = String(result.stdout ?? '');
      auditText(`${label} (stdout)`, stdout);
      auditText(`${label} (stderr)`, String(result.stderr ?? ''));
      for (const path of writtenPaths(args, stdout, cwd)) auditDir(path);
      for (const path of writtenFiles(args, cwd)) auditFile(path);
      if (home) auditSandboxHome(home);
    },
    () => undefined,
  );
  return child;
}

/** The run directories a `run` or `resume` wrote to: --runs-dir, `resume RUN`, and the printed record's. */
function writtenPaths(args: string[], stdout: string, cwd: string): string[] {
  const paths = [...optionValues(args, '--runs-dir')];
  if (args[0] === 'resume') {
    const run = args.slice(1).find((arg, i, rest) => !arg.startsWith('-') && !isOptionValue(rest, i));
    if (run) paths.push(run);
  }
  for (const match of stdout.matchAll(/^Record: (.+)$/gm)) paths.push(dirname(match[1]!));
  return paths.map((path) => resolve(cwd, path));
}

/** The --json and --junit files. */
function writtenFiles(args: string[], cwd: string): string[] {
  return [...optionValues(args, '--json'), ...optionValues(args, '--junit')].map((path) =>
    resolve(cwd, path),
  );
}

function optionValues(args: string[], name: string): string[] {
  const values: string[] = [];
  args.forEach((arg, i) => {
    if (arg === name && args[i + 1] !== undefined) values.push(args[i + 1]!);
    else if (arg.startsWith(`${name}=`)) values.push(arg.slice(name.length + 1));
  });
  return values;
}

/** True when `args[i]` is the value of the option before it (`--runs-dir DIR`, `--set k=v`, ...). */
function isOptionValue(args: string[], i: number): boolean {
  const previous = args[i - 1];
  return (
    previous !== undefined && /^--(runs-dir|set|json|junit|outputs|stack|region|endpoint-url)$/.test(previous)
  );
}
