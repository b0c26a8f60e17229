/**
 * Cold `labrun validate` of a seed runbook against a bare `node -e 0`, both as fresh processes.
 * Run: npm run build && npx tsx bench/validate-cold.ts [runs]
 * Budget: the median difference stays at or under 300 ms.
 */
import { spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';

const runs = Number(process.argv[2] ?? 15);
const runbook = 'runbooks/aurora-clone-backtrack.yaml';

function time(args: string[]): number {
  const start = performance.now();
  const child = spawnSync(process.execPath, args, { stdio: 'pipe' });
  const elapsed = performance.now() - start;
  if (child.status !== 0) {
    throw new Error(`node ${args.join(' ')} exited ${child.status}: ${child.stderr.toString()}`);
  }
  return elapsed;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

// One warm-up of each so the file system cache is not what is measured.
time(['-e', '0']);
time(['dist/cli/main.js', 'validate', runbook]);

const bare: number[] = [];
const validate: number[] = [];
for (let i = 0; i < runs; i++) {
  bare.push(time(['-e', '0']));
  validate.push(time(['dist/cli/main.js', 'validate', runbook]));
}
const overhead = median(validate) - median(bare);
console.log(`runs: ${runs}`);
console.log(`node -e 0:              median ${median(bare).toFixed(1)} ms`);
console.log(`labrun validate (seed): median ${median(validate).toFixed(1)} ms`);
console.log(
  `overhead:               ${overhead.toFixed(1)} ms (budget 300 ms) ${overhead <= 300 ? 'OK' : 'OVER'}`,
);
