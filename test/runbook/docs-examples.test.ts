/**
 * No false positives on the documentation: every YAML example in docs/ compiles without an error. A whole
 * runbook compiles as it is, next to the seed runbooks (so `extends` and `include` resolve as written). A
 * fragment (inputs, connections, disposable, a step, a step group) compiles inside a runbook that extends the
 * seed aurora-clone-backtrack.yaml, so the inputs, connections and captures it reads exist: top-level keys
 * are laid over the seed's, steps run in `finally` (where every capture is visible) with their ids suffixed
 * so they do not clash with the seed's. A block whose first line is `# file: NAME` is also available to the
 * other examples as runbooks/NAME, so an example can include a step group shown in another; a group example
 * on its own is included with a placeholder for each parameter that has no default.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parse, stringify } from 'yaml';
import { compileRunbook, formatDiagnostics } from '../../src/runbook/index.js';
import { readFromRepo, repoRoot } from './fixtures.js';

interface Example {
  /** `docs/file.md:line` of the block's first line. */
  where: string;
  text: string;
}

function markdownFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return markdownFiles(path);
    return name.endsWith('.md') ? [path] : [];
  });
}

function examples(): Example[] {
  const found: Example[] = [];
  for (const path of markdownFiles(join(repoRoot, 'docs'))) {
    const source = readFileSync(path, 'utf8');
    for (const block of source.matchAll(/^```yaml\n([\s\S]*?)^```/gm)) {
      const line = source.slice(0, block.index).split('\n').length + 1;
      found.push({ where: `${relative(repoRoot, path)}:${line}`, text: block[1]! });
    }
  }
  return found;
}

type Mapping = Record<string, unknown>;

function isMapping(value: unknown): value is Mapping {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Steps with `-example` added to their ids. */
function renamed(steps: unknown[]): unknown[] {
  return steps.map((step) =>
    isMapping(step) && typeof step.id === 'string' ? { ...step, id: `${step.id}-example` } : step,
  );
}

const SEED = 'aurora-clone-backtrack.yaml';
const CLEANUP = { include: 'shared/cleanup.steps.yaml' };

/** The files to compile for an example: the main file first, by repository path. */
function filesFor(example: Example, index: number): Record<string, string> | undefined {
  const value: unknown = parse(example.text);
  const main = `runbooks/docs-example-${index}.yaml`;
  if (value === null || value === undefined) return undefined; // only comments
  if (Array.isArray(value)) {
    const wrapper = { name: 'docs-example', extends: SEED, finally: [CLEANUP, ...renamed(value)] };
    return { [main]: stringify(wrapper) };
  }
  assert.ok(isMapping(value), `${example.where}: an example is a mapping or a list of steps`);
  if (value.kind === 'steps') {
    const group = `runbooks/docs-example-${index}.steps.yaml`;
    // Included under `as:`, so its ids do not clash with the seed's and its references to them still hold.
    const steps = value.steps;
    const placeholders: Record<string, unknown> = {};
    for (const [name, spec] of Object.entries(isMapping(value.params) ? value.params : {})) {
      if (isMapping(spec) && spec.default !== undefined) continue;
      const type = isMapping(spec) ? spec.type : undefined;
      placeholders[name] =
        type === 'integer' || type === 'number' ? 1 : type === 'boolean' ? true : 'example';
    }
    const include = {
      include: `docs-example-${index}.steps.yaml`,
      as: 'example',
      ...(Object.keys(placeholders).length > 0 ? { with: placeholders } : {}),
    };
    const wrapper = { name: 'docs-example', extends: SEED, finally: [CLEANUP, include] };
    return { [main]: stringify(wrapper), [group]: stringify({ ...value, steps }) };
  }
  if (typeof value.name === 'string') return { [main]: example.text };
  const { steps: listed, ...rest } = value;
  const steps = Array.isArray(listed) ? { finally: [CLEANUP, ...renamed(listed)] } : {};
  return { [main]: stringify({ name: 'docs-example', extends: SEED, ...rest, ...steps }) };
}

describe('documentation examples', () => {
  const found = examples();

  it('finds the examples of docs/runbook-format.md', () => {
    assert.ok(found.filter((e) => e.where.startsWith('docs/runbook-format.md')).length >= 10);
  });

  /** Blocks that name themselves `# file: NAME`, as runbooks/NAME. */
  const named: Record<string, string> = {};
  for (const example of found) {
    const name = /^# file: (\S+)\n/.exec(example.text)?.[1];
    if (name) named[`runbooks/${name}`] = example.text;
  }

  found.forEach((example, index) => {
    it(`${example.where} compiles without an error`, () => {
      const files = filesFor(example, index);
      if (!files) return;
      const [main] = Object.keys(files);
      const readFile = (path: string) => files[path] ?? named[path] ?? readFromRepo(path);
      const result = compileRunbook(main!, { readFile });
      const errors = result.diagnostics.filter((d) => d.severity === 'error');
      assert.deepEqual(
        errors.map((d) => d.code),
        [],
        `${example.where}:\n${formatDiagnostics(errors, { sources: { ...result.sources, ...files } })}`,
      );
    });
  });
});
