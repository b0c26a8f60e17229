/**
 * Runs the built CLI (`dist/cli/main.js`) as a child process, the way a user or CI runs it. Every test that
 * runs `labrun` goes through here, so that what the CLI prints can be audited for secrets (secret-audit.ts).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { auditText } from './secret-audit.js';

export const MAIN = join(process.cwd(), 'dist/cli/main.js');

export interface LabrunOptions {
  cwd?: string;
  /** Added to CI=1 and NO_COLOR=1 (and the inherited environment). */
  env?: Record<string, string>;
  timeout?: number;
  /** Standard input; default none. */
  input?: string;
}

/** Starts `labrun ...args`; never rejects on a non-zero exit. Its stdout and stderr are audited once it ends. */
export function labrun(args: string[], options: LabrunOptions = {}): ResultPromise {
  if (!existsSync(MAIN)) throw new Error('dist/cli/main.js is missing: run `npm run build` first');
  const child = execa(process.execPath, [MAIN, ...args], {
    reject: false,
    cwd: options.cwd,
    env: { CI: '1', NO_COLOR: '1', ...options.env },
    timeout: options.timeout ?? 120_000,
    ...(options.input === undefined ? {} : { input: options.input }),
  });
  const label = `labrun ${args.join(' ')}`;
  void child.then(
    (result) => {
      auditText(`${label} (stdout)`, String(result.stdout ?? ''));
      auditText(`${label} (stderr)`, String(result.stderr ?? ''));
    },
    () => undefined,
  );
  return child;
}
