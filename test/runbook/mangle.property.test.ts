/**
 * No false negatives on the seed runbooks: a property test takes an AWS params member name or a result path
 * segment of either seed runbook (in the runbook or in a step group it includes), misspells it (a letter
 * dropped, swapped, doubled or in the other case) and asserts that compiling the mangled copy reports an
 * error at the line of the mangled name, in the file it is in. A mangle that yields another valid name is
 * skipped. The seed of the generator is fixed, so every run tries the same mangles.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { compileRunbook, formatDiagnostics } from '../../src/runbook/index.js';
import type { CompiledRunbook, CompiledStep } from '../../src/runbook/types.js';
import type { ValueType } from '../../src/runbook/value-type.js';
import { operationModel, type AwsService } from '../../src/steps/aws/model.js';
import { analyzeSql } from '../../src/steps/sql/analyze.js';
import { readFromRepo } from './fixtures.js';

const SEEDS = ['runbooks/aurora-clone-backtrack.yaml', 'runbooks/aurora-backtrack.yaml'];

/** A name in a seed's files that a mangle must make the compiler refuse. */
interface Target {
  seed: string;
  file: string;
  /** Offset of the name in the file's text. */
  offset: number;
  name: string;
  /** 1-based line of the name. */
  line: number;
  kind: 'aws-member' | 'result-path';
  /** The names that are valid in its place (a mangle that yields one of them is skipped). */
  valid: readonly string[];
}

