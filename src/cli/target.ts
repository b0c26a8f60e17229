/**
 * Where a run goes: real AWS (with stack outputs from --stack or --outputs) or the local sandbox. Turns the
 * flags into AWS settings, stack outputs, the environment inputs read from, and a cleanup for a sandbox
 * that was started just for this run.
 */
import { UsageError } from '../core/errors.js';
import type { StackOutputs } from '../engine/stack-outputs.js';
import type { AwsSettings } from '../steps/types.js';
import type { Output } from './output.js';
import type { TargetFlags } from './program.js';

export interface Target {
  aws: AwsSettings;
  stackOutputs?: StackOutputs;
  env: Record<string, string | undefined>;
  /** Values to mask besides secret inputs (e.g. the sandbox's secret key). */
  secrets: string[];
  /** Stops a sandbox started for this run. */
  release(): Promise<void>;
}

export function parseSets(sets: string[]): Record<string, string> {
  const values: Record<string, string> = {};
  for (const item of sets) {
    const eq = item.indexOf('=');
    if (eq <= 0) {
      throw new UsageError(`--set ${item}: expected name=value`, 'For example: --set tableSize=1000');
    }
    values[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return values;
}

export interface TargetOptions {
  /** Start the sandbox when it is not running (run), or refuse (plan). */
  startSandbox: boolean;
}

export async function resolveTarget(
  flags: TargetFlags,
  output: Output,
  options: TargetOptions,
): Promise<Target> {
  const chosen = [
    flags.outputs && '--outputs',
    flags.stack && '--stack',
    flags.sandbox && '--sandbox',
  ].filter(Boolean);
  if (chosen.length > 1) {
    throw new UsageError(`${chosen.join(' and ')} cannot be combined`, 'Give one source of stack outputs.');
  }
  const env = { ...process.env };
  const aws: AwsSettings = {
    ...(flags.region ? { region: flags.region } : {}),
    ...(flags.endpointUrl ? { endpoint: flags.endpointUrl } : {}),
  };
  const nothing = async (): Promise<void> => undefined;

  if (flags.sandbox) {
    if (flags.endpointUrl) throw new UsageError('--sandbox and --endpoint-url cannot be combined');
    const sandbox = await import('../sandbox/index.js');
    let connection = await sandbox.findSandbox();
    let started = false;
    if (!connection) {
      if (!options.startSandbox) {
        throw new UsageError('the sandbox is not running', 'Start it with: labrun sandbox up');
      }
      output.err('labrun: starting the sandbox for this run');
      const rows = process.env.LABRUN_TABLE_SIZE;
      connection = await sandbox.sandboxUp({
        ...(rows && /^\d+$/.test(rows) ? { tableSize: Number(rows) } : {}),
        onProgress: (line) => output.err(`  ${line}`),
      });
      started = true;
    }
    const sandboxAws: AwsSettings = {
      region: flags.region ?? connection.region,
      endpoint: connection.endpoint,
      credentials: { accessKeyId: connection.accessKeyId, secretAccessKey: connection.secretAccessKey },
    };
    const { fetchStackOutputs } = await import('../engine/stack-outputs.js');
    const release = started
      ? async () => {
          await sandbox.sandboxDown();
        }
      : nothing;
    let stackOutputs: StackOutputs;
    try {
      stackOutputs = await fetchStackOutputs(connection.stackName, sandboxAws);
    } catch (error) {
      await release();
      throw error;
    }
    return {
      aws: sandboxAws,
      stackOutputs,
      env: { ...env, DBUSER: connection.dbUser, DBPASS: connection.dbPassword },
      secrets: [connection.secretAccessKey, connection.dbPassword],
      release,
    };
  }
  if (flags.stack) {
    const { fetchStackOutputs } = await import('../engine/stack-outputs.js');
    return {
      aws,
      stackOutputs: await fetchStackOutputs(flags.stack, aws),
      env,
      secrets: [],
      release: nothing,
    };
  }
  if (flags.outputs) {
    const { readOutputsFile } = await import('../engine/stack-outputs.js');
    return { aws, stackOutputs: await readOutputsFile(flags.outputs), env, secrets: [], release: nothing };
  }
  return { aws, env, secrets: [], release: nothing };
}
