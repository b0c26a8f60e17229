/**
 * The `restart` fault: a cluster's mariadbd killed with SIGKILL and started again (InnoDB crash recovery).
 *
 * - Data plane (127.0.33.10-29): a client reading in a loop sees the server go away and come back with the
 *   same data; committed writes survive; backtracks to seconds before, across and after the crash land on the
 *   data the cluster held then; a torn event at the end of the crashed binlog does not break a replay; a
 *   restart waits for a backtrack on the same cluster, and a shutdown waits for a restart.
 * - Control plane: the fault waits while its cluster has no instance and gives up on a deleted cluster.
 * - The Part 3 lab through `labrun run --sandbox` (127.0.33.101-): under `restart=` of the source and of the
 *   clone it passes or fails with a clear message, leaves only the source cluster, never shows the password,
 *   and `sandbox down` leaves no mariadbd behind; the daemon log shows that the restart happened.
 */
import assert from 'node:assert/strict';
import { appendFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { ControlPlane } from '../../../src/sandbox/control/control-plane.js';
import { listBinlogFiles, readEventHeaders } from '../../../src/sandbox/mariadb/binlog-scan.js';
import {
  createMariaDbDataPlane,
  isDataPlaneError,
  type MariaDbDataPlane,
} from '../../../src/sandbox/mariadb/index.js';
import { clusterPaths, epochBinlogDir } from '../../../src/sandbox/mariadb/layout.js';
import type { ClusterStorageSpec } from '../../../src/sandbox/mariadb/types.js';
import { labrun } from '../../helpers/labrun-cli.js';
import { auditDir, auditSandboxHome } from '../../helpers/secret-audit.js';
import { assertOnlySourceCluster } from '../../helpers/sandbox-state.js';
import { freeHost, serversOf } from '../../helpers/loopback.js';

const PASSWORD = 'Password1';

describe('restart fault: the data plane crashes and restarts a server', function () {
  this.timeout(180_000);
  let home = '';
  let plane: MariaDbDataPlane;
  let spec: ClusterStorageSpec;
  const log: string[] = [];

  before(async () => {
    home = await mkdtemp(join(tmpdir(), 'labrun-restart-'));
    plane = createMariaDbDataPlane({ home, log: (line) => log.push(line) });
    spec = {
      id: 'crashy',
      host: await freeHost('127.0.33', 10, 29),
      port: 3306,
      masterUsername: 'masteruser',
      masterPassword: PASSWORD,
      databaseName: 'mylab',
    };
    await plane.createCluster(spec);
    await nextSecond();
    await sql(
      'CREATE TABLE t (id INT PRIMARY KEY, k INT NOT NULL, c CHAR(60) NOT NULL)',
      'INSERT INTO t SELECT seq, seq % 97, SHA1(seq) FROM seq_1_to_2000',
      'CREATE TABLE w (id INT PRIMARY KEY, c CHAR(60) NOT NULL)',
    );
  });
  after(async () => {
    await plane?.shutdown().catch(() => undefined);
    if (home) await rm(home, { recursive: true, force: true });
  });

  async function connect(): Promise<mysql.Connection> {
    return mysql.createConnection({
      host: spec.host,
      user: 'masteruser',
      password: PASSWORD,
      database: 'mylab',
    });
  }
  async function sql<T = Record<string, unknown>>(...statements: string[]): Promise<T[]> {
    const connection = await connect();
    try {
      let rows: unknown = [];
      for (const statement of statements) [rows] = await connection.query(statement);
      return rows as T[];
    } finally {
      await connection.end();
    }
  }
  const checksum = async (table: string) =>
    (await sql<{ Checksum: number }>(`CHECKSUM TABLE ${table}`))[0]!.Checksum;
  const serverSecond = async () =>
    new Date(Number((await sql<{ s: number }>('SELECT UNIX_TIMESTAMP() AS s'))[0]!.s) * 1000);

  it('lets a reading client see the server go away and come back with the same data', async () => {
    const original = await checksum('t');
    const before = await plane.info(spec.id);
    const seen = { ok: 0, okAfter: 0, errors: new Set<string>(), checksums: new Set<number>() };
    let restarted = false;
    let reading = true;
    const reader = (async () => {
      let connection: mysql.Connection | undefined;
      while (reading) {
        try {
          connection ??= await connect();
          const [rows] = await connection.query('CHECKSUM TABLE t');
          seen.checksums.add((rows as Array<{ Checksum: number }>)[0]!.Checksum);
          seen.ok += 1;
          if (restarted) seen.okAfter += 1;
        } catch (error) {
          seen.errors.add(String((error as { code?: string }).code));
          connection?.destroy();
          connection = undefined;
        }
        await sleep(20);
      }
      connection?.destroy();
    })();
    const errorLog = clusterPaths(home, spec.id).errorLog;
    const errorLogBefore = (await readFile(errorLog, 'utf8')).length;
    await sleep(400);
    const outcome = await plane.restart(spec.id, { crash: true });
    restarted = true;
    await sleep(500);
    reading = false;
    await reader;

    assert.ok(outcome, 'a running server is restarted');
    assert.equal(outcome.previousPid, before.pid);
    assert.notEqual(outcome.pid, outcome.previousPid);
    assert.equal((await plane.info(spec.id)).pid, outcome.pid);
    assert.ok(
      [...seen.errors].some((code) => /ECONNREFUSED|PROTOCOL_CONNECTION_LOST|ECONNRESET/.test(code)),
      `the reader noticed the crash: ${[...seen.errors].join(', ')}`,
    );
    assert.ok(seen.okAfter > 0, 'the reader reads again after the restart');
    assert.deepEqual([...seen.checksums], [original], 'every read saw the same data');
    const uptime = await sql<{ Value: string }>("SHOW GLOBAL STATUS LIKE 'Uptime'");
    assert.ok(Number(uptime[0]!.Value) < 30, 'the server is a new one');
    assert.ok(log.some((line) => line.includes(`mariadbd pid ${outcome.previousPid} killed (SIGKILL)`)));
    assert.match((await readFile(errorLog, 'utf8')).slice(errorLogBefore), /Recovering after a crash/);
  });

  it('keeps committed writes, and backtracks before, across and after the crash land on the right data', async () => {
    await nextSecond();
    const beforeWrites = await serverSecond();
    const emptyChecksum = await checksum('w');
    await nextSecond();
    // A writer commits rows one by one while the server is killed under it.
    const acked: number[] = [];
    let writing = true;
    const writer = (async () => {
      const connection = await connect();
      try {
        for (let id = 1; writing; id++) {
          await connection.query('INSERT INTO w VALUES (?, SHA1(?))', [id, id]);
          acked.push(id);
        }
      } catch {
        // The crash ends the writer's connection.
      } finally {
        connection.destroy();
      }
    })();
    await sleep(600);
    const outcome = await plane.restart(spec.id, { crash: true });
    writing = false;
    await writer;
    assert.ok(outcome && acked.length > 0, 'rows were written before the crash');
    const kept = (await sql<{ id: number }>('SELECT id FROM w ORDER BY id')).map((row) => row.id);
    // Every acknowledged row survived; at most the one in flight may have committed unacknowledged.
    assert.deepEqual(kept.slice(0, acked.length), acked);
    assert.ok(kept.length - acked.length <= 1, `${kept.length} rows kept, ${acked.length} acknowledged`);

    await nextSecond();
    const afterCrash = await serverSecond();
    const crashed = await checksum('w');
    await sql("UPDATE w SET c = 'changed' WHERE id % 2 = 0", 'DELETE FROM t WHERE k = 1');
    const changedW = await checksum('w');
    const changedT = await checksum('t');
    await nextSecond();
    const afterChanges = await serverSecond();

    const across = await plane.backtrack(spec.id, afterCrash);
    assert.ok(across.replayedEvents > acked.length, 'the rows written before the crash were replayed');
    assert.equal(await checksum('w'), crashed, 'a replay across the crashed binlog gives the state after it');
    await plane.backtrack(spec.id, beforeWrites);
    assert.equal(await checksum('w'), emptyChecksum, 'a backtrack to before the crash');
    await plane.backtrack(spec.id, afterChanges);
    assert.equal(await checksum('w'), changedW, 'forward again to after the crash and the changes');
    assert.equal(await checksum('t'), changedT);
  });

  it('replays past a torn event at the end of a crashed binlog file', async () => {
    await sql('INSERT INTO w VALUES (900000, SHA1(9))');
    const marker = await checksum('w');
    const outcome = await plane.restart(spec.id, { crash: true });
    assert.ok(outcome);
    // What a kill in the middle of a binlog write leaves behind: the crashed file ends inside an event (here
    // the first bytes of a copy of its last event, appended now that the restarted server writes elsewhere).
    const paths = clusterPaths(home, spec.id);
    const epochs = readdirSync(paths.binlogs).map((name) => Number(name.slice(1)));
    const files = await listBinlogFiles(epochBinlogDir(paths, Math.max(...epochs)));
    const crashedFile = files[files.length - 2]!;
    let last: { offset: number; length: number } | undefined;
    for await (const event of readEventHeaders(crashedFile)) last = event;
    assert.ok(last, 'the crashed file holds events');
    const bytes = readFileSync(crashedFile).subarray(
      last.offset,
      last.offset + Math.min(40, last.length - 1),
    );
    await appendFile(crashedFile, bytes);

    await nextSecond();
    const afterTorn = await serverSecond();
    await sql('INSERT INTO w VALUES (1000000, SHA1(1)), (1000001, SHA1(2))');
    const changed = await checksum('w');
    await nextSecond();
    const end = await serverSecond();
    const replay = await plane.backtrack(spec.id, afterTorn);
    assert.ok(replay.replayedEvents > 0, 'the crashed file was replayed');
    assert.equal(await checksum('w'), marker);
    await plane.backtrack(spec.id, end);
    assert.equal(await checksum('w'), changed);
  });

  it('waits for a backtrack of the same cluster before it restarts the server', async () => {
    await nextSecond();
    const target = await serverSecond();
    const expected = await checksum('w');
    await sql('DELETE FROM w WHERE id < 10');
    await nextSecond();
    const order: string[] = [];
    const backtrack = plane.backtrack(spec.id, target).then((outcome) => {
      order.push('backtrack');
      return outcome;
    });
    const restart = plane.restart(spec.id, { crash: true }).then((outcome) => {
      order.push('restart');
      return outcome;
    });
    const [, outcome] = await Promise.all([backtrack, restart]);
    assert.deepEqual(order, ['backtrack', 'restart']);
    assert.ok(outcome);
    assert.equal(await checksum('w'), expected);
  });

  it('does nothing for a stopped server and refuses an unknown cluster', async () => {
    await plane.stop(spec.id);
    assert.equal(await plane.restart(spec.id, { crash: true }), undefined);
    assert.equal((await plane.info(spec.id)).running, false, 'a stopped server stays stopped');
    await plane.start(spec.id);
    await assert.rejects(plane.restart('no-such-cluster'), (error) =>
      isDataPlaneError(error, 'ClusterNotFound'),
    );
  });

  it('restarts cleanly without a crash too', async () => {
    const outcome = await plane.restart(spec.id);
    assert.ok(outcome);
    assert.notEqual(outcome.pid, outcome.previousPid);
    assert.ok(log.some((line) => line.includes(`mariadbd pid ${outcome.previousPid} stopped to restart it`)));
  });

  it('leaves no server behind when a shutdown comes in the middle of a restart', async () => {
    const restart = plane.restart(spec.id, { crash: true });
    await sleep(10);
    await plane.shutdown();
    await restart;
    assert.equal((await plane.info(spec.id)).running, false);
    assert.deepEqual(serversOf(home), []);
  });
});

describe('restart fault: the control plane picks its moment', function () {
  this.timeout(120_000);
  let home = '';
  let control: ControlPlane | undefined;

  after(async () => {
    await control?.shutdown().catch(() => undefined);
    if (home) await rm(home, { recursive: true, force: true });
  });

  it('waits while the cluster has no instance and gives up once the cluster is deleted', async () => {
    home = await mkdtemp(join(tmpdir(), 'labrun-restart-control-'));
    const log: string[] = [];
    control = new ControlPlane({
      dataPlane: createMariaDbDataPlane({ home }),
      hostBase: await freeHost('127.0.33', 10, 29),
      log: (line) => log.push(line),
      faults: { restarts: [{ clusterId: 'lonely', delayMs: 200 }] },
    });
    await control.resume();
    await control.createCluster({
      id: 'lonely',
      engine: 'aurora-mysql',
      masterUsername: 'masteruser',
      masterUserPassword: PASSWORD,
    });
    await waitFor(() => log.some((line) => line.includes('restart of cluster lonely waits')));
    assert.ok(
      log.some((line) => /restart of cluster lonely armed: its mariadbd is killed in 200 ms/.test(line)),
    );
    assert.ok(log.some((line) => line.includes('waits: the cluster has no available instance')));
    await control.deleteCluster({ id: 'lonely', skipFinalSnapshot: true });
    await waitFor(() => log.some((line) => line.includes('restart of cluster lonely skipped')));
    assert.ok(!log.some((line) => line.includes('killed (SIGKILL)')), 'nothing was killed');
    assert.deepEqual(serversOf(home), []);
  });
});

/**
 * Delays that land in the middle of the lab at --table-size 2000 with 200 ms polls (measured: the lab takes
 * about 6 s). The source's clock starts with the daemon: 3 s is after the lab copied the clone from it and
 * read it once, before it reads it again at the end. The clone's clock starts when it becomes available:
 * 2.5 s is in its backtrack phase, so the restart waits for a backtrack or cuts the reads between them.
 */
const LAB_CASES = [
  { cluster: 'auroralab-mysql-cluster', delay: '3s' },
  { cluster: 'auroralab-mysql-cluster-clone', delay: '2500ms' },
];

describe('restart fault: the Part 3 lab under a crash-restart of a cluster', function () {
  this.timeout(600_000);
  let home = '';
  let out = '';
  const env = (faults?: string): Record<string, string> => ({
    LABRUN_SANDBOX_HOME: home,
    LABRUN_SANDBOX_PORT: '0',
    LABRUN_SANDBOX_HOST_BASE: '127.0.33.101',
    ...(faults ? { LABRUN_SANDBOX_FAULTS: faults } : {}),
  });

  before(async () => {
    home = await mkdtemp(join(tmpdir(), 'labrun-restart-lab-'));
    out = await mkdtemp(join(tmpdir(), 'labrun-restart-lab-out-'));
    // Built once without faults; each case starts the daemon again over the same data with its fault.
    const up = await labrun(['sandbox', 'up', '--table-size', '2000'], { env: env(), timeout: 300_000 });
    assert.equal(up.exitCode, 0, `sandbox up failed:\n${up.stdout}\n${up.stderr}`);
    const down = await labrun(['sandbox', 'down'], { env: env() });
    assert.equal(down.exitCode, 0, down.stderr);
  });
  after(async () => {
    if (home) {
      auditSandboxHome(home);
      await labrun(['sandbox', 'down', '--purge'], { env: env() });
      await rm(home, { recursive: true, force: true });
    }
    if (out) {
      auditDir(out);
      await rm(out, { recursive: true, force: true });
    }
  });

  it('refuses a bad restart fault before starting anything, naming the bad part', async () => {
    const up = await labrun(['sandbox', 'up'], { env: env('restart=auroralab-mysql-cluster@soon') });
    assert.notEqual(up.exitCode, 0);
    assert.match(
      String(up.stderr),
      /LABRUN_SANDBOX_FAULTS: invalid fault spec: restart delay must be a duration .* got "soon"/,
    );
    assert.doesNotMatch(String(up.stderr), /\n\s+at .+:\d+:\d+\)?\n/, 'no stack trace');
  });

  for (const { cluster, delay } of LAB_CASES) {
    it(`passes, or fails clearly with exit 3, under restart=${cluster}@${delay}, and cleans up`, async () => {
      const faults = `restart=${cluster}@${delay}`;
      const logBefore = await readFile(join(home, 'daemon.log'), 'utf8').catch(() => '');
      const up = await labrun(['sandbox', 'up'], { env: env(faults) });
      assert.equal(up.exitCode, 0, `sandbox up failed:\n${up.stdout}\n${up.stderr}`);
      const dir = join(out, cluster);
      const json = join(dir, 'record.json');
      let result;
      try {
        const runStarted = Date.now();
        result = await labrun(
          [
            'run',
            'runbooks/aurora-clone-backtrack.yaml',
            '--sandbox',
            '--set',
            'tableSize=2000',
            '--set',
            'pollInterval=200ms',
            '--set',
            'pollMaxInterval=1s',
            '--runs-dir',
            join(dir, 'runs'),
            '--json',
            json,
          ],
          { env: env(faults), timeout: 300_000 },
        );
        const runEnded = Date.now();
        const output = `${result.stdout}\n${result.stderr}`;
        assert.ok([0, 3].includes(result.exitCode ?? -1), `exit ${result.exitCode}:\n${output}`);
        const recordText = await readFile(json, 'utf8');
        const record = JSON.parse(recordText) as {
          status: string;
          steps: Array<{ id: string; status: string; error?: { message: string } }>;
        };
        if (result.exitCode === 0) {
          assert.equal(record.status, 'passed');
        } else {
          assert.equal(record.status, 'failed');
          const failed = record.steps.find((s) => s.status === 'failed');
          assert.ok(failed?.error?.message, 'the failed step carries its error');
          assert.match(
            String(result.stderr),
            new RegExp(`step ${failed.id}: `),
            'stderr names the failed step',
          );
        }
        assert.doesNotMatch(output, /\n\s+at .+:\d+:\d+\)?\n/, 'no stack trace');
        const journal = await readFile(
          join(dir, 'runs', readdirSync(join(dir, 'runs'))[0]!, 'journal.jsonl'),
          'utf8',
        );
        for (const text of [String(result.stdout), String(result.stderr), recordText, journal])
          assert.ok(!text.includes(PASSWORD), 'the master password never appears');

        // The fault really struck during the run: the server was killed and a new one served.
        const daemonLog = (await readFile(join(home, 'daemon.log'), 'utf8')).slice(logBefore.length);
        const struck = new RegExp(
          `^(\\S+) fault: restart of cluster ${cluster}: mariadbd pid (\\d+) killed \\(SIGKILL\\); ` +
            'pid (\\d+) serving again after \\d+ ms',
          'm',
        ).exec(daemonLog);
        assert.ok(struck, `the restart happened (exit ${result.exitCode}):\n${output}\n${daemonLog}`);
        const at = Date.parse(struck[1]!);
        assert.ok(at > runStarted && at < runEnded, 'the restart happened while the lab ran');
        assert.notEqual(struck[2], struck[3], 'a new server serves');
        await assertOnlySourceCluster(home);
      } finally {
        auditSandboxHome(home);
        const down = await labrun(['sandbox', 'down'], { env: env() });
        assert.equal(down.exitCode, 0, down.stderr);
        assert.deepEqual(serversOf(home), [], 'no mariadbd of the sandbox is left after `sandbox down`');
      }
    });
  }
});

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Waits until the wall clock has entered a later second. */
async function nextSecond(): Promise<void> {
  await sleep(1000 - (Date.now() % 1000) + 20);
}

async function waitFor(condition: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting for a condition');
    await sleep(50);
  }
}
