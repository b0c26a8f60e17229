/**
 * The sandbox as the rest of labrun sees it: bring it up, find it, describe it, take it down.
 * The daemon behind it serves the RDS and CloudFormation APIs over HTTP on loopback and manages
 * real mariadbd servers.
 */

export interface SandboxConnection {
  /** Base URL of the sandbox's API, e.g. http://127.0.0.1:7306 (use as AWS_ENDPOINT_URL). */
  endpoint: string;
  region: string;
  /** Name of the sandbox's CloudFormation stack, whose outputs a runbook reads. */
  stackName: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** Master credentials of the sandbox's source cluster (DBUSER / DBPASS). */
  dbUser: string;
  dbPassword: string;
  /** The 0600 file in the sandbox home that holds `dbPassword`; `sandbox env` points DBPASS at it. */
  dbPasswordFile: string;
  /** Whether the sandbox runs in strict mode (see `SandboxUpOptions.strict`). */
  strict: boolean;
}

export interface SandboxOptions {
  /** Directory holding the sandbox's state and data; default $LABRUN_SANDBOX_HOME or ~/.labrun/sandbox. */
  home?: string;
  /** Called with human-readable progress lines while bringing the sandbox up. */
  onProgress?: (line: string) => void;
}

export interface SandboxUpOptions extends SandboxOptions {
  /**
   * Rows loaded into sbtest1 by sysbench when the source cluster is first created (default 1,000,000). A
   * sandbox that exists with another number is refused (a SandboxError with `refused`), unless
   * `reload` is set: sbtest1 is then reloaded to this size, restarting a running daemon.
   */
  tableSize?: number;
  reload?: boolean;
  /** API port on 127.0.0.1 (default $LABRUN_SANDBOX_PORT or 7306; 0 picks a free port). */
  port?: number;
  /**
   * First loopback address handed to a cluster (the source cluster gets it); default
   * $LABRUN_SANDBOX_HOST_BASE or 127.0.1.1. Only read when the daemon starts.
   */
  hostBase?: string;
  /** How long to wait for the daemon to become ready, in milliseconds (default 20 minutes). */
  timeoutMs?: number;
  /**
   * Strict mode: the RDS API refuses what today's AWS refuses where the sandbox is otherwise lenient (engine
   * `aurora`, Aurora MySQL 1 versions, instance classes not offered for Aurora MySQL 3 such as db.r4.large).
   * Default $LABRUN_SANDBOX_STRICT (`1` or `0`), else lenient. Only read when the daemon starts: asking for
   * the other mode than the running sandbox's is refused.
   */
  strict?: boolean;
}

export interface SandboxStatus {
  running: boolean;
  /** The API endpoint, when running. */
  endpoint?: string;
  /** Whether the running sandbox is in strict mode; undefined when not running. */
  strict?: boolean;
  home: string;
  clusters: Array<{
    id: string;
    status: string;
    endpoint?: string;
    instances: Array<{ id: string; status: string }>;
    dataBytes: number;
  }>;
  /**
   * Clusters whose data is on disk (`<home>/clusters/<id>/`) but that the registry does not list: left
   * untouched, neither served nor deleted; move or delete the directory by hand.
   */
  unregistered: Array<{ id: string; dir: string; dataBytes: number }>;
  /** Rows in the source cluster's sbtest1, as the lab stack's `tableSize` output says. */
  tableSize?: number;
}

export { sandboxHome, sandboxEnvLines, sandboxPasswordFile } from './control/sandbox-env.js';
export {
  sandboxUp,
  findSandbox,
  sandboxDown,
  sandboxStatus,
  SandboxError,
} from './control/sandbox-lifecycle.js';
