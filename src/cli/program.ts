/**
 * Argument parsing with commander. Command modules are imported only when their command runs, so
 * `labrun validate` never loads the AWS SDK or mysql2. Commander's own errors are turned into one line
 * plus "see labrun --help", exit code 2.
 */
import { join } from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { UsageError } from '../core/errors.js';
import { CliExit, EXIT } from './exit-codes.js';
import type { Output } from './output.js';
import type { ValidateFlags } from './commands/validate.js';

export interface TargetFlags {
  outputs?: string;
  stack?: string;
  sandbox?: boolean;
  set: string[];
  region?: string;
  endpointUrl?: string;
  allowDestructive?: boolean;
  /** plan only: warnings are errors. */
  strict?: boolean;
}

export interface RunFlags extends TargetFlags {
  runsDir: string;
  json?: string;
  junit?: string;
  /** Continue an earlier run from this step. */
  from?: string;
  /** Continue an earlier run with this step alone. */
  only?: string;
  /** --finally: with --only, run finally too; --no-finally (false): skip finally. */
  finally?: boolean;
  /** The run to continue (default: the latest run of the runbook in the runs dir). */
  source?: string;
}

export interface ResumeFlags {
  runsDir: string;
  set: string[];
  json?: string;
  junit?: string;
  allowDestructive?: boolean;
}

const ALLOW_DESTRUCTIVE_HELP =
  'turn off the destructive-step guard: allow steps that drop data or delete, backtrack or modify clusters and instances the runbook did not create or declare disposable';

const STRICT_HELP = 'treat warnings (e.g. a retired engine name) as errors';

const collect = (value: string, previous: string[]): string[] => [...previous, value];

export async function runCli(argv: string[], output: Output): Promise<number> {
  let exitCode: number = EXIT.passed;
  const program = new Command('labrun')
    .description(
      'Run declarative YAML runbooks for AWS database labs, against AWS or a local Aurora sandbox.',
    )
    .version(await version(), '-V, --version')
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      writeOut: (text) => process.stdout.write(text),
      writeErr: (text) => process.stderr.write(text),
      // Errors are reported by runCli in one format; commander's own rendering is dropped.
      outputError: () => undefined,
    });

  const targetOptions = (command: Command): Command =>
    command
      .option(
        '--outputs <file>',
        'read stack outputs from a JSON file (describe-stacks output or a flat map)',
      )
      .option('--stack <name>', 'read stack outputs from this CloudFormation stack')
      .option(
        '--sandbox',
        'run against the local Aurora sandbox (if not running, started for the run with $LABRUN_TABLE_SIZE rows)',
      )
      .option('--set <name=value>', 'set an input (repeatable)', collect, [])
      .option('--region <region>', 'AWS region')
      .option('--endpoint-url <url>', 'send AWS API calls to this endpoint')
      .option('--allow-destructive', ALLOW_DESTRUCTIVE_HELP);

  program
    .command('validate')
    .description('check runbooks without running anything')
    .argument('<file...>', 'runbook files')
    .option('--allow-destructive', ALLOW_DESTRUCTIVE_HELP)
    .addOption(
      new Option(
        '--format <format>',
        'how problems are printed: text, json (stdout) or github annotations (stdout)',
      )
        .choices(['text', 'json', 'github'])
        .default('text'),
    )
    .option('--strict', STRICT_HELP)
    .action(async (files: string[], flags: ValidateFlags) => {
      const { validateCommand } = await import('./commands/validate.js');
      exitCode = await validateCommand(files, output, flags);
    });

  targetOptions(
    program
      .command('plan')
      .description('show what each step would do, with inputs resolved, without running anything')
      .argument('<file>', 'runbook file'),
  )
    .option('--strict', STRICT_HELP)
    .action(async (file: string, flags: TargetFlags) => {
      const { planCommand } = await import('./commands/plan.js');
      exitCode = await planCommand(file, flags, output);
    });

  targetOptions(program.command('run').description('run a runbook').argument('<file>', 'runbook file'))
    .option('--runs-dir <dir>', 'where run records are written', 'runs')
    .option('--json <file>', 'also write the final run record to this file')
    .option('--junit <file>', 'write a JUnit XML report to this file')
    .option(
      '--from <step>',
      'continue an earlier run of this runbook from this step, under a new run id: the steps before it are restored from that run, not run again',
    )
    .option(
      '--only <step>',
      'like --from, but run this step alone (the steps after it and finally are skipped)',
    )
    .option('--finally', 'with --only: run the finally steps too')
    .option(
      '--no-finally',
      'skip the finally steps: what the run creates stays for the next try (e.g. labrun run --from STEP), listed as left behind',
    )
    .option(
      '--source <run>',
      'with --from/--only: the run to continue (run id or directory in the runs dir; default: the latest run of this runbook there)',
    )
    .action(async (file: string, flags: RunFlags) => {
      const { runCommand } = await import('./commands/run.js');
      exitCode = await runCommand(file, flags, output);
    });

  targetOptions(
    program
      .command('guide')
      .description('write the lab guide (Markdown) or a bash script doing the lab, from a runbook')
      .argument('<file>', 'runbook file'),
  )
    .option('--format <format>', 'md (a guide a person follows) or sh (a bash script)', 'md')
    .option(
      '--example <run>',
      'show example outputs from a recorded run (a run directory or its record.json)',
    )
    .option('--out <file>', 'write the guide to this file instead of stdout')
    .action(async (file: string, flags: import('./commands/guide.js').GuideFlags) => {
      const { guideCommand } = await import('./commands/guide.js');
      exitCode = await guideCommand(file, flags, output);
    });

  program
    .command('resume')
    .description(
      'continue a run that was cut off, from its first unfinished step (default: the latest unfinished run)',
    )
    .argument('[run]', 'run id or run directory')
    .option('--runs-dir <dir>', 'where run records are', 'runs')
    .option('--set <name=value>', 'set an input again (secret inputs are never stored)', collect, [])
    .option('--json <file>', 'also write the final run record to this file')
    .option('--junit <file>', 'write a JUnit XML report to this file')
    .option('--allow-destructive', ALLOW_DESTRUCTIVE_HELP)
    .action(async (run: string | undefined, flags: ResumeFlags) => {
      const { resumeCommand } = await import('./commands/resume.js');
      exitCode = await resumeCommand(run, flags, output);
    });

  program
    .command('show')
    .description("show a run's summary, or one step's rendered input, result, captures and error")
    .argument('<run>', 'run id or run directory in the runs dir (latest: the newest run there)')
    .argument('[step]', 'step id: show this step in full')
    .option('--runs-dir <dir>', 'where run records are', 'runs')
    .option('--json', 'print the run record (or the step record) as JSON')
    .action(async (run: string, step: string | undefined, flags: import('./commands/show.js').ShowFlags) => {
      const { showCommand } = await import('./commands/show.js');
      exitCode = await showCommand(run, step, flags, output);
    });

  const sandbox = program.command('sandbox').description('manage the local Aurora sandbox');
  sandbox
    .command('up')
    .description('start the sandbox (first time: create the lab cluster and load sbtest1)')
    .addOption(
      new Option('--table-size <rows>', 'rows loaded into sbtest1 when the lab cluster is created').argParser(
        positiveInteger('--table-size'),
      ),
    )
    .option(
      '--strict',
      "refuse what today's AWS refuses (engine aurora, db.r4 and other classes not offered for Aurora MySQL 3); default $LABRUN_SANDBOX_STRICT=1, else lenient",
    )
    .option(
      '--reload',
      'with --table-size: reload sbtest1 of an existing sandbox that holds another number of rows (restarts it)',
    )
    .action(async (flags: { tableSize?: number; strict?: boolean; reload?: boolean }) => {
      const { sandboxUpCommand } = await import('./commands/sandbox.js');
      exitCode = await sandboxUpCommand(flags, output);
    });
  sandbox
    .command('down')
    .description('stop the sandbox and its database servers')
    .option('--purge', 'also delete all sandbox data')
    .action(async (flags: { purge?: boolean }) => {
      const { sandboxDownCommand } = await import('./commands/sandbox.js');
      exitCode = await sandboxDownCommand(flags, output);
    });
  sandbox
    .command('status')
    .description('show whether the sandbox runs, and its clusters')
    .option('-q, --quiet', 'print nothing; exit 0 when running, 1 when not')
    .action(async (flags: { quiet?: boolean }) => {
      const { sandboxStatusCommand } = await import('./commands/sandbox.js');
      exitCode = await sandboxStatusCommand(flags, output);
    });
  sandbox
    .command('env')
    .description('print shell lines that point the aws CLI and the lab at the sandbox')
    .action(async () => {
      const { sandboxEnvCommand } = await import('./commands/sandbox.js');
      exitCode = await sandboxEnvCommand(output);
    });

  if (argv.length === 0) {
    program.outputHelp({ error: true });
    return EXIT.usage;
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (error) {
    if (error instanceof CliExit) return error.code;
    if (error instanceof CommanderError) return commanderExit(error, output);
    if (error instanceof UsageError) return usageExit(error, output);
    // The sandbox reports what went wrong in words (a port in use, a server that would not start).
    if (error instanceof Error && error.name === 'SandboxError') {
      output.err(`labrun: sandbox: ${error.message}`);
      // Refused input (a directory that is not a sandbox home) is a usage error.
      return (error as { refused?: boolean }).refused ? EXIT.usage : EXIT.stepFailed;
    }
    throw error;
  }
  return exitCode;
}