function lineOf(text: string, offset: number): number {
  return text.slice(0, offset).split('\n').length;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** The result type of an aws or sql body, from the generated models and the SQL analyzer. */
function bodyResult(type: unknown, body: Record<string, unknown>): ValueType | undefined {
  if (type === 'aws' && typeof body.operation === 'string') {
    const service = (body.service ?? 'rds') as AwsService;
    return operationModel(service, body.operation)?.output;
  }
  if (type === 'sql' && typeof body.query === 'string') return analyzeSql(body.query).resultType;
  return undefined;
}

/** The result type of a compiled step, where the seeds read it (aws and sql steps). */
function stepResult(step: CompiledStep): ValueType | undefined {
  return bodyResult(step.type, step.fields);
}

/** The member names valid after `segments` in `type`; undefined when the type does not say. */
function membersAfter(type: ValueType, segments: readonly string[]): string[] | undefined {
  let current = type;
  for (const segment of segments) {
    if (current.kind === 'list' && /^\d+$/.test(segment)) current = current.member;
    else if (current.kind === 'structure' && Object.hasOwn(current.members, segment))
      current = current.members[segment]!;
    else return undefined;
  }
  return current.kind === 'structure' ? Object.keys(current.members) : undefined;
}

/** Where a string value's text starts in the file, when the file holds it verbatim (plain or quoted). */
function contentStart(text: string, offset: number, value: string): number | undefined {
  for (const start of [offset, offset + 1]) if (text.startsWith(value, start)) return start;
  return undefined;
}

/** The value at a pointer of the step mapping (the seeds' keys need no pointer escapes). */
function valueAt(step: CompiledStep, pointer: string): unknown {
  let current: unknown = { ...step.fields, capture: step.capture };
  for (const key of pointer.split('/').slice(1)) {
    if (Array.isArray(current)) current = current[Number(key)];
    else if (isRecord(current)) current = current[key];
    else return undefined;
  }
  return current;
}

const RESULT_PATH = /\b(result|steps\.([a-z][a-z0-9-]*)\.result)((?:\.[A-Za-z0-9_]+)+)/g;

function targetsOf(seed: string, runbook: CompiledRunbook): Target[] {
  const targets: Target[] = [];
  const steps = [...runbook.steps, ...runbook.finally];
  const byId = new Map(steps.map((step) => [step.id, step]));
  for (const step of steps) {
    const file = step.span.file;
    const text = runbook.sources[file]!;
    for (const [pointer, span] of Object.entries(step.spans)) {
      // AWS params members: the key before the value's span.
      const member = /^(\/probe)?\/params\/([^/]+)$/.exec(pointer);
      const body = member?.[1] ? step.fields.probe : step.fields;
      if (member && isRecord(body) && typeof body.operation === 'string') {
        const name = member[2]!;
        const offset = text.lastIndexOf(name, span.offset);
        const input = operationModel((body.service ?? 'rds') as AwsService, body.operation)?.input;
        if (offset >= 0 && input) {
          const line = lineOf(text, offset);
          targets.push({
            seed,
            file,
            offset,
            name,
            line,
            kind: 'aws-member',
            valid: Object.keys(input.members),
          });
        }
      }
      // Result paths in templates: each named segment after `result`.
      const value = valueAt(step, pointer);
      if (typeof value !== 'string' || !value.includes('{{')) continue;
      const start = contentStart(text, span.offset, value);
      if (start === undefined) continue;
      for (const match of value.matchAll(RESULT_PATH)) {
        let base: ValueType | undefined;
        if (match[2] !== undefined) {
          const producer = byId.get(match[2]);
          base = producer ? stepResult(producer) : undefined;
        } else if (pointer.startsWith('/capture/')) {
          base = stepResult(step);
        } else if (step.type === 'wait-until' && pointer === '/value' && isRecord(step.fields.probe)) {
          base = bodyResult(step.fields.probe.type, step.fields.probe);
        }
        if (!base) continue;
        const segments = match[3]!.slice(1).split('.');
        let cursor = match.index + match[1]!.length + 1;
        segments.forEach((segment, i) => {
          const at = cursor;
          cursor += segment.length + 1;
          if (/^\d+$/.test(segment)) return;
          const valid = membersAfter(base, segments.slice(0, i));
          if (!valid) return;
          const offset = start + at;
          assert.equal(text.slice(offset, offset + segment.length), segment);
          targets.push({
            seed,
            file,
            offset,
            name: segment,
            line: lineOf(text, offset),
            kind: 'result-path',
            valid,
          });
        });
      }
    }
  }
  return targets;
}

type Mangle = 'drop' | 'swap' | 'double' | 'case';

function mangle(name: string, how: Mangle, at: number): string {
  const i = at % name.length;
  const c = name[i]!;
  switch (how) {
    case 'drop':
      return name.slice(0, i) + name.slice(i + 1);
    case 'swap':
      return i + 1 < name.length ? name.slice(0, i) + name[i + 1]! + c + name.slice(i + 2) : name;
    case 'double':
      return name.slice(0, i) + c + name.slice(i);
    case 'case': {
      const other = c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase();
      return name.slice(0, i) + other + name.slice(i + 1);
    }
  }
}

describe('mangled seed runbooks (property)', function () {
  this.timeout(60_000);
  const compiled = SEEDS.map((seed) => ({ seed, result: compileRunbook(seed, { readFile: readFromRepo }) }));
  const targets = compiled.flatMap(({ seed, result }) =>
    result.runbook ? targetsOf(seed, result.runbook) : [],
  );

  it('starts from seeds that compile clean, with names of both kinds in the runbooks and their step groups', () => {
    for (const { seed, result } of compiled) assert.deepEqual(result.diagnostics, [], seed);
    const count = (kind: Target['kind'], seed: string) =>
      targets.filter((t) => t.kind === kind && t.seed === seed).length;
    for (const seed of SEEDS) {
      assert.ok(count('aws-member', seed) >= 10, `${seed}: aws members`);
      assert.ok(count('result-path', seed) >= 10, `${seed}: result path segments`);
    }
    assert.ok(targets.some((t) => t.file.startsWith('runbooks/shared/')));
    assert.ok(targets.some((t) => SEEDS.includes(t.file)));
  });

  it('refuses every misspelt member name and result path segment at its line and file', () => {
    const sources = new Map(compiled.flatMap(({ result }) => Object.entries(result.runbook?.sources ?? {})));
    const tried = new Set<string>();
    let runs = 0;
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: targets.length - 1 }),
        fc.constantFrom<Mangle>('drop', 'swap', 'double', 'case'),
        fc.nat(),
        (index, how, at) => {
          const target = targets[index]!;
          const mangled = mangle(target.name, how, at);
          fc.pre(mangled.length > 0 && mangled !== target.name && !target.valid.includes(mangled));
          runs += 1;
          tried.add(`${target.kind} ${target.file}`);
          const original = sources.get(target.file)!;
          const text =
            original.slice(0, target.offset) + mangled + original.slice(target.offset + target.name.length);
          const readFile = (path: string) => (path === target.file ? text : readFromRepo(path));
          const result = compileRunbook(target.seed, { readFile });
          const refused = result.diagnostics.some(
            (d) => d.severity === 'error' && d.file === target.file && d.span?.start.line === target.line,
          );
          assert.ok(
            refused && result.runbook === undefined,
            `${target.seed}: ${target.name} -> ${mangled} at ${target.file}:${target.line}\n` +
              formatDiagnostics(result.diagnostics, { sources: { ...result.sources, [target.file]: text } }),
          );
        },
      ),
      { seed: 20190101, numRuns: 250 },
    );
    assert.ok(runs >= 200, `only ${runs} mangles were tried`);
    for (const kind of ['aws-member', 'result-path']) {
      assert.ok(
        [...tried].some((t) => t.startsWith(`${kind} runbooks/shared/`)),
        `${kind} in a step group`,
      );
    }
    assert.ok(
      [...tried].some((t) => SEEDS.some((seed) => t.endsWith(` ${seed}`))),
      'a seed file itself',
    );
  });
});
