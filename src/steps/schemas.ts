/** Every step type's schema fragment and docs, by type name. Adding a step type is one line here. */
import type { StepTypeName } from '../runbook/types.js';
import type { StepSchemaModule } from '../runbook/schema/fragment.js';
import * as assert from './assert/schema.js';
import * as aws from './aws/schema.js';
import * as capture from './capture/schema.js';
import * as sql from './sql/schema.js';
import * as sysbench from './sysbench/schema.js';
import * as waitUntil from './wait-until/schema.js';

export const stepSchemas = {
  aws,
  sql,
  sysbench,
  'wait-until': waitUntil,
  capture,
  assert,
} satisfies Record<StepTypeName, StepSchemaModule>;

export const STEP_TYPES = Object.keys(stepSchemas) as StepTypeName[];
