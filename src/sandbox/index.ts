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
}

export interface SandboxOptions {
  /** Directory holding the sandbox's state and data; default $LABRUN_SANDBOX_HOME or ~/.labrun/sandbox. */
  home?: string;
  /** Called with human-readable progress lines while bringing the sandbox up. */
  onProgress?: (line: string) => void;
}

export interface SandboxUpOptions extends SandboxOptions {
  /** Rows loaded into sbtest1 by sysbench when the source cluster is first created (default 1,000,000). */
  tableSize?: number;
  /** API port on 127.0.0.1 (default $LABRUN_SANDBOX_PORT or 7306). */
  port?: number;
}
