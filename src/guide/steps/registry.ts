/** Every step type's guide translator, by type name. */
import type { StepTypeName } from '../../runbook/types.js';
import { assertGuide } from './assert.js';
import { awsGuide } from './aws.js';
import { captureGuide } from './capture.js';
import { sqlGuide } from './sql.js';
import { sysbenchGuide } from './sysbench.js';
import type { StepTranslator } from './types.js';
import { waitUntilGuide } from './wait-until.js';

export const stepTranslators = {
  aws: awsGuide,
  sql: sqlGuide,
  sysbench: sysbenchGuide,
  'wait-until': waitUntilGuide,
  capture: captureGuide,
  assert: assertGuide,
} satisfies Record<StepTypeName, StepTranslator>;
