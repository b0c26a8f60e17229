/**
 * The runbook's inputs as a guide presents them. With a target (stack outputs, --set) a value is known when
 * the guide is written and appears as it is; otherwise the guide writes a placeholder (`[clusterName]`) or,
 * for a value the lab's shell holds (`env: DBUSER`) and for every secret, the shell variable (`$DBPASS`).
 * A guide written without a target never reads the environment of the process writing it, so the same
 * runbook always gives the same guide.
 */
import { resolveInputs } from '../runbook/inputs.js';
import type { Diagnostic, InputSpec } from '../runbook/types.js';
import type { ShellNames } from './names.js';

export interface GuideTarget {
  /** Stack outputs by key, when the guide is written for a stack. */
  stackOutputs?: Record<string, string>;
  /** The environment values come from, when the guide is written for a target. */
  env?: Record<string, string | undefined>;
  /** `--set name=value`. */
  set?: Record<string, string>;
  /** The target is the local sandbox: the guide starts by pointing the shell at it. */
  sandbox?: boolean;
}

export interface GuideInput {
  spec: InputSpec;
  /** The shell variable holding the value in the script (and for secrets and env values, in the guide). */
  shellName: string;
  /** The value, when known as the guide is written (never for a secret). */
  value?: string | number | boolean;
  /** Where the known value came from. */
  source?: 'set' | 'stackOutput' | 'env' | 'default';
}

export interface ResolvedGuideInputs {
  inputs: Map<string, GuideInput>;
  diagnostics: Diagnostic[];
}

export function guideInputs(specs: InputSpec[], target: GuideTarget, names: ShellNames): ResolvedGuideInputs {
  const env = Object.fromEntries(
    Object.entries(target.env ?? {}).filter((entry): entry is [string, string] => Boolean(entry[1])),
  );
  const nonSecret = specs.map((spec) => (spec.secret ? { ...spec, default: undefined } : spec));
  const resolved = resolveInputs(nonSecret, {
    ...(target.set ? { set: target.set } : {}),
    ...(target.stackOutputs ? { stackOutputs: target.stackOutputs } : {}),
    env,
  });
  const diagnostics = resolved.diagnostics.filter((d) => d.code !== 'missing-input');
  const inputs = new Map<string, GuideInput>();
  for (const spec of specs) {
    const shellName = spec.env
      ? names.claim(`input:${spec.name}`, spec.env)
      : names.name(`input:${spec.name}`, spec.name);
    const input: GuideInput = { spec, shellName };
    // Without a target the lab's shell supplies an `env` value; its default is only the fallback there.
    const fromShell =
      target.env === undefined && spec.env !== undefined && resolved.from[spec.name] === 'default';
    if (!spec.secret && !fromShell && spec.name in resolved.values) {
      input.value = resolved.values[spec.name]!;
      input.source = resolved.from[spec.name]!;
    }
    inputs.set(spec.name, input);
  }
  return { inputs, diagnostics };
}

/** Where an input's value comes from, in words, for the "values at a glance" table. */
export function originOf(input: GuideInput): string {
  const spec = input.spec;
  const ways: string[] = [];
  if (input.source === 'set') ways.push('set when this guide was written');
  if (spec.stackOutput) ways.push(`stack output \`${spec.stackOutput}\``);
  if (spec.env) ways.push(`environment variable \`${spec.env}\``);
  if (spec.default !== undefined && !spec.secret) ways.push(`default \`${String(spec.default)}\``);
  if (ways.length === 0) ways.push('given by you');
  return `${ways.join(', else ')}${spec.secret ? ' (secret: never written out)' : ''}`;
}
