/** Every step type's static facets, by type name. Light to load: `labrun validate` uses it. */
import type { StepTypeName } from '../runbook/types.js';
import { assertStatics } from './assert/static.js';
import { awsStatics } from './aws/static.js';
import { captureStatics } from './capture/static.js';
import { sqlStatics } from './sql/static.js';
import type { StepStatics } from './static-types.js';
import { sysbenchStatics } from './sysbench/static.js';
import { waitUntilFacets } from './wait-until/facets.js';
import { waitUntilStatics } from './wait-until/static.js';

export const stepStatics = {
  aws: awsStatics,
  sql: sqlStatics,
  sysbench: sysbenchStatics,
  'wait-until': { ...waitUntilFacets, ...waitUntilStatics },
  capture: captureStatics,
  assert: assertStatics,
} satisfies Record<StepTypeName, StepStatics>;
