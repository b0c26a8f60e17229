/**
 * Every step type, listed explicitly. Adding a type is one file under src/steps/<type>/ plus one line here;
 * `satisfies` makes a missing or misspelled type a compile error.
 */
import type { StepTypeName } from '../runbook/types.js';
import { assertStep } from './assert/execute.js';
import { awsStep } from './aws/execute.js';
import { captureStep } from './capture/execute.js';
import { sqlStep } from './sql/execute.js';
import { sysbenchStep } from './sysbench/execute.js';
import type { StepType } from './types.js';
import { waitUntilStep } from './wait-until/execute.js';

export const stepTypes: Record<string, StepType> = {
  aws: awsStep,
  sql: sqlStep,
  sysbench: sysbenchStep,
  'wait-until': waitUntilStep,
  capture: captureStep,
  assert: assertStep,
} satisfies Record<StepTypeName, StepType>;

export function stepType(name: StepTypeName): StepType {
  return stepTypes[name]!;
}

/** Registers one more step type's executor (a type defined outside this folder, e.g. by a test). */
export function registerStepType(type: StepType): void {
  stepTypes[type.type] = type;
}
