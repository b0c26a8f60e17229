/**
 * The data plane's failures as data: a closed set of codes the control plane maps to API faults
 * (`BacktrackTimeOutOfRange` → InvalidParameterValue, `ClusterNotFound` → DBClusterNotFoundFault, ...), and a
 * message that already says what went wrong in words a user can act on, with the failing tool's own output.
 */

export type DataPlaneErrorCode =
  /** No cluster with that id has data on disk. */
  | 'ClusterNotFound'
  /** An id that cannot name a cluster directory (RDS identifiers: lower-case letters, digits, hyphens). */
  | 'InvalidClusterId'
  /** createCluster or cloneCluster was given an id that already has data on disk. */
  | 'ClusterAlreadyExists'
  /** A backtrack target before the earliest backtrack time or in the future. */
  | 'BacktrackTimeOutOfRange'
  /** mariadbd exited during start-up or did not become ready in time. */
  | 'ServerStartFailed'
  /** A MariaDB tool (mariadb-install-db, mariadb-backup, mariadb-binlog, mariadb) or cp failed. */
  | 'ToolFailed';

export class DataPlaneError extends Error {
  readonly code: DataPlaneErrorCode;

  constructor(code: DataPlaneErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DataPlaneError';
    this.code = code;
  }
}

export function isDataPlaneError(error: unknown, code?: DataPlaneErrorCode): error is DataPlaneError {
  return error instanceof DataPlaneError && (code === undefined || error.code === code);
}

/** The last `count` non-empty lines of a tool's output, for error messages. */
export function tailLines(text: string, count = 8): string {
  return text
    .split('\n')
    .map((line) => line.trimEnd())
    .filter((line) => line.length > 0)
    .slice(-count)
    .join('\n');
}
