/**
 * The sandbox's stand-in for the lab's CloudFormation stack: the source cluster (backtrack enabled, as the
 * lab template makes it; Aurora MySQL 3, as a stack made today is) with one instance, `sbtest1` loaded by the real sysbench, and a stack whose outputs
 * carry the names a runbook reads. Built through the same control-plane operations the RDS API uses.
 */
import { execa } from 'execa';
import { withSysbenchPassword } from '../../core/private-file.js';
import { ACCOUNT_ID, type StackRecord } from './model.js';
import type { ControlPlane } from './control-plane.js';
import { newUuid } from './identifiers.js';

export interface LabStackSpec {
  stackName: string;
  clusterId: string;
  masterUsername: string;
  masterPassword: string;
  databaseName: string;
  /** Rows sysbench loads into sbtest1. */
  tableSize: number;
  backtrackWindow: number;
}

/**
 * The sandbox's region. Not us-east-1: the aws CLI v1 pins `aws rds` in us-east-1 to https://rds.amazonaws.com
 * and ignores AWS_ENDPOINT_URL there, so `eval "$(labrun sandbox env)"` would not reach the sandbox.
 */
export const SANDBOX_REGION = 'us-west-2';

export const DEFAULT_LAB_STACK: LabStackSpec = {
  stackName: 'auroralab',
  clusterId: 'auroralab-mysql-cluster',
  masterUsername: 'masteruser',
  masterPassword: 'Password1',
  databaseName: 'mylab',
  tableSize: 1_000_000,
  backtrackWindow: 86400,
};

/**
 * The source cluster as a lab stack created today makes it: Aurora MySQL 3 (`aurora-mysql`, MySQL 8.0
 * compatible) on a current Graviton class, not the 2019 guide's `aurora` on db.r4.large.
 */
export const LAB_ENGINE = 'aurora-mysql';
export const LAB_ENGINE_VERSION = '8.0.mysql_aurora.3.10.0';
export const LAB_INSTANCE_CLASS = 'db.r6g.large';

/**
 * Poll intervals suited to the sandbox, served as stack outputs for runbooks' `pollInterval` and
 * `pollMaxInterval` inputs: its creates, deletes and backtracks take a second or two, not the minutes AWS
 * takes, so the AWS-tuned 1 s doubling up to 30 s would mostly wait after the work is done. A steady 100 ms
 * (a Describe call on loopback costs a few milliseconds) finds a backtrack done about 50 ms after it is.
 */
export const SANDBOX_POLL_OUTPUTS = { pollInterval: '100ms', pollMaxInterval: '100ms' } as const;

/** The stack outputs that say how the sandbox differs from AWS: sbtest1's rows and the poll intervals. */
export function sandboxSettingOutputs(tableSize: number): StackRecord['outputs'] {
  return [
    { key: 'tableSize', value: String(tableSize), description: 'Rows sysbench loaded into sbtest1' },
    {
      key: 'pollInterval',
      value: SANDBOX_POLL_OUTPUTS.pollInterval,
      description: 'First interval between status polls suited to the sandbox',
    },
    {
      key: 'pollMaxInterval',
      value: SANDBOX_POLL_OUTPUTS.pollMaxInterval,
      description: 'Longest interval between status polls suited to the sandbox',
    },
  ];
}

const SECURITY_GROUP = 'sg-0a1b2c3d4e5f60001';
const SUBNET_GROUP_SUFFIX = '-db-subnet-group';
const VPC_ID = 'vpc-0a1b2c3d4e5f60001';

/**
 * Creates the lab stack unless it already exists. A source cluster left behind by an earlier attempt that
 * failed half-way is deleted and made again, since its data cannot be trusted.
 */
