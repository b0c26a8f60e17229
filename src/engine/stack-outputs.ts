/**
 * CloudFormation stack outputs, the usual source of a lab's inputs: read through DescribeStacks, or from a
 * file holding either what `aws cloudformation describe-stacks` prints or a flat {"key": "value"} map.
 */
import { readFile } from 'node:fs/promises';
import type { AwsSettings } from '../steps/types.js';
import { UsageError } from './errors.js';

export type StackOutputs = Record<string, string>;

export async function readOutputsFile(path: string): Promise<StackOutputs> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as { code?: string }).code;
    throw new UsageError(
      `cannot read outputs file ${path}: ${code === 'ENOENT' ? 'no such file' : (error as Error).message}`,
      'Save the stack outputs with: aws cloudformation describe-stacks --stack-name NAME > outputs.json',
    );
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`outputs file ${path} is not JSON: ${(error as Error).message}`);
  }
  const outputs = outputsFromJson(data);
  if (!outputs) {
    throw new UsageError(
      `outputs file ${path} holds neither describe-stacks output nor a flat map of strings`,
      'Expected {"Stacks":[{"Outputs":[{"OutputKey":...,"OutputValue":...}]}]} or {"clusterName": "..."}.',
    );
  }
  return outputs;
}

/** Outputs from describe-stacks JSON (first stack), an Outputs list, or a flat map; undefined otherwise. */
export function outputsFromJson(data: unknown): StackOutputs | undefined {
  if (data === null || typeof data !== 'object') return undefined;
  const record = data as Record<string, unknown>;
  if (Array.isArray(record.Stacks)) {
    const stack = record.Stacks[0] as { Outputs?: unknown } | undefined;
    return outputList(stack?.Outputs ?? []);
  }
  if (Array.isArray(record.Outputs)) return outputList(record.Outputs);
  if (Array.isArray(data)) return outputList(data);
  const flat: StackOutputs = {};
  for (const [key, value] of Object.entries(record)) {
    if (value === null || typeof value === 'object') return undefined;
    flat[key] = String(value);
  }
  return flat;
}

function outputList(list: unknown): StackOutputs | undefined {
  if (!Array.isArray(list)) return undefined;
  const outputs: StackOutputs = {};
  for (const item of list) {
    const { OutputKey, OutputValue } = (item ?? {}) as { OutputKey?: unknown; OutputValue?: unknown };
    if (typeof OutputKey !== 'string') return undefined;
    outputs[OutputKey] = OutputValue === undefined || OutputValue === null ? '' : String(OutputValue);
  }
  return outputs;
}

/** The outputs of a live stack, through the SDK (so the sandbox's endpoint works the same as AWS). */
export async function fetchStackOutputs(stackName: string, aws: AwsSettings): Promise<StackOutputs> {
  const { CloudFormationClient, DescribeStacksCommand } = await import('@aws-sdk/client-cloudformation');
  const client = new CloudFormationClient({
    retryMode: 'standard',
    ...(aws.region ? { region: aws.region } : {}),
    ...(aws.endpoint ? { endpoint: aws.endpoint } : {}),
    ...(aws.credentials ? { credentials: aws.credentials } : {}),
  });
  try {
    const out = await client.send(new DescribeStacksCommand({ StackName: stackName }));
    const stack = out.Stacks?.[0];
    if (!stack) throw new UsageError(`stack ${stackName} not found`);
    const outputs: StackOutputs = {};
    for (const o of stack.Outputs ?? []) if (o.OutputKey) outputs[o.OutputKey] = o.OutputValue ?? '';
    return outputs;
  } catch (error) {
    if (error instanceof UsageError) throw error;
    const e = error as { name?: string; message?: string };
    const hint =
      e.name === 'ValidationError'
        ? 'Check the stack name and the region (--region).'
        : /Region is missing/i.test(e.message ?? '')
          ? 'Pass --region or set AWS_REGION.'
          : /credential/i.test(e.message ?? '')
            ? 'Configure AWS credentials, or use --outputs FILE.'
            : undefined;
    throw new UsageError(
      `cannot read the outputs of stack ${stackName}: ${e.message ?? String(error)}`,
      hint,
    );
  } finally {
    client.destroy();
  }
}
