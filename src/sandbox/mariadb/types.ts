/**
 * The contract between the sandbox's control plane (the RDS and CloudFormation APIs) and its data plane
 * (real mariadbd servers). The control plane owns identifiers, statuses and API shapes; the data plane owns
 * processes, data directories, binlogs and time.
 */

export interface ClusterStorageSpec {
  /** The DB cluster identifier, lower-case. Used as the directory name. */
  id: string;
  /** Loopback address the cluster's mariadbd listens on, e.g. 127.0.1.1. */
  host: string;
  /** Port, 3306 for the lab. */
  port: number;
  masterUsername: string;
  masterPassword: string;
  /** Database created with the cluster, e.g. mylab. */
  databaseName?: string;
}

export interface BacktrackOutcome {
  /** The consistent instant the cluster now reflects (whole seconds). */
  backtrackedTo: Date;
  /** How many binlog events were replayed to get there. */
  replayedEvents: number;
}

export interface ClusterDataInfo {
  id: string;
  running: boolean;
  /** Bytes used by the data directory, retained bases and binlogs. */
  dataBytes: number;
  /** The earliest instant the cluster can be backtracked to. */
  earliestBacktrackTime: Date;
  /** Number of change records (binlog events) retained for backtrack. */
  changeRecords: number;
  /** Process id of the running mariadbd, if any. */
  pid?: number;
}

export interface BacktrackOptions {
  /**
   * The cluster's backtrack window in seconds. After the backtrack, history that only served times more than
   * this long ago (whole epochs, their snapshots and binlogs) is deleted; the earliest backtrack time moves up.
   */
  windowSeconds?: number;
}

export interface CloneOptions {
  /** Copy the source as it was at this instant rather than as it is now. */
  restoreTo?: Date;
}

export interface DataPlane {
  /** Creates an empty cluster (data directory, master user, database) and leaves its server running. */
  createCluster(spec: ClusterStorageSpec): Promise<void>;
  /**
   * Makes `target` a consistent hot copy of `sourceId` as it is now (the source must be running), with the
   * same contents and credentials. The clone's server is left stopped. Returns the instant the copy reflects.
   * With `options.restoreTo`, the copy is of the source as it was at that instant (a point-in-time restore,
   * 1-second resolution, within the source's backtrack range); `copiedAt` is then when the copy was made.
   */
  cloneCluster(
    sourceId: string,
    target: ClusterStorageSpec,
    options?: CloneOptions,
  ): Promise<{ copiedAt: Date }>;
  /**
   * Starts serving SQL on the cluster's host:port. Idempotent. A first start returns once the server serves;
   * sealing the copy it started from goes on in the background, before any later operation on the cluster.
   */
  start(id: string): Promise<void>;
  /** Resolves once everything queued on the cluster (the background seal of a first start included) is done. */
  settle(id: string): Promise<void>;
  /** Stops the server, closing all connections. Idempotent. */
  stop(id: string): Promise<void>;
  /**
   * Rewinds the cluster in place to its state at `to` (1-second resolution); restarts it if it was running.
   * History outside `options.windowSeconds` is pruned afterwards.
   */
  backtrack(id: string, to: Date, options?: BacktrackOptions): Promise<BacktrackOutcome>;
  /** Stops the server and deletes all the cluster's data. */
  destroy(id: string): Promise<void>;
  info(id: string): Promise<ClusterDataInfo>;
  /** Clusters with data on disk. */
  list(): Promise<string[]>;
  /** Stops every server this data plane started. */
  shutdown(): Promise<void>;
}
