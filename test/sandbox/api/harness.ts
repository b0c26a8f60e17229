/**
 * A sandbox API on 127.0.0.1:<free port> over a temporary home, with the real MariaDB data plane and real
 * SDK clients pointed at it. `close()` stops every mariadbd it started and deletes the home.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { RDSClient } from '@aws-sdk/client-rds';
import { startApiServer, type ApiServer } from '../../../src/sandbox/api/server.js';
import { ControlPlane } from '../../../src/sandbox/control/control-plane.js';
import {
  DEFAULT_LAB_STACK,
  ensureLabStack,
  type LabStackSpec,
} from '../../../src/sandbox/control/lab-stack.js';
import { RegistryStore } from '../../../src/sandbox/control/registry-store.js';
import { createMariaDbDataPlane } from '../../../src/sandbox/mariadb/index.js';

export interface ApiHarness {
  home: string;
  control: ControlPlane;
  server: ApiServer;
  rds: RDSClient;
  cfn: CloudFormationClient;
  logs: string[];
  /** Stops the API and the servers, keeping the home (for a restart over the same state). */
  stop(): Promise<void>;
  /** Stops everything and deletes the home. */
  close(): Promise<void>;
}

export interface HarnessOptions {
  hostBase: string;
  transitionDelayMs?: number;
  /** Region the control plane reports and the SDK clients use (default us-east-1). */
  region?: string;
  /** Reuse a home (after `stop()`), instead of a fresh temporary one. */
  home?: string;
  /** Run the control plane in strict mode (refuse what today's AWS refuses). */
  strict?: boolean;
}

export async function startHarness(options: HarnessOptions): Promise<ApiHarness> {
  const home = options.home ?? (await mkdtemp(path.join(tmpdir(), 'labrun-api-')));
  const logs: string[] = [];
  const log = (line: string) => logs.push(line);
  const control = new ControlPlane({
    dataPlane: createMariaDbDataPlane({ home, log }),
    store: new RegistryStore(home),
    hostBase: options.hostBase,
    region: options.region ?? 'us-east-1',
    log,
    transitionDelayMs: options.transitionDelayMs,
    strict: options.strict,
  });
  await control.resume();
  const server = await startApiServer({ control, port: 0, log });
  const clientConfig = {
    endpoint: server.url,
    region: options.region ?? 'us-east-1',
    credentials: { accessKeyId: 'sandbox', secretAccessKey: 'sandbox' },
    maxAttempts: 1,
  };
  const rds = new RDSClient(clientConfig);
  const cfn = new CloudFormationClient(clientConfig);
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    rds.destroy();
    cfn.destroy();
    await server.close();
    await control.shutdown();
  };
  return {
    home,
    control,
    server,
    rds,
    cfn,
    logs,
    stop,
    async close() {
      await stop();
      await rm(home, { recursive: true, force: true });
    },
  };
}

/** The lab stack with a small sbtest1, built as the daemon builds it. */
export async function createSmallLabStack(harness: ApiHarness, tableSize = 2000): Promise<LabStackSpec> {
  const spec = { ...DEFAULT_LAB_STACK, tableSize };
  await ensureLabStack(harness.control, spec, (line) => harness.logs.push(`progress: ${line}`));
  return spec;
}

/** Resolves once `probe` returns true, polling every 50 ms; fails after `timeoutMs`. */
export async function eventually(probe: () => Promise<boolean> | boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
