/** `labrun plan FILE`: every step as it would run, with inputs resolved and nothing executed. */
import { preflightGuard } from '../../engine/guard.js';
import { resolveRunInputs } from '../../engine/inputs.js';
import { planRunbook } from '../../engine/plan.js';
import { EXIT } from '../exit-codes.js';
import { inline, type Output } from '../output.js';
import type { TargetFlags } from '../program.js';
import { parseSets, resolveTarget } from '../target.js';
import { loadRunbook, warnGuardOff } from './load.js';

export async function planCommand(file: string, flags: TargetFlags, output: Output): Promise<number> {
  if (flags.allowDestructive) warnGuardOff(output);
  const runbook = await loadRunbook(file, output, {
    allowDestructive: flags.allowDestructive,
    strict: flags.strict,
  });
  const set = parseSets(flags.set);
  const target = await resolveTarget(flags, output, { startSandbox: false });
  const values = resolveRunInputs(runbook, { set, stackOutputs: target.stackOutputs, env: target.env }, (d) =>
    output.err(`labrun: ${output.color.yellow('warning')}: ${d.message}`),
  );
  if (!flags.allowDestructive) {
    const refusal = preflightGuard(runbook, values, target.env);
    if (refusal) throw refusal;
  }
  const steps = planRunbook(runbook, { inputs: values, env: target.env });
  const c = output.color;
  output.out(`${c.bold(runbook.title ?? runbook.name)} ${c.dim(`(${runbook.file})`)}: ${steps.length} steps`);
  steps.forEach((step, i) => {
    if (i === runbook.steps.length) output.out(c.dim('finally:'));
    const marker = step.mutating ? c.yellow('changes') : c.dim('reads  ');
    output.out(
      `[${i + 1}/${steps.length}] ${marker} ${c.bold(step.id)}${step.title ? c.dim(` - ${step.title}`) : ''}`,
    );
    if (step.condition !== undefined) output.out(`      if ${inline(step.condition)}`);
    output.out(`      ${step.summary}`);
    if (step.detail !== undefined) output.out(`      ${inline(step.detail, 400)}`);
    if (step.captures.length > 0) output.out(`      ${c.dim('captures')} ${step.captures.join(', ')}`);
  });
  return EXIT.passed;
}
