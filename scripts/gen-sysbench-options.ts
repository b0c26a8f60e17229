/**
 * Writes src/steps/sysbench/options.generated.ts: the options the installed sysbench takes, read from its own
 * help, so that `labrun validate` checks a sysbench step's `options` without running sysbench. Run after
 * upgrading sysbench: npx tsx scripts/gen-sysbench-options.ts (with --check it only reports whether the
 * committed file is current).
 *
 * Where it comes from: `sysbench --help` lists the general, random-number, log and database options and each
 * driver's options (the mysql driver's are kept; labrun drives MySQL-compatible servers only);
 * `sysbench <workload> help` lists a built-in workload's own options (a workload that does not implement
 * `help`, such as bulk_insert, has none). Each option's value kind is read from its placeholder: `[=on|off]`
 * a boolean, `N` an integer (a number when its default has a fraction), `SIZE` a size (`64K`), `STRING` or
 * `FILENAME` a string, `[LIST,...]` a comma-separated list. A placeholder of another form stops the generator,
 * so a sysbench that changed its help is noticed, not misread.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as prettier from 'prettier';
import { SYSBENCH_WORKLOADS } from '../src/steps/sysbench/schema.js';
import type { SysbenchOption, SysbenchOptionKind } from '../src/steps/sysbench/options.js';

const target = fileURLToPath(new URL('../src/steps/sysbench/options.generated.ts', import.meta.url));
const SYSBENCH = process.env.LABRUN_SYSBENCH ?? 'sysbench';

/** Sections of `sysbench --help` kept: every options section but the pgsql driver's. */
const SKIPPED_SECTIONS = new Set(['pgsql options']);

