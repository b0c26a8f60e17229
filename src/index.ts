/**
 * labrun as a library: compile a runbook, resolve its inputs, plan or run it, and read the record. The
 * library never prints and never exits; the CLI in src/cli is one consumer of these functions.
 */
export * from './runbook/index.js';
export * from './engine/index.js';
export { stepTypes } from './steps/registry.js';
export type * from './steps/types.js';
export type { SandboxConnection, SandboxOptions, SandboxUpOptions, SandboxStatus } from './sandbox/index.js';
export {
  sandboxHome,
  sandboxUp,
  findSandbox,
  sandboxDown,
  sandboxStatus,
  sandboxEnvLines,
} from './sandbox/index.js';
