/**
 * A web page must not drive the sandbox API. The attacker's requests are sent raw, with the headers a browser
 * sends: a GET DeleteDBInstance / DeleteDBCluster as an `<img>` would send it (the two requests that used to
 * delete the source cluster and its data), with and without `Origin` and `Sec-Fetch-*`; the same through DNS
 * rebinding (`Host: evil.example:<port>`); CORS preflights. The real SDK v3 (with its waiters) and the aws CLI
 * keep working, with the endpoint written as 127.0.0.1 or as localhost.
 */
import assert from 'node:assert/strict';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { connect } from 'node:net';
import {
  CreateDBClusterCommand,
  CreateDBInstanceCommand,
  DeleteDBClusterCommand,
  DeleteDBInstanceCommand,
  DescribeDBClustersCommand,
  RDSClient,
  waitUntilDBClusterAvailable,
  waitUntilDBClusterDeleted,
  waitUntilDBInstanceAvailable,
  waitUntilDBInstanceDeleted,
} from '@aws-sdk/client-rds';
import { execa } from 'execa';
import { XMLParser } from 'fast-xml-parser';
import { SANDBOX_REGION } from '../../../src/sandbox/control/lab-stack.js';
import { freeHost } from '../../helpers/loopback.js';
import { startHarness, type ApiHarness } from './harness.js';
import { withConnection } from './sql.js';

const CLUSTER = 'guarded';
const INSTANCE = 'guarded-1';
const xml = new XMLParser();

interface RawAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  code?: string;
  message?: string;
}

/** What Chrome sends for `<img src="http://127.0.0.1:<port>/?Action=…">` on another site's page. */
const IMG_HEADERS = {
  accept: 'image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8',
  'sec-fetch-site': 'cross-site',
  'sec-fetch-mode': 'no-cors',
  'sec-fetch-dest': 'image',
  referer: 'http://evil.example/',
  'user-agent':
    'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36',
};

