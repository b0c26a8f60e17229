/**
 * The input and output shapes of RDS and CloudFormation operations, as static value types, from the
 * generated models (scripts/gen-aws-models.ts). The shape table is parsed on first use and each shape is
 * decoded once, so a runbook pays for the operations it uses and never loads the SDK.
 */
import type { ValueType } from '../../runbook/value-type.js';
import { MODELS_JSON } from './models.generated.js';

export type AwsService = 'rds' | 'cloudformation';

export interface OperationModel {
  input: ValueType & { kind: 'structure' };
  output: ValueType;
}

type Encoded = string | Array<string | number>;

interface Models {
  shapes: Encoded[];
  operations: Record<string, Record<string, [number, number]>>;
}

let models: Models | undefined;
const decoded: ValueType[] = [];

function load(): Models {
  models ??= JSON.parse(MODELS_JSON) as Models;
  return models;
}

function shape(index: number): ValueType {
  const known = decoded[index];
  if (known) return known;
  const entry = load().shapes[index];
  let type: ValueType;
  if (typeof entry === 'string') {
    type = PRIMITIVES[entry] ?? { kind: 'any' };
  } else {
    const [tag, ...rest] = entry as [string, ...Array<string | number>];
    if (tag === 'e') type = { kind: 'string', enum: rest as string[] };
    else if (tag === 'l') type = { kind: 'list', member: shape(rest[0] as number) };
    else if (tag === 'm') type = { kind: 'map', value: shape(rest[0] as number) };
    else if (tag === 'S') {
      const requiredCount = rest[0] as number;
      const members: Record<string, ValueType> = {};
      const names: string[] = [];
      for (let i = 1; i < rest.length; i += 2) {
        const name = rest[i] as string;
        names.push(name);
        members[name] = shape(rest[i + 1] as number);
      }
      type = { kind: 'structure', members, required: names.slice(0, requiredCount) };
    } else type = { kind: 'any' };
  }
  decoded[index] = type;
  return type;
}

const PRIMITIVES: Readonly<Record<string, ValueType>> = {
  s: { kind: 'string' },
  n: { kind: 'number' },
  b: { kind: 'boolean' },
  t: { kind: 'timestamp' },
  a: { kind: 'any' },
};

/** The operation's input and output shapes; undefined for an operation the models do not have. */
export function operationModel(service: AwsService, operation: string): OperationModel | undefined {
  const byOperation = load().operations[service];
  const entry = byOperation && Object.hasOwn(byOperation, operation) ? byOperation[operation] : undefined;
  if (!entry) return undefined;
  const input = shape(entry[0]);
  if (input.kind !== 'structure') return undefined;
  return { input, output: shape(entry[1]) };
}

/** Every operation the models have for a service, sorted. */
export function modelledOperations(service: AwsService): string[] {
  return Object.keys(load().operations[service] ?? {}).sort();
}
