/**
 * Stack outputs end up in every run record and journal, so labrun caps them where it reads them: an
 * `--outputs` file (its size, how many outputs, each value's length) and the DescribeStacks answer, read
 * through the real SDK from a scripted Query server and from the sandbox's API. A 50 MB output used to be
 * accepted whole (31 s, 1.3 GB of memory, 350 MB of run records).
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { UsageError } from '../../src/core/errors.js';
import {
  fetchStackOutputs,
  MAX_OUTPUT_COUNT,
  MAX_OUTPUT_VALUE_CHARS,
  MAX_OUTPUTS_BYTES,
  readOutputsFile,
} from '../../src/engine/stack-outputs.js';
import type { StackRecord } from '../../src/sandbox/control/model.js';
import type { AwsSettings } from '../../src/steps/types.js';
import { startQueryServer, toXml, type QueryServer } from '../helpers/query-server.js';
import { startHarness, type ApiHarness } from '../sandbox/api/harness.js';

function describeStacks(outputs: Array<{ OutputKey: string; OutputValue: string }>) {
  return { Stacks: [{ StackName: 'auroralab', Outputs: outputs }] };
}

function refusal(pattern: RegExp) {
  return (error: unknown) => {
    assert.ok(error instanceof UsageError, String(error));
    assert.match(error.message, pattern);
    assert.match(error.hint ?? '', /short values/);
    return true;
  };
}

describe('stack outputs: caps on an --outputs file', () => {
  let dir: string;

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'labrun-outputs-'));
  });

  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function file(name: string, data: unknown): Promise<string> {
    const target = path.join(dir, name);
    await writeFile(target, typeof data === 'string' ? data : JSON.stringify(data));
    return target;
  }

  it('reads outputs up to the caps', async () => {
    const longest = 'v'.repeat(MAX_OUTPUT_VALUE_CHARS);
    const outputs = await readOutputsFile(
      await file('ok.json', describeStacks([{ OutputKey: 'clusterName', OutputValue: longest }])),
    );
    assert.equal(outputs.clusterName, longest);
    const many = Object.fromEntries(Array.from({ length: MAX_OUTPUT_COUNT }, (_, i) => [`k${i}`, 'v']));
    assert.equal(Object.keys(await readOutputsFile(await file('many.json', many))).length, MAX_OUTPUT_COUNT);
  });

  it('refuses one output past the length cap, naming it and the cap', async () => {
    const target = await file(
      'long.json',
      describeStacks([
        { OutputKey: 'clusterName', OutputValue: 'c' },
        { OutputKey: 'clusterEndpoint', OutputValue: 'x'.repeat(MAX_OUTPUT_VALUE_CHARS + 1) },
      ]),
    );
    await assert.rejects(
      readOutputsFile(target),
      refusal(
        new RegExp(
          `^stack output clusterEndpoint in outputs file ${target} is 4,097 characters long; ` +
            'labrun reads outputs of at most 4,096 characters$',
        ),
      ),
    );
  });

  it('refuses more outputs than a stack can have', async () => {
    const many = Object.fromEntries(Array.from({ length: MAX_OUTPUT_COUNT + 1 }, (_, i) => [`k${i}`, 'v']));
    await assert.rejects(
      readOutputsFile(await file('too-many.json', many)),
      refusal(/has 201 outputs; labrun reads at most 200$/),
    );
  });

  it('refuses a 50 MB output file at once, reading no more than the cap', async () => {
    const target = await file('huge.json', JSON.stringify({ clusterName: 'x'.repeat(50 << 20) }));
    const started = Date.now();
    await assert.rejects(readOutputsFile(target), refusal(/is larger than 4 MiB, the most labrun reads$/));
    assert.ok(Date.now() - started < 2000, `took ${Date.now() - started} ms`);
  });

  it('stops reading an endless file (/dev/zero) at the cap', async () => {
    await assert.rejects(
      readOutputsFile('/dev/zero'),
      refusal(/^outputs file \/dev\/zero is larger than 4 MiB/),
    );
  });
});

describe('stack outputs: caps on the DescribeStacks answer, through the SDK', function () {
  let server: QueryServer;
  let aws: AwsSettings;

  before(async () => {
    server = await startQueryServer();
    aws = {
      endpoint: server.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKID', secretAccessKey: 'secret' },
      maxAttempts: 1,
    };
  });

  after(async () => {
    await server?.close();
  });

  it('refuses an output past the length cap, naming it', async () => {
    server.handle('DescribeStacks', () => ({
      result: toXml(
        describeStacks([
          { OutputKey: 'clusterEndpoint', OutputValue: 'x'.repeat(MAX_OUTPUT_VALUE_CHARS + 1) },
        ]),
      ),
    }));
    await assert.rejects(
      fetchStackOutputs('auroralab', aws),
      refusal(/^stack output clusterEndpoint in stack auroralab is 4,097 characters long/),
    );
  });

  it('refuses an endless answer, reading no more than the cap', async () => {
    // An answer that never ends: only a client that stops at the cap gets to report anything.
    let sent = 0;
    const endless = createServer((request, response) => {
      request.resume();
      response.writeHead(200, { 'content-type': 'text/xml' });
      response.write(
        '<DescribeStacksResponse><DescribeStacksResult><Stacks><member><StackName>auroralab</StackName>' +
          '<Outputs><member><OutputKey>clusterName</OutputKey><OutputValue>',
      );
      const chunk = 'x'.repeat(64 << 10);
      const pump = () => {
        while (!response.destroyed && response.write(chunk)) sent += chunk.length;
      };
      response.on('drain', pump);
      pump();
    });
    await new Promise<void>((resolve) => endless.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = endless.address() as AddressInfo;
      await assert.rejects(
        fetchStackOutputs('auroralab', { ...aws, endpoint: `http://127.0.0.1:${port}` }),
        refusal(
          /^the DescribeStacks answer for stack auroralab is larger than 4 MiB, the most labrun reads$/,
        ),
      );
      assert.ok(sent < 4 * MAX_OUTPUTS_BYTES, `the server got to send ${sent} bytes`);
    } finally {
      endless.closeAllConnections();
      await new Promise((resolve) => endless.close(resolve));
    }
  });
});

describe('stack outputs: caps on the sandbox stack, through the SDK', function () {
  this.timeout(60_000);
  let harness: ApiHarness;

  before(async () => {
    harness = await startHarness({ hostBase: '127.0.30.44' });
  });

  after(async () => {
    await harness?.close();
  });

  it('reads the stack, and refuses it once an output is past the cap', async () => {
    const aws: AwsSettings = {
      endpoint: harness.server.url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'sandbox', secretAccessKey: 'sandbox' },
      maxAttempts: 1,
    };
    const stack: StackRecord = {
      id: 'arn:aws:cloudformation:us-east-1:123456789012:stack/caps/1',
      name: 'caps',
      description: 'caps',
      createdAt: new Date().toISOString(),
      status: 'CREATE_COMPLETE',
      outputs: [{ key: 'clusterName', value: 'caps-cluster', description: 'The cluster' }],
    };
    await harness.control.putStack(stack);
    assert.deepEqual(await fetchStackOutputs('caps', aws), { clusterName: 'caps-cluster' });
    await harness.control.putStack({
      ...stack,
      outputs: [
        { key: 'clusterName', value: 'y'.repeat(MAX_OUTPUT_VALUE_CHARS * 2), description: 'The cluster' },
      ],
    });
    await assert.rejects(
      fetchStackOutputs('caps', aws),
      refusal(/^stack output clusterName in stack caps is 8,192 characters long/),
    );
  });
});
