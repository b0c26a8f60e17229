/**
 * The sandbox's data plane: real mariadbd servers that are created, cloned (hot copies) and backtracked
 * (rebuilt from snapshots and binlog replay), behind the `DataPlane` contract in types.ts.
 */
export { createMariaDbDataPlane, MariaDbDataPlane } from './data-plane.js';
export type { MariaDbDataPlaneOptions } from './data-plane.js';
export { DataPlaneError, isDataPlaneError } from './errors.js';
export type { DataPlaneErrorCode } from './errors.js';
export { startMariaDbServer, findRunningServer, stopPid } from './server.js';
export type { MariaDbServer, MariaDbServerOptions } from './server.js';
export { installDataDirectory } from './install.js';
export { defaultTools } from './tools.js';
export type { MariaDbTools } from './tools.js';
export type {
  BacktrackOptions,
  BacktrackOutcome,
  ClusterDataInfo,
  ClusterStorageSpec,
  CloneOptions,
  DataPlane,
} from './types.js';
