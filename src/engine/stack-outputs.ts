/**
 * CloudFormation stack outputs, the usual source of a lab's inputs: read through DescribeStacks, or from a
 * file holding either what `aws cloudformation describe-stacks` prints or a flat {"key": "value"} map.
 *
 * Outputs are short values (names, endpoints, ARNs) that end up in every run record and journal, so they are
 * capped where they are read: the file or the DescribeStacks answer at MAX_OUTPUTS_BYTES, at most
 * MAX_OUTPUT_COUNT outputs (CloudFormation's own limit per stack) of MAX_OUTPUT_VALUE_CHARS each. Past a cap
 * the read stops there, with an error naming the output or the source.
 */
import { open } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import type { AwsSettings } from '../steps/types.js';
import { UsageError } from '../core/errors.js';

export type StackOutputs = Record<string, string>;

export const MAX_OUTPUTS_BYTES = 4 << 20;
export const MAX_OUTPUT_COUNT = 200;
export const MAX_OUTPUT_VALUE_CHARS = 4096;

const OUTPUTS_HINT = 'Stack outputs are short values (names, endpoints, ARNs); keep long data elsewhere.';

export async function readOutputsFile(path: string): Promise<StackOutputs> {
  let text: string;
  try {
    text = await readCapped(path);
  } catch (error) {
    if (error instanceof UsageError) throw error;
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
  return checkOutputs(outputs, `outputs file ${path}`);
}

/** The file's text, read no further than MAX_OUTPUTS_BYTES (so `/dev/zero` or a pipe cannot fill memory). */
async function readCapped(path: string): Promise<string> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(MAX_OUTPUTS_BYTES + 1);
    let length = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length > MAX_OUTPUTS_BYTES) {
        throw new UsageError(
          `outputs file ${path} is larger than ${mebibytes(MAX_OUTPUTS_BYTES)}, the most labrun reads`,
          OUTPUTS_HINT,
        );
      }
    }
    return buffer.subarray(0, length).toString('utf8');
  } finally {
    await handle.close();
  }
}

/** The outputs, unless there are too many or one is too long (named, with its length and the cap). */
export function checkOutputs(outputs: StackOutputs, source: string): StackOutputs {
  const entries = Object.entries(outputs);
  if (entries.length > MAX_OUTPUT_COUNT) {
    throw new UsageError(
      `${source} has ${entries.length.toLocaleString('en-US')} outputs; labrun reads at most ${MAX_OUTPUT_COUNT}`,
      OUTPUTS_HINT,
    );
  }
  for (const [key, value] of entries) {
    if (value.length > MAX_OUTPUT_VALUE_CHARS) {
      throw new UsageError(
        `stack output ${clip(key)} in ${source} is ${value.length.toLocaleString('en-US')} characters long; ` +
          `labrun reads outputs of at most ${MAX_OUTPUT_VALUE_CHARS.toLocaleString('en-US')} characters`,
        OUTPUTS_HINT,
      );
    }
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
  client.middlewareStack.add(
    (next) => async (args) => {
      const result = await next(args);
      const response = result.response as { body?: unknown };
      response.body = await collectCapped(response.body, stackName);
      return result;
    },
    // Innermost of the deserialize step: the raw answer, before the SDK parses it.
    { step: 'deserialize', priority: 'low', name: 'labrunStackOutputsAnswerCap' },
  );
  try {
    const out = await client.send(new DescribeStacksCommand({ StackName: stackName }));
    const stack = out.Stacks?.[0];
    if (!stack) throw new UsageError(`stack ${stackName} not found`);
    const outputs: StackOutputs = {};
    for (const o of stack.Outputs ?? []) if (o.OutputKey) outputs[o.OutputKey] = o.OutputValue ?? '';
    return checkOutputs(outputs, `stack ${stackName}`);
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

/** The DescribeStacks answer's bytes, refused once past MAX_OUTPUTS_BYTES (the rest is never read). */
async function collectCapped(body: unknown, stackName: string): Promise<Uint8Array> {
  const tooLarge = () =>
    new UsageError(
      `the DescribeStacks answer for stack ${stackName} is larger than ${mebibytes(MAX_OUTPUTS_BYTES)}, ` +
        'the most labrun reads',
      OUTPUTS_HINT,
    );
  if (body instanceof Uint8Array) {
    if (body.length > MAX_OUTPUTS_BYTES) throw tooLarge();
    return body;
  }
  const stream = body as Readable;
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of stream) {
    length += (chunk as Buffer).length;
    // Leaving the loop destroys the stream, so the rest of the answer is not read.
    if (length > MAX_OUTPUTS_BYTES) throw tooLarge();
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function mebibytes(bytes: number): string {
  return `${bytes / (1 << 20)} MiB`;
}

/** A key as an error message quotes it: whole when short. */
function clip(key: string): string {
  return key.length > 100 ? `${key.slice(0, 100)}…` : key;
}
