/**
 * The size of the lab stack's sbtest1, which the stack reports as its `tableSize` output (with the poll
 * intervals suited to the sandbox, see lab-stack.ts) so that runbooks read it instead of assuming the guide's
 * 1,000,000 rows. A stack built by an older labrun, without those outputs, gets them from a count of the rows;
 * a reload (`labrun sandbox up --table-size N --reload`) drops sbtest1 on the source cluster and loads N rows
 * with sysbench again, then updates the output.
 */
import type { ControlPlane } from './control-plane.js';
import { runSysbenchPrepare, sandboxSettingOutputs, type LabStackSpec } from './lab-stack.js';
import type { StackRecord } from './model.js';

/** The rows the stack says sbtest1 holds; undefined when it does not say (a stack of an older labrun). */
export function stackTableSize(stack: Pick<StackRecord, 'outputs'>): number | undefined {
  const value = stack.outputs.find((output) => output.key === 'tableSize')?.value;
  return value !== undefined && /^\d+$/.test(value) ? Number(value) : undefined;
}

/**
 * Makes the stack's setting outputs true: the table size added when missing (counted) and, with `reload`,
 * sbtest1 reloaded to `spec.tableSize` rows when it holds another number; the poll intervals set to this
 * labrun's. Returns the stack as it is now.
 */
export async function settleTableSize(
  control: ControlPlane,
  stack: StackRecord,
  spec: LabStackSpec,
  reload: boolean,
  progress: (line: string) => void,
): Promise<StackRecord> {
  let size = stackTableSize(stack);
  if (reload && size !== spec.tableSize) {
    const target = await sourceTarget(control, spec);
    progress(
      `Reloading ${spec.databaseName}.sbtest1 with ${spec.tableSize} rows (it held ${size ?? 'an unknown number of'})`,
    );
    await query(target, 'DROP TABLE IF EXISTS sbtest1');
    await runSysbenchPrepare({ ...target, tableSize: spec.tableSize }, progress);
    size = spec.tableSize;
  } else if (size === undefined) {
    const target = await sourceTarget(control, spec);
    const rows = (await query(target, 'SELECT COUNT(*) AS n FROM sbtest1')) as Array<{ n: number | string }>;
    size = Number(rows[0]?.n ?? 0);
    progress(`The stack ${stack.name} now reports sbtest1's ${size} rows as its tableSize output`);
  }
  const settings = sandboxSettingOutputs(size);
  const current = new Map(stack.outputs.map((output) => [output.key, output.value]));
  // Poll intervals of an older labrun are brought up to date too.
  if (settings.every((output) => current.get(output.key) === output.value)) return stack;
  const keys = new Set(settings.map((output) => output.key));
  const updated: StackRecord = {
    ...stack,
    outputs: [...stack.outputs.filter((output) => !keys.has(output.key)), ...settings],
  };
  await control.putStack(updated);
  return updated;
}

interface SourceTarget {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
}

async function sourceTarget(control: ControlPlane, spec: LabStackSpec): Promise<SourceTarget> {
  await control.whenIdle();
  const cluster = control.findCluster(spec.clusterId);
  if (cluster?.status !== 'available') {
    throw new Error(
      `The source cluster ${spec.clusterId} is ${cluster?.status ?? 'gone'}; sbtest1 cannot be reloaded`,
    );
  }
  return {
    host: cluster.host,
    port: cluster.port,
    user: spec.masterUsername,
    password: spec.masterPassword,
    database: spec.databaseName,
  };
}

async function query(target: SourceTarget, statement: string): Promise<unknown> {
  // Loaded here: `labrun sandbox up` reads the table size through this module without needing a driver.
  const { default: mysql } = await import('mysql2/promise');
  const connection = await mysql.createConnection({ ...target, connectTimeout: 30_000 });
  try {
    const [rows] = await connection.query(statement);
    return rows;
  } finally {
    await connection.end().catch(() => undefined);
  }
}
