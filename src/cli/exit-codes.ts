/** The process exit codes, the CLI's contract with scripts and CI. */
export const EXIT = {
  passed: 0,
  assertionFailed: 1,
  usage: 2,
  stepFailed: 3,
  internal: 70,
  interrupted: 130,
} as const;

/** Ends a command with an exit code after its output is written; thrown, caught only in main. */
export class CliExit extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
    this.name = 'CliExit';
  }
}