function sysbench(args: string[]): { status: number; output: string } {
  try {
    const output = execFileSync(SYSBENCH, args, {
      encoding: 'utf8',
      env: { LC_ALL: 'C', PATH: process.env.PATH ?? '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return { status: 0, output };
  } catch (error) {
    const failed = error as { status?: number; stdout?: string; stderr?: string; code?: string };
    if (failed.code === 'ENOENT') throw new Error(`cannot run ${SYSBENCH}: not found`);
    return { status: failed.status ?? 1, output: `${failed.stdout ?? ''}${failed.stderr ?? ''}` };
  }
}

const OPTION_LINE = /^ {2}--([a-z][a-z0-9_-]*)(\[=on\|off\]|=(\S+))?\s+(.*?)\s*$/;

function kindOf(
  placeholder: string | undefined,
  name: string,
  defaultValue: string | undefined,
): SysbenchOptionKind {
  if (placeholder === '[=on|off]') return 'boolean';
  switch (placeholder?.slice(1)) {
    case 'N':
      return defaultValue !== undefined && /^[-+]?\d*\.\d+$/.test(defaultValue) ? 'number' : 'integer';
    case 'SIZE':
      return 'size';
    case 'STRING':
    case 'FILENAME':
      return 'string';
    case '[LIST,...]':
      return 'list';
    default:
      throw new Error(`sysbench option --${name}: unknown value placeholder ${JSON.stringify(placeholder)}`);
  }
}

/** One option line of a help text: name, kind, description, default, and the values `{a,b}` names. */
function parseOption(line: string): [string, SysbenchOption] | undefined {
  const match = OPTION_LINE.exec(line);
  if (!match) return undefined;
  const [, name, placeholder, , rest] = match as unknown as [
    string,
    string,
    string | undefined,
    string,
    string,
  ];
  let description = rest;
  let defaultValue: string | undefined;
  const withDefault = /^(.*?)\s*\[([^\]]*)\]$/.exec(rest);
  if (withDefault) {
    description = withDefault[1]!;
    defaultValue = withDefault[2]!;
  }
  const kind = kindOf(placeholder, name, defaultValue);
  const option: SysbenchOption = { kind, description };
  if (defaultValue !== undefined) option.default = defaultValue;
  const values = /\{([a-z][a-z0-9_]*(?:,\s*[a-z][a-z0-9_]*)+)\}/.exec(description);
  if (kind === 'string' && values) option.values = values[1]!.split(',').map((v) => v.trim());
  const alias = /^deprecated alias for --([a-z0-9_-]+)$/.exec(description);
  if (alias) option.aliasOf = alias[1]!;
  return [name, option];
}

/** The options of `sysbench --help`, section by section, skipping SKIPPED_SECTIONS. */
export function parseGeneralHelp(text: string): Record<string, SysbenchOption> {
  const options: Record<string, SysbenchOption> = {};
  let section: string | undefined;
  for (const line of text.split('\n')) {
    const header = /^([A-Za-z][^:]*):\s*$/.exec(line);
    if (header) {
      section = header[1]!;
      continue;
    }
    if (section === undefined || SKIPPED_SECTIONS.has(section) || !/options$/.test(section)) continue;
    const parsed = parseOption(line);
    if (parsed) options[parsed[0]] = parsed[1];
    else if (/^\s+--/.test(line)) throw new Error(`cannot read sysbench --help line: ${line}`);
  }
  return options;
}

/** The options of `sysbench <workload> help`; none when the workload does not implement help. */
export function parseWorkloadHelp(
  workload: string,
  status: number,
  text: string,
): Record<string, SysbenchOption> {
  if (status !== 0) {
    if (text.includes(`'${workload}' test does not implement the 'help' command`)) return {};
    throw new Error(`sysbench ${workload} help exited with ${status}:\n${text}`);
  }
  const options: Record<string, SysbenchOption> = {};
  for (const line of text.split('\n')) {
    const parsed = parseOption(line);
    if (parsed) options[parsed[0]] = parsed[1];
    else if (/^\s+--/.test(line)) throw new Error(`cannot read sysbench ${workload} help line: ${line}`);
  }
  return options;
}

export async function generateOptionsModule(): Promise<string> {
  const version = /sysbench (\S+)/.exec(sysbench(['--version']).output)?.[1] ?? 'unknown';
  const general = parseGeneralHelp(sysbench(['--help']).output);
  const workloadOptions: Record<string, SysbenchOption> = {};
  const workloads: Record<string, string[]> = {};
  for (const workload of SYSBENCH_WORKLOADS) {
    const { status, output } = sysbench([workload, 'help']);
    const options = parseWorkloadHelp(workload, status, output);
    for (const [name, option] of Object.entries(options)) {
      const seen = workloadOptions[name];
      if (seen && JSON.stringify(seen) !== JSON.stringify(option))
        throw new Error(
          `sysbench option --${name} differs between workloads; the module assumes one meaning`,
        );
      workloadOptions[name] = option;
    }
    workloads[workload] = Object.keys(options).sort();
  }
  const sorted = (record: Record<string, SysbenchOption>) =>
    Object.fromEntries(Object.entries(record).sort(([a], [b]) => a.localeCompare(b)));
  const text = [
    `// Generated by scripts/gen-sysbench-options.ts from the help of the installed sysbench; do not edit.`,
    `// sysbench ${version}`,
    `import type { SysbenchOption } from './options.js';`,
    '',
    `export const SYSBENCH_HELP_VERSION = '${version}';`,
    '',
    '/** `sysbench --help`: general, random-number, log and database options, and the mysql driver options. */',
    `export const GENERAL_OPTIONS: Readonly<Record<string, SysbenchOption>> = ${JSON.stringify(sorted(general))};`,
    '',
    '/** The options of the built-in workloads (`sysbench <workload> help`), each with one meaning in all. */',
    `export const WORKLOAD_OPTIONS: Readonly<Record<string, SysbenchOption>> = ${JSON.stringify(sorted(workloadOptions))};`,
    '',
    '/** Which of WORKLOAD_OPTIONS each built-in workload takes. */',
    `export const WORKLOADS: Readonly<Record<string, readonly string[]>> = ${JSON.stringify(workloads)};`,
    '',
  ].join('\n');
  return prettier.format(text, {
    parser: 'typescript',
    singleQuote: true,
    printWidth: 110,
    trailingComma: 'all',
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const text = await generateOptionsModule();
  if (process.argv.includes('--check')) {
    const current = readFileSync(target, 'utf8');
    if (current !== text) {
      console.error(`${target} is out of date; run npx tsx scripts/gen-sysbench-options.ts`);
      process.exit(1);
    }
  } else {
    writeFileSync(target, text);
    console.log(`wrote ${target} (${text.length} bytes)`);
  }
}
