import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { availableParallelism } from 'node:os';
import { QuietSealer } from '../../../src/sandbox/mariadb/quiet-sealer.js';

/** A real process: one spinning on a core, or one asleep. */
async function child(spin: boolean): Promise<ChildProcess> {
  const code = spin ? 'for (;;) {}' : 'setInterval(() => {}, 1000)';
  const process_ = spawn(process.execPath, ['-e', code], { stdio: 'ignore' });
  await once(process_, 'spawn');
  return process_;
}

describe('quiet sealer', function () {
  this.timeout(20_000);
  const children: ChildProcess[] = [];
  let sealer: QuietSealer | undefined;
  afterEach(() => {
    sealer?.close();
    for (const process_ of children.splice(0)) process_.kill('SIGKILL');
  });

  function setUp(pid: () => number | undefined, busy: () => boolean, plain: number): string[] {
    const sealed: string[] = [];
    let left = plain;
    sealer = new QuietSealer({
      sampleMs: 50,
      quietMs: 300,
      serverPid: pid,
      busy,
      sealOne: async () => {
        sealed.push(`seal ${plain - left + 1}`);
        left--;
        return left > 0;
      },
      log: () => undefined,
    });
    sealer.watch('c');
    return sealed;
  }
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  async function until(done: () => boolean, ms = 15_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!done() && Date.now() < deadline) await sleep(25);
  }

  it('seals every plain snapshot, one quiet spell each, once the server is idle', async () => {
    const idle = await child(false);
    children.push(idle);
    const sealed = setUp(
      () => idle.pid,
      () => false,
      2,
    );
    await sleep(250);
    assert.deepEqual(sealed, [], 'not before the quiet time has passed');
    await until(() => sealed.length >= 2);
    assert.deepEqual(sealed, ['seal 1', 'seal 2']);
  });

  it('waits while the server works and while an operation holds the cluster', async () => {
    const spinning = await child(true);
    children.push(spinning);
    let pid: number | undefined = spinning.pid;
    let busy = false;
    const sealed = setUp(
      () => pid,
      () => busy,
      1,
    );
    await sleep(1000);
    assert.deepEqual(sealed, [], 'a server using a core is not quiet');
    spinning.kill('SIGKILL');
    pid = undefined;
    busy = true;
    await sleep(700);
    assert.deepEqual(sealed, [], 'an operation on the cluster is not quiet either');
    busy = false;
    await until(() => sealed.length >= 1);
    assert.deepEqual(sealed, ['seal 1'], 'a stopped server with nothing running on the cluster is quiet');
  });

  it('waits while the machine is busy with other work, though the server is idle', async () => {
    const idle = await child(false);
    // Half the machine's cores or more, busy.
    const others = await Promise.all(
      Array.from({ length: Math.ceil(availableParallelism() / 2) }, () => child(true)),
    );
    children.push(idle, ...others);
    const sealed = setUp(
      () => idle.pid,
      () => false,
      1,
    );
    await sleep(1000);
    assert.deepEqual(sealed, [], 'cores busy elsewhere (a sysbench load on another cluster) are not quiet');
    for (const other of others) other.kill('SIGKILL');
    await until(() => sealed.length >= 1);
    assert.deepEqual(sealed, ['seal 1']);
  });

  it('stops watching a forgotten cluster', async () => {
    const sealed = setUp(
      () => undefined,
      () => false,
      1,
    );
    sealer!.forget('c');
    await sleep(600);
    assert.deepEqual(sealed, []);
  });
});
