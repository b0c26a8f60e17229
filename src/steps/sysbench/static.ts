/** The sysbench step type's static facets: see ../static-types.ts. */
import type { StepStatics } from '../static-types.js';

export const sysbenchStatics: StepStatics = {};