function commanderExit(error: CommanderError, output: Output): number {
  if (
    error.code === 'commander.helpDisplayed' ||
    error.code === 'commander.version' ||
    error.code === 'commander.help'
  ) {
    return error.code === 'commander.help' ? EXIT.usage : EXIT.passed;
  }
  if (error.code === 'commander.executeSubCommandAsync') return EXIT.internal;
  const message = error.message.replace(/^error: /, '').split('\n')[0];
  output.err(`labrun: ${message}`);
  output.err('see labrun --help');
  return EXIT.usage;
}

export function usageExit(error: UsageError, output: Output): number {
  if (error.diagnostics.length === 0) {
    output.err(`labrun: ${error.message}`);
    if (error.hint) output.err(`  hint: ${error.hint}`);
  } else {
    for (const d of error.diagnostics) {
      const where = d.span ? `${d.span.file}:${d.span.start.line}:${d.span.start.col}: ` : '';
      output.err(`${where}${output.color.red('error')}: ${d.message}`);
      if (d.hint) output.err(`  ${output.color.cyan('hint')}: ${d.hint}`);
    }
  }
  return EXIT.usage;
}

function positiveInteger(flag: string): (value: string) => number {
  return (value) => {
    if (!/^\d+$/.test(value) || Number(value) < 1) {
      throw new UsageError(`${flag} must be a positive whole number, got ${JSON.stringify(value)}`);
    }
    return Number(value);
  };
}

async function version(): Promise<string> {
  const { readFile } = await import('node:fs/promises');
  const { packageRoot } = await import('../core/package-root.js');
  try {
    const pkg = JSON.parse(await readFile(join(packageRoot(import.meta.url), 'package.json'), 'utf8')) as {
      version?: string;
    };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}
