/** The engine's public surface: run or plan a compiled runbook, resolve its inputs, report on a run. */
export {
  runRunbook,
  exitCodeFor,
  DEFAULT_STEP_TIMEOUT_MS,
  type RunOptions,
  type RunResult,
} from './interpreter.js';
export { planRunbook, type PlannedStep, type PlanOptions } from './plan.js';
export { resolveRunInputs } from './inputs.js';
export { readOutputsFile, fetchStackOutputs, outputsFromJson, type StackOutputs } from './stack-outputs.js';
export { applyEvent, stableRecord, type RunRecord, type StepRecord } from './record.js';
export { junitXml } from './junit.js';
export {
  createRunStore,
  openRunStore,
  writeJsonAtomic,
  writeFileAtomic,
  newRunId,
  type RunStore,
} from './run-store.js';
export { Masker, MASK } from './mask.js';
export { systemClock, formatDuration, type Clock } from '../core/clock.js';
export { StepError, UsageError, type FailureKind, type AssertionResult } from '../core/errors.js';
export type * from './events.js';
export { resumeRun, readJournal, latestUnfinishedRun, type Journal, type ResumeOptions } from './resume.js';
export { prepareRerun, latestRunOf, type PreparedRerun, type RerunRequest } from './rerun.js';