describe('sandbox API: requests a web page could send', function () {
  this.timeout(180_000);
  let h: ApiHarness;
  let endpoint: string;

  before(async function () {
    this.timeout(180_000);
    h = await startHarness({ hostBase: await freeHost('127.0.30', 200, 220), region: SANDBOX_REGION });
    await h.rds.send(
      new CreateDBClusterCommand({
        DBClusterIdentifier: CLUSTER,
        Engine: 'aurora-mysql',
        MasterUsername: 'admin',
        MasterUserPassword: 'Password1',
        DatabaseName: 'guarded',
      }),
    );
    await waitUntilDBClusterAvailable(
      { client: h.rds, minDelay: 1, maxDelay: 2, maxWaitTime: 120 },
      { DBClusterIdentifier: CLUSTER },
    );
    await h.rds.send(
      new CreateDBInstanceCommand({
        DBInstanceIdentifier: INSTANCE,
        DBClusterIdentifier: CLUSTER,
        DBInstanceClass: 'db.r6g.large',
        Engine: 'aurora-mysql',
      }),
    );
    await waitUntilDBInstanceAvailable(
      { client: h.rds, minDelay: 1, maxDelay: 2, maxWaitTime: 120 },
      { DBInstanceIdentifier: INSTANCE },
    );
    endpoint = (await clusterState()).endpoint;
    await withConnection(sqlUser(), async (conn) => {
      await conn.query('CREATE TABLE keep (id INT PRIMARY KEY)');
      await conn.query('INSERT INTO keep VALUES (42)');
    });
  });

  after(async () => {
    await h?.close();
  });

  function sqlUser() {
    return { host: endpoint, user: 'admin', password: 'Password1', database: 'guarded' };
  }

  async function clusterState(): Promise<{ status: string; members: number; endpoint: string }> {
    const { DBClusters } = await h.rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: CLUSTER }));
    const cluster = DBClusters?.[0];
    return {
      status: cluster?.Status ?? '(none)',
      members: cluster?.DBClusterMembers?.length ?? 0,
      endpoint: cluster?.Endpoint ?? '',
    };
  }

  /** The cluster, its instance and its data are all still there. */
  async function assertUntouched(): Promise<void> {
    const state = await clusterState();
    assert.equal(state.status, 'available');
    assert.equal(state.members, 1);
    const rows = await withConnection(
      sqlUser(),
      async (conn) => (await conn.query('SELECT id FROM keep'))[0],
    );
    assert.deepEqual(rows, [{ id: 42 }]);
  }

  /** One request exactly as given: `host` is the Host header (none when null), nothing is added. */
  function raw(
    method: string,
    path: string,
    headers: Record<string, string>,
    options: { host?: string; body?: string } = {},
  ): Promise<RawAnswer> {
    const url = new URL(h.server.url);
    return new Promise((resolve, reject) => {
      const req = httpRequest(
        {
          host: url.hostname,
          port: url.port,
          method,
          path,
          setHost: false,
          headers: { host: options.host ?? url.host, ...headers },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (text += chunk));
          res.on('end', () => {
            const error = text.startsWith('<?xml') ? xml.parse(text).ErrorResponse?.Error : undefined;
            resolve({
              status: res.statusCode ?? 0,
              headers: res.headers,
              text,
              code: error?.Code,
              message: error?.Message,
            });
          });
        },
      );
      req.on('error', reject);
      req.end(options.body);
    });
  }

  const deleteInstance = `/?Action=DeleteDBInstance&Version=2014-10-31&DBInstanceIdentifier=${INSTANCE}&SkipFinalSnapshot=true`;
  const deleteCluster = `/?Action=DeleteDBCluster&Version=2014-10-31&DBClusterIdentifier=${CLUSTER}&SkipFinalSnapshot=true`;
  const describe = '/?Action=DescribeDBClusters&Version=2014-10-31';

  it('refuses the two <img> GETs that used to delete the cluster and its data', async () => {
    for (const path of [deleteInstance, deleteCluster]) {
      const answer = await raw('GET', path, IMG_HEADERS);
      assert.equal(answer.status, 403, answer.text);
      assert.equal(answer.code, 'AccessDenied');
      assert.match(answer.message ?? '', /Sec-Fetch-Site cross-site/);
    }
    await assertUntouched();
  });

  it('refuses a state change sent as a GET even without any browser header', async () => {
    for (const path of [deleteInstance, deleteCluster]) {
      const answer = await raw('GET', path, {});
      assert.equal(answer.status, 405, answer.text);
      assert.equal(answer.code, 'MethodNotAllowed');
      assert.equal(answer.headers.allow, 'GET, POST');
      assert.match(answer.message ?? '', /must be sent as a POST/);
    }
    await assertUntouched();
  });

  it('refuses any request with an Origin: a GET, a form POST, a fetch()', async () => {
    const origin = { origin: 'http://evil.example' };
    const form = { ...origin, 'content-type': 'application/x-www-form-urlencoded' };
    const answers = [
      await raw('GET', deleteCluster, origin),
      await raw('GET', describe, origin),
      await raw('POST', '/', form, { body: deleteInstance.slice(2) }),
      await raw(
        'POST',
        '/',
        { ...form, 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'cors' },
        { body: deleteCluster.slice(2) },
      ),
      // A page's own origin counts too: the SDKs and the aws CLI never send Origin.
      await raw(
        'POST',
        '/',
        { origin: h.server.url, 'content-type': 'text/plain' },
        { body: deleteCluster.slice(2) },
      ),
    ];
    for (const answer of answers) {
      assert.equal(answer.status, 403, answer.text);
      assert.equal(answer.code, 'AccessDenied');
      assert.match(answer.message ?? '', /refuses requests from web pages \(Origin http:/);
    }
    await assertUntouched();
  });

  it('refuses a DNS-rebinding Host, for reads, writes and the status endpoint', async () => {
    const port = h.server.port;
    for (const host of [
      `evil.example:${port}`,
      `evil.example`,
      `127.0.0.2:${port}`,
      `localhost:${port + 1}`,
    ]) {
      const answers = [
        await raw('GET', describe, { 'sec-fetch-site': 'same-origin' }, { host }),
        await raw(
          'POST',
          '/',
          { 'content-type': 'application/x-www-form-urlencoded' },
          { host, body: deleteCluster.slice(2) },
        ),
        await raw('GET', '/labrun/status', {}, { host }),
      ];
      for (const answer of answers) {
        assert.equal(answer.status, 403, `${host}: ${answer.text}`);
        assert.equal(answer.code, 'AccessDenied');
        assert.ok(answer.message?.includes(`not for Host ${host}`), answer.message);
        assert.doesNotMatch(answer.text, /guarded/, 'nothing about the clusters is told');
      }
    }
    await assertUntouched();
  });

  it('refuses a request with no Host at all', async () => {
    const text = await new Promise<string>((resolve, reject) => {
      const socket = connect(h.server.port, new URL(h.server.url).hostname);
      let answer = '';
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => (answer += chunk));
      socket.on('end', () => resolve(answer));
      socket.on('error', reject);
      socket.end(`GET ${describe} HTTP/1.0\r\n\r\n`);
    });
    assert.match(text, /^HTTP\/1\.1 403 /);
    assert.match(text, /<Code>AccessDenied<\/Code>/);
    assert.match(text, /not for Host \(none\)/);
  });

  it('refuses CORS preflights and methods other than GET and POST', async () => {
    const preflight = await raw('OPTIONS', '/', {
      origin: 'http://evil.example',
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'content-type',
      'sec-fetch-mode': 'cors',
      'sec-fetch-site': 'cross-site',
    });
    assert.equal(preflight.status, 403);
    assert.equal(preflight.code, 'AccessDenied');
    assert.equal(
      Object.keys(preflight.headers).filter((name) => name.startsWith('access-control-')).length,
      0,
      'no CORS permission of any kind',
    );
    for (const method of ['OPTIONS', 'PUT', 'DELETE', 'PATCH']) {
      const answer = await raw(method, deleteCluster, {});
      assert.equal(answer.status, 405, method);
      assert.equal(answer.code, 'MethodNotAllowed', method);
      assert.match(answer.message ?? '', new RegExp(`serves GET and POST, not ${method}`));
    }
    await assertUntouched();
  });

  it('refuses Sec-Fetch-Site same-site (another server on loopback), but serves an address-bar read', async () => {
    const sameSite = await raw('GET', describe, {
      'sec-fetch-site': 'same-site',
      'sec-fetch-mode': 'no-cors',
    });
    assert.equal(sameSite.status, 403);
    assert.match(sameSite.message ?? '', /Sec-Fetch-Site same-site/);
    // Typed into the address bar: a read, shown to the user who typed it.
    const typed = await raw('GET', describe, { 'sec-fetch-site': 'none', 'sec-fetch-mode': 'navigate' });
    assert.equal(typed.status, 200, typed.text);
    assert.match(typed.text, /<DBClusterIdentifier>guarded<\/DBClusterIdentifier>/);
    const typedDelete = await raw('GET', deleteCluster, {
      'sec-fetch-site': 'none',
      'sec-fetch-mode': 'navigate',
    });
    assert.equal(typedDelete.status, 405);
    await assertUntouched();
  });

  it('serves GET reads and POSTs for the addresses it listens on, localhost included, in any case', async () => {
    const port = h.server.port;
    for (const host of [new URL(h.server.url).host, `localhost:${port}`, `LocalHost:${port}`]) {
      const answer = await raw('GET', describe, {}, { host });
      assert.equal(answer.status, 200, `${host}: ${answer.text}`);
      assert.match(answer.text, /<DBClusterIdentifier>guarded<\/DBClusterIdentifier>/);
    }
    const status = await raw('GET', '/labrun/status', {});
    assert.equal(status.status, 200);
    assert.match(status.text, /"id":"guarded"/);
  });

  it('keeps working with the aws CLI, its endpoint written as 127.0.0.1 or as localhost', async () => {
    const cli = (endpointUrl: string, args: string[]) =>
      execa('aws', ['rds', ...args, '--output', 'json'], {
        reject: false,
        env: {
          PATH: process.env.PATH,
          HOME: process.env.HOME,
          AWS_ENDPOINT_URL: endpointUrl,
          AWS_REGION: SANDBOX_REGION,
          AWS_DEFAULT_REGION: SANDBOX_REGION,
          AWS_ACCESS_KEY_ID: 'sandbox',
          AWS_SECRET_ACCESS_KEY: 'sandbox',
          AWS_PAGER: '',
        },
        extendEnv: false,
      });
    for (const endpointUrl of [h.server.url, `http://localhost:${h.server.port}`]) {
      const result = await cli(endpointUrl, ['describe-db-clusters', '--db-cluster-identifier', CLUSTER]);
      assert.equal(result.exitCode, 0, `${endpointUrl}: ${result.stderr}`);
      assert.equal(JSON.parse(result.stdout).DBClusters[0].Status, 'available');
    }
    // 2130706433 is 127.0.0.1 too, but not a name the API answers for: the CLI reads the refusal.
    const refused = await cli(`http://2130706433:${h.server.port}`, ['describe-db-clusters']);
    assert.equal(refused.exitCode, 255, refused.stderr);
    assert.match(
      refused.stderr,
      /An error occurred \(AccessDenied\) when calling the DescribeDBClusters operation: The sandbox API answers only requests for/,
    );
  });

  it('keeps working with the SDK and its waiters through localhost: the instance and cluster are deleted', async () => {
    await assertUntouched();
    const rds = new RDSClient({
      endpoint: `http://localhost:${h.server.port}`,
      region: SANDBOX_REGION,
      credentials: { accessKeyId: 'sandbox', secretAccessKey: 'sandbox' },
      maxAttempts: 1,
    });
    try {
      const waiter = { client: rds, minDelay: 1, maxDelay: 2, maxWaitTime: 120 };
      await rds.send(
        new DeleteDBInstanceCommand({ DBInstanceIdentifier: INSTANCE, SkipFinalSnapshot: true }),
      );
      assert.equal(
        (await waitUntilDBInstanceDeleted(waiter, { DBInstanceIdentifier: INSTANCE })).state,
        'SUCCESS',
      );
      await rds.send(new DeleteDBClusterCommand({ DBClusterIdentifier: CLUSTER, SkipFinalSnapshot: true }));
      assert.equal(
        (await waitUntilDBClusterDeleted(waiter, { DBClusterIdentifier: CLUSTER })).state,
        'SUCCESS',
      );
    } finally {
      rds.destroy();
    }
  });

  it('answers 10,000 repeated filters at once with a 400 naming the cap, 25,000 (1 MB) too, and keeps serving', async () => {
    const filters = Array.from(
      { length: 10_000 },
      (_, i) => `Filters.Filter.${i + 1}.Name=db-cluster-id&Filters.Filter.${i + 1}.Values.Value.1=x`,
    ).join('&');
    const body = `Action=DescribeDBClusters&Version=2014-10-31&${filters}`;
    assert.ok(body.length > 600_000);
    const started = Date.now();
    const answer = await raw('POST', '/', { 'content-type': 'application/x-www-form-urlencoded' }, { body });
    const took = Date.now() - started;
    assert.equal(answer.status, 400, answer.text);
    assert.match(answer.message ?? '', /1,?000/);
    assert.ok(took < 2000, `the refusal took ${took} ms`);
    const huge = `${body}&${filters.replaceAll('Filter.', 'Filter.1')}`;
    assert.ok(huge.length > 1_000_000);
    const refused = await raw(
      'POST',
      '/',
      { 'content-type': 'application/x-www-form-urlencoded' },
      { body: huge },
    );
    assert.equal(refused.status, 400);
    assert.equal((await raw('GET', '/?Action=DescribeDBClusters&Version=2014-10-31', {})).status, 200);
  });

  it('answers prototype names as actions with InvalidAction, never a 200 or a 500', async () => {
    for (const action of ['constructor', '__proto__', 'valueOf', 'toString', 'hasOwnProperty']) {
      const answer = await raw('GET', `/?Action=${action}&Version=2014-10-31`, {});
      assert.equal(answer.status, 400, `${action}: ${answer.text}`);
      assert.equal(answer.code, 'InvalidAction', action);
    }
  });

  it('never echoes raw control characters into error XML', async () => {
    const answer = await raw('GET', '/?Action=Describe%00DB%1b[31mClusters%7f&Version=2014-10-31', {});
    assert.equal(answer.status, 400, answer.text);
    assert.equal(answer.code, 'InvalidAction');
    // eslint-disable-next-line no-control-regex -- finding control characters is the point
    assert.doesNotMatch(answer.text, /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/);
  });
});
