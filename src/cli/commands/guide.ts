/**
 * `labrun guide FILE`: the lab guide a person follows (Markdown) or a bash script doing the same lab, written
 * from the runbook. Invalid runbooks get validate's diagnostics and exit 2, as does a step the guide cannot
 * translate and an unreadable `--example` run.
 */
import { chmod, writeFile } from 'node:fs/promises';
import { UsageError } from '../../core/errors.js';
import { ExampleError, readExampleRun, writeGuide, type GuideFormat } from '../../guide/index.js';
import { formatDiagnostics } from '../../runbook/index.js';
import { CliExit, EXIT } from '../exit-codes.js';
import type { Output } from '../output.js';
import type { TargetFlags } from '../program.js';
import { parseSets, resolveTarget } from '../target.js';
import { loadRunbook, warnGuardOff } from './load.js';

export interface GuideFlags extends TargetFlags {
  format: string;
  example?: string;
  out?: string;
}

export async function guideCommand(file: string, flags: GuideFlags, output: Output): Promise<number> {
  if (flags.format !== 'md' && flags.format !== 'sh') {
    throw new UsageError(`--format ${flags.format}: expected md or sh`);
  }
  const format: GuideFormat = flags.format;
  if (flags.allowDestructive) warnGuardOff(output);
  const runbook = await loadRunbook(file, output, { allowDestructive: flags.allowDestructive });
  const set = parseSets(flags.set);
  const targeted = Boolean(flags.outputs || flags.stack || flags.sandbox);
  const target = targeted ? await resolveTarget(flags, output, { startSandbox: false }) : undefined;
  let example;
  if (flags.example !== undefined) {
    if (format === 'sh')
      throw new UsageError('--example goes with --format md: a script shows no example output');
    try {
      example = readExampleRun(flags.example, runbook);
    } catch (error) {
      if (error instanceof ExampleError) throw new UsageError(error.message, error.hint);
      throw error;
    }
  }
  const result = writeGuide(runbook, {
    format,
    target: {
      set,
      ...(target?.stackOutputs ? { stackOutputs: target.stackOutputs } : {}),
      ...(target ? { env: target.env } : {}),
      ...(flags.sandbox ? { sandbox: true } : {}),
    },
    ...(example ? { example } : {}),
  });
  if (result.text === undefined) {
    output.err(formatDiagnostics(result.diagnostics.map((d) => (d.file === '' ? { ...d, file } : d))));
    throw new CliExit(EXIT.usage);
  }
  if (flags.out) {
    await writeFile(flags.out, result.text);
    if (format === 'sh') await chmod(flags.out, 0o755);
    output.err(`labrun: wrote ${flags.out}`);
  } else {
    process.stdout.write(result.text);
  }
  return EXIT.passed;
}
