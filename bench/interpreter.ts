/**
 * Interpreter overhead: a runbook of N capture and assert steps (default 1,000), run by the real engine with
 * its durable record and journal (fsync per step), timed end to end. Nothing here waits on a server, so what
 * is measured is the engine itself: rendering, events, masking and the record.
 * Run: npx tsx bench/interpreter.ts [steps] [repeats]
 * Budget: at most 2 ms per step.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { resolveRunInputs } from '../src/engine/inputs.js';
import { runRunbook } from '../src/engine/interpreter.js';
import { compileRunbook, formatDiagnostics } from '../src/runbook/index.js';

const steps = Number(process.argv[2] ?? 1000);
const repeats = Number(process.argv[3] ?? 3);

function runbookText(count: number): string {
  const lines = [
    'name: interpreter-bench',
    'inputs:',
    '  base: { type: integer, default: 1000 }',
    '  token: { type: string, default: s3cret-token, secret: true }',
    'steps:',
  ];
  for (let i = 0; i < count / 2; i++) {
    lines.push(
      `  - id: capture-${i}`,
      '    type: capture',
      `    name: value${i}`,
      `    value: "{{inputs.base}}-${i}"`,
      `  - id: assert-${i}`,
      '    type: assert',
      '    that:',
      `      - actual: "{{captures.value${i}}}"`,
      `        equals: "1000-${i}"`,
      `        message: capture ${i} holds its value`,
    );
  }
  return `${lines.join('\n')}\n`;
}

const dir = await mkdtemp(join(tmpdir(), 'labrun-bench-'));
try {
  const file = join(dir, 'bench.yaml');
  await writeFile(file, runbookText(steps));
  const compileStart = performance.now();
  const { runbook, diagnostics } = compileRunbook(file);
  const compileMs = performance.now() - compileStart;
  if (!runbook) throw new Error(formatDiagnostics(diagnostics));
  const inputs = resolveRunInputs(runbook, { set: {}, env: {} });

  const perStep: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const start = performance.now();
    const { record } = await runRunbook(runbook, { inputs, runsDir: join(dir, 'runs'), env: {} });
    const elapsed = performance.now() - start;
    if (record.status !== 'passed') throw new Error(`bench runbook ${record.status}`);
    perStep.push(elapsed / runbook.steps.length);
  }
  const best = Math.min(...perStep);
  const median = [...perStep].sort((a, b) => a - b)[Math.floor(perStep.length / 2)]!;
  console.log(`steps: ${runbook.steps.length} (capture + assert), repeats: ${repeats}`);
  console.log(`compile: ${compileMs.toFixed(0)} ms`);
  console.log(
    `run, record and journal included: median ${median.toFixed(3)} ms/step, best ${best.toFixed(3)} ms/step`,
  );
  console.log(`budget 2 ms/step: ${median <= 2 ? 'OK' : 'OVER'}`);
} finally {
  await rm(dir, { recursive: true, force: true });
}
