/**
 * The sandbox's stack says how it differs from AWS (issue 10, item 7): its `tableSize` output is the number of
 * rows sbtest1 holds and `pollInterval` / `pollMaxInterval` suit its second-scale operations, and the seed
 * runbooks read them. `labrun sandbox up --table-size N` on a sandbox that holds another number refuses
 * (exit 2, saying what it holds and how to reload) and `--reload` reloads sbtest1; a stack made before these
 * outputs existed gets them from a count of the rows.
 */
import assert from 'node:assert/strict';
import { readFile, writeFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { fetchStackOutputs } from '../../src/engine/stack-outputs.js';
import { findSandbox } from '../../src/sandbox/index.js';
import { labrun as labrunCli } from '../helpers/labrun-cli.js';

// As the CLI does: the SDK's notice that Node 20 support ends in 2027 is noise in test output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

describe('the sandbox stack reports its table size and poll intervals (node dist/cli/main.js)', function () {
  this.timeout(600_000);
  let home: string;
  const env = (): Record<string, string> => ({
    LABRUN_SANDBOX_HOME: home,
    LABRUN_SANDBOX_PORT: '0',
    LABRUN_SANDBOX_HOST_BASE: '127.0.37.1',
  });
  const labrun = (args: string[]) => labrunCli(args, { env: env(), timeout: 300_000 });

  before(async () => {
    home = await mkdtemp(join(tmpdir(), 'labrun-table-size-'));
  });
  after(async () => {
    if (home) await labrun(['sandbox', 'down', '--purge']);
    await rm(home, { recursive: true, force: true });
  });

  const outputs = async (): Promise<Record<string, string>> => {
    const connection = await findSandbox({ home });
    assert.ok(connection, 'the sandbox is running');
    return fetchStackOutputs(connection.stackName, {
      endpoint: connection.endpoint,
      region: connection.region,
      credentials: { accessKeyId: connection.accessKeyId, secretAccessKey: connection.secretAccessKey },
    });
  };
  const rows = async (): Promise<number> => {
    const connection = await findSandbox({ home });
    const out = await outputs();
    const db = await mysql.createConnection({
      host: out.clusterEndpoint,
      user: connection!.dbUser,
      password: connection!.dbPassword,
      database: out.databaseName,
    });
    try {
      const [result] = await db.query('SELECT COUNT(*) AS n FROM sbtest1');
      return Number((result as Array<{ n: number }>)[0]!.n);
    } finally {
      await db.end();
    }
  };

  it('reports the rows it loaded and its poll intervals; the seed runbooks plan with them', async () => {
    const up = await labrun(['sandbox', 'up', '--table-size', '1200']);
    assert.equal(up.exitCode, 0, `${up.stdout}\n${up.stderr}`);
    const out = await outputs();
    assert.equal(out.tableSize, '1200');
    assert.equal(out.pollInterval, '100ms');
    assert.equal(out.pollMaxInterval, '100ms');
    assert.equal(await rows(), 1200);

    const plan = await labrun(['plan', 'runbooks/aurora-clone-backtrack.yaml', '--sandbox']);
    assert.equal(plan.exitCode, 0, plan.stderr);
    assert.match(plan.stdout, /--table-size=1200\b/, "the re-created table gets the sandbox's size");
    assert.match(plan.stdout, /"interval":"100ms","backoff":1\.5,"maxInterval":"100ms"/);
    // --set still wins over the stack.
    const set = await labrun([
      'plan',
      'runbooks/aurora-clone-backtrack.yaml',
      '--sandbox',
      '--set',
      'tableSize=77',
      '--set',
      'pollInterval=2s',
    ]);
    assert.match(set.stdout, /--table-size=77\b/);
    assert.match(set.stdout, /"interval":"2s"/);
  });

  it('refuses `sandbox up --table-size N` on a sandbox holding another number, and leaves it as it is', async () => {
    const up = await labrun(['sandbox', 'up', '--table-size', '900']);
    assert.equal(up.exitCode, 2, `${up.stdout}\n${up.stderr}`);
    assert.match(
      up.stderr,
      /labrun: sandbox: the sandbox's sbtest1 holds 1200 rows, not the 900 asked for; .*labrun sandbox up --table-size 900 --reload/,
    );
    assert.equal((await outputs()).tableSize, '1200');
    assert.equal(await rows(), 1200);
    const same = await labrun(['sandbox', 'up', '--table-size', '1200']);
    assert.equal(same.exitCode, 0, 'the same size is no problem');
    const bare = await labrun(['sandbox', 'up']);
    assert.equal(bare.exitCode, 0, 'no size asked for: whatever it holds');
    const lone = await labrun(['sandbox', 'up', '--reload']);
    assert.equal(lone.exitCode, 2);
    assert.match(lone.stderr, /--reload needs --table-size/);
  });

  it('`--reload` reloads sbtest1 to the new size and the stack says so', async () => {
    const up = await labrun(['sandbox', 'up', '--table-size', '900', '--reload']);
    assert.equal(up.exitCode, 0, `${up.stdout}\n${up.stderr}`);
    assert.match(up.stderr, /Reloading mylab\.sbtest1 with 900 rows \(it held 1200\)/);
    assert.equal((await outputs()).tableSize, '900');
    assert.equal(await rows(), 900);
    const status = await labrun(['sandbox', 'status']);
    assert.match(status.stdout, /^sbtest1: 900 rows$/m);
  });

  it('`--reload` on a stopped sandbox reloads sbtest1 as the daemon starts', async () => {
    assert.equal((await labrun(['sandbox', 'down'])).exitCode, 0);
    const up = await labrun(['sandbox', 'up', '--table-size', '700', '--reload']);
    assert.equal(up.exitCode, 0, `${up.stdout}\n${up.stderr}`);
    assert.match(up.stderr, /Reloading mylab\.sbtest1 with 700 rows \(it held 900\)/);
    assert.equal((await outputs()).tableSize, '700');
    assert.equal(await rows(), 700);
  });

  it('gives a stack made before these outputs existed its table size from a count of the rows', async () => {
    const down = await labrun(['sandbox', 'down']);
    assert.equal(down.exitCode, 0);
    const registryFile = join(home, 'registry.json');
    const registry = JSON.parse(await readFile(registryFile, 'utf8')) as {
      stacks: Array<{ outputs: Array<{ key: string }> }>;
    };
    const old = new Set(['tableSize', 'pollInterval', 'pollMaxInterval']);
    for (const stack of registry.stacks) stack.outputs = stack.outputs.filter((o) => !old.has(o.key));
    await writeFile(registryFile, JSON.stringify(registry));
    const up = await labrun(['sandbox', 'up']);
    assert.equal(up.exitCode, 0, `${up.stdout}\n${up.stderr}`);
    const out = await outputs();
    assert.equal(out.tableSize, '700');
    assert.equal(out.pollInterval, '100ms');
  });
});