export async function ensureLabStack(
  control: ControlPlane,
  spec: LabStackSpec,
  progress: (line: string) => void,
): Promise<StackRecord> {
  const existing = control.describeStacks().find((stack) => stack.name === spec.stackName);
  if (existing) return existing;

  await removeLeftovers(control, spec.clusterId, progress);

  progress(`Creating the source cluster ${spec.clusterId}`);
  await control.createCluster({
    id: spec.clusterId,
    engine: LAB_ENGINE,
    engineVersion: LAB_ENGINE_VERSION,
    masterUsername: spec.masterUsername,
    masterUserPassword: spec.masterPassword,
    databaseName: spec.databaseName,
    backtrackWindow: spec.backtrackWindow,
    vpcSecurityGroupIds: [SECURITY_GROUP],
    dbSubnetGroupName: spec.stackName + SUBNET_GROUP_SUFFIX,
  });
  await waitForCluster(control, spec.clusterId, 'available');

  const instanceId = `${spec.stackName}-mysql-node-01`;
  progress(`Creating the DB instance ${instanceId}`);
  await control.createInstance({
    id: instanceId,
    clusterId: spec.clusterId,
    instanceClass: LAB_INSTANCE_CLASS,
    engine: LAB_ENGINE,
  });
  await waitForInstance(control, instanceId);

  const cluster = control.findCluster(spec.clusterId);
  if (!cluster) throw new Error(`The source cluster ${spec.clusterId} disappeared while it was being set up`);
  progress(`Loading ${spec.tableSize} rows into ${spec.databaseName}.sbtest1 with sysbench`);
  await runSysbenchPrepare(
    {
      host: cluster.host,
      port: cluster.port,
      user: spec.masterUsername,
      password: spec.masterPassword,
      database: spec.databaseName,
      tableSize: spec.tableSize,
    },
    progress,
  );

  const stack: StackRecord = {
    name: spec.stackName,
    id: `arn:aws:cloudformation:${control.region}:${ACCOUNT_ID}:stack/${spec.stackName}/${newUuid()}`,
    createdAt: new Date().toISOString(),
    status: 'CREATE_COMPLETE',
    description: 'Amazon Aurora MySQL labs: local sandbox (backtrack enabled)',
    outputs: [
      { key: 'clusterName', value: cluster.id, description: 'Aurora Cluster Name' },
      { key: 'clusterEndpoint', value: cluster.host, description: 'Aurora Cluster Endpoint' },
      { key: 'readerEndpoint', value: cluster.host, description: 'Aurora Reader Endpoint' },
      { key: 'clusterPort', value: String(cluster.port), description: 'Aurora Cluster Port' },
      { key: 'databaseName', value: spec.databaseName, description: 'Database created with the cluster' },
      { key: 'dbSubnetGroup', value: cluster.dbSubnetGroup, description: 'Database Subnet Group' },
      { key: 'dbSecurityGroup', value: SECURITY_GROUP, description: 'Database Security Group' },
      { key: 'vpcId', value: VPC_ID, description: 'Lab VPC' },
      {
        key: 'secretArn',
        value: `arn:aws:secretsmanager:${control.region}:${ACCOUNT_ID}:secret:${spec.stackName}-secret-Sbx01`,
        description: 'Database Credentials Secret ARN',
      },
      ...sandboxSettingOutputs(spec.tableSize),
    ],
  };
  await control.putStack(stack);
  progress(`Stack ${spec.stackName} is ready`);
  return stack;
}

async function removeLeftovers(control: ControlPlane, clusterId: string, progress: (line: string) => void) {
  const cluster = control.findCluster(clusterId);
  if (!cluster) return;
  progress(`Removing ${clusterId}, left incomplete by an earlier start`);
  await control.whenIdle();
  for (const view of control.describeInstances(undefined, [{ name: 'db-cluster-id', values: [clusterId] }])) {
    if (view.instance.status !== 'deleting') await control.deleteInstance(view.instance.id);
  }
  await control.whenIdle();
  if (control.findCluster(clusterId)) {
    await control.deleteCluster({ id: clusterId, skipFinalSnapshot: true });
    await control.whenIdle();
  }
  if (control.findCluster(clusterId)) throw new Error(`Could not remove the incomplete cluster ${clusterId}`);
}

async function waitForCluster(control: ControlPlane, id: string, status: string): Promise<void> {
  await control.whenIdle();
  const cluster = control.findCluster(id);
  if (cluster?.status !== status) {
    throw new Error(
      `Cluster ${id} is ${cluster?.status ?? 'gone'}: ${cluster?.statusCause ?? 'no cause recorded'}`,
    );
  }
}

async function waitForInstance(control: ControlPlane, id: string): Promise<void> {
  await control.whenIdle();
  const instance = control.findInstance(id);
  if (instance?.status !== 'available') {
    throw new Error(
      `Instance ${id} is ${instance?.status ?? 'gone'}: ${instance?.statusCause ?? 'no cause recorded'}`,
    );
  }
}

export interface SysbenchTarget {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
  tableSize: number;
}

/** `sysbench oltp_write_only … prepare`, exactly as the lab guide runs it, relaying its output lines. */
export async function runSysbenchPrepare(
  target: SysbenchTarget,
  progress: (line: string) => void,
): Promise<void> {
  const args = [
    'oltp_write_only',
    '--threads=1',
    `--mysql-host=${target.host}`,
    `--mysql-port=${target.port}`,
    `--mysql-user=${target.user}`,
    `--mysql-db=${target.database}`,
    '--tables=1',
    `--table-size=${target.tableSize}`,
    'prepare',
  ];
  // The password reaches sysbench through a private config file, never its command line.
  await withSysbenchPassword(target.password, (passwordArgs) =>
    runPrepare([...passwordArgs, ...args], progress),
  );
}

async function runPrepare(args: string[], progress: (line: string) => void): Promise<void> {
  const child = execa('sysbench', args, { all: true, reject: false, lines: false });
  let output = '';
  child.all?.on('data', (chunk: Buffer) => {
    const text = chunk.toString('utf8');
    output += text;
    for (const line of text.split('\n')) if (line.trim()) progress(`sysbench: ${line.trim()}`);
  });
  const result = await child;
  if (result.failed) {
    const reason = result.exitCode === undefined ? result.shortMessage : `exit code ${result.exitCode}`;
    throw new Error(
      `sysbench prepare failed (${reason}): ${output.trim().split('\n').slice(-5).join(' | ')}`,
    );
  }
}
