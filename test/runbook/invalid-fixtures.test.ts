/**
 * Every runbook under test/fixtures/invalid is compiled and its formatted diagnostics are compared with
 * the golden file next to it (<name>.err). Regenerate the golden files with UPDATE_GOLDEN=1 and review
 * the difference before committing.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileRunbook, formatDiagnostics } from '../../src/runbook/index.js';
import { readFromRepo, repoRoot } from './fixtures.js';

const directory = 'test/fixtures/invalid';
const update = process.env.UPDATE_GOLDEN === '1';
const cases = readdirSync(join(repoRoot, directory))
  .filter((name) => name.endsWith('.yaml'))
  .sort();

describe('invalid runbooks (golden diagnostics)', () => {
  it('has at least 126 cases', () => {
    assert.ok(cases.length >= 126, `only ${cases.length} invalid fixtures`);
  });

  for (const name of cases) {
    const file = `${directory}/${name}`;
    const golden = join(repoRoot, directory, name.replace(/\.yaml$/, '.err'));

    it(name.replace(/\.yaml$/, ''), () => {
      // The destructive-step guard (on in the CLI) is checked only by the destructive-* cases, so the other
      // golden files show just the mistake each one is about.
      const result = compileRunbook(file, {
        readFile: readFromRepo,
        guardDestructive: name.startsWith('destructive-'),
      });
      assert.equal(result.runbook, undefined, 'an invalid runbook must not compile');
      assert.ok(result.diagnostics.length > 0, 'expected at least one diagnostic');
      for (const d of result.diagnostics) {
        assert.ok(
          d.file.length > 0 && d.message.length > 0,
          'a diagnostic names its file and says what is wrong',
        );
        assert.doesNotMatch(d.message, /\n\s+at /, 'no stack trace in a message');
      }
      const sources: Record<string, string> = { ...result.sources };
      for (const d of result.diagnostics) {
        if (sources[d.file] === undefined) {
          try {
            sources[d.file] = readFileSync(join(repoRoot, d.file), 'utf8');
          } catch {
            // A file that cannot be read gets no code frame.
          }
        }
      }
      const actual = `${formatDiagnostics(result.diagnostics, { sources })}\n`;
      if (update) writeFileSync(golden, actual);
      const expected = readFileSync(golden, 'utf8');
      assert.equal(actual, expected);
    });
  }
});
