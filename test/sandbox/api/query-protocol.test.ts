/**
 * The Query protocol itself: how parameters and timestamps are read, and what raw HTTP clients get back for
 * requests no SDK would send (missing Action, unknown action, bad values, GET query strings).
 */
import assert from 'node:assert/strict';
import { XMLParser } from 'fast-xml-parser';
import { QueryParams } from '../../../src/sandbox/api/query-params.js';
import { errorXml } from '../../../src/sandbox/api/xml-response.js';
import { parseTimestamp } from '../../../src/sandbox/api/timestamps.js';
import { ApiFault } from '../../../src/sandbox/control/faults.js';
import { startHarness, type ApiHarness } from './harness.js';

const xml = new XMLParser();

function params(query: string): QueryParams {
  return QueryParams.fromSearchParams([new URLSearchParams(query)]);
}

describe('Query protocol: timestamps', () => {
  const cases: Array<[string, string]> = [
    ['2021-03-22T14:13:37Z', '2021-03-22T14:13:37.000Z'],
    ['2021-03-22T14:13:37.357Z', '2021-03-22T14:13:37.357Z'],
    ['2021-03-22T14:13:37.357123Z', '2021-03-22T14:13:37.357Z'],
    ['2018-03-19T10:00:00+00:00', '2018-03-19T10:00:00.000Z'],
    ['2018-03-19T12:30:00+02:30', '2018-03-19T10:00:00.000Z'],
    ['2018-03-19T05:00:00-0500', '2018-03-19T10:00:00.000Z'],
    ['2017-07-08T18:00Z', '2017-07-08T18:00:00.000Z'],
    ['2017-07-08T18:00:05', '2017-07-08T18:00:05.000Z'],
    ['1500000000', '2017-07-14T02:40:00.000Z'],
  ];
  for (const [text, expected] of cases) {
    it(`reads ${text}`, () => {
      assert.equal(parseTimestamp(text)?.toISOString(), expected);
    });
  }

  for (const bad of [
    'yesterday',
    '2021-02-30T00:00:00Z',
    '2021-13-01T00:00:00Z',
    '2021-03-22T24:00:00Z',
    '2021-03-22',
    '',
  ]) {
    it(`refuses ${JSON.stringify(bad)}`, () => {
      assert.equal(parseTimestamp(bad), undefined);
    });
  }
});

describe('Query protocol: parameters', () => {
  it('reads lists by their member name or by "member", in index order', () => {
    const p = params('A.Id.2=b&A.Id.1=a&A.Id.10=c&B.member.1=x&B.member.2=y');
    assert.deepEqual(p.list('A', 'Id'), ['a', 'b', 'c']);
    assert.deepEqual(p.list('B', 'Thing'), ['x', 'y']);
  });

  it('tells an empty list (Name=) from a list that was not sent', () => {
    const p = params('Empty=');
    assert.deepEqual(p.list('Empty', 'Item'), []);
    assert.equal(p.list('Absent', 'Item'), undefined);
  });

  it('reads RDS filters with their value lists', () => {
    const p = params(
      'Filters.Filter.1.Name=db-cluster-backtrack-status&Filters.Filter.1.Values.Value.1=completed' +
        '&Filters.Filter.1.Values.Value.2=pending&Filters.Filter.2.Name=db-cluster-backtrack-id' +
        '&Filters.Filter.2.Values.Value.1=abc',
    );
    assert.deepEqual(p.filters(), [
      { name: 'db-cluster-backtrack-status', values: ['completed', 'pending'] },
      { name: 'db-cluster-backtrack-id', values: ['abc'] },
    ]);
  });

  it('reads booleans and integers, and names the parameter when one is malformed', () => {
    const p = params('Yes=true&No=False&N=86400&Bad=maybe&Num=12x');
    assert.equal(p.boolean('Yes'), true);
    assert.equal(p.boolean('No'), false);
    assert.equal(p.integer('N'), 86400);
    assert.throws(
      () => p.boolean('Bad'),
      (e: ApiFault) => e.code === 'InvalidParameterValue' && /Bad/.test(e.message),
    );
    assert.throws(
      () => p.integer('Num'),
      (e: ApiFault) => e.code === 'InvalidParameterValue' && /Num/.test(e.message),
    );
  });

  it('reports a missing required parameter as MissingParameter', () => {
    assert.throws(
      () => params('').requiredString('DBClusterIdentifier'),
      (e: ApiFault) => e.code === 'MissingParameter',
    );
  });
});

describe('Query protocol: raw HTTP requests', function () {
  let harness: ApiHarness;

  before(async () => {
    harness = await startHarness({ hostBase: '127.0.30.40' });
  });

  after(async () => {
    await harness?.close();
  });

  async function post(body: string, headers: Record<string, string> = {}) {
    const response = await fetch(harness.server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body,
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, text, doc: xml.parse(text) };
  }

  function errorOf(doc: { ErrorResponse?: { Error?: { Type: string; Code: string; Message: string } } }) {
    assert.ok(doc.ErrorResponse?.Error, 'expected an <ErrorResponse>');
    return doc.ErrorResponse.Error;
  }

  it('answers a request without Action with an XML MissingAction error', async () => {
    const { status, headers, doc } = await post('Version=2014-10-31');
    assert.equal(status, 400);
    assert.match(headers.get('content-type') ?? '', /text\/xml/);
    assert.ok(headers.get('x-amzn-requestid'));
    const error = errorOf(doc);
    assert.equal(error.Code, 'MissingAction');
    assert.equal(error.Type, 'Sender');
  });

  it('answers an unknown action with InvalidAction', async () => {
    const { status, doc } = await post('Action=LaunchRockets&Version=2014-10-31');
    assert.equal(status, 400);
    assert.equal(errorOf(doc).Code, 'InvalidAction');
    assert.match(errorOf(doc).Message, /LaunchRockets/);
  });

  it('does not serve CloudFormation actions under the RDS version, nor the reverse', async () => {
    assert.equal(errorOf((await post('Action=DescribeStacks&Version=2014-10-31')).doc).Code, 'InvalidAction');
    assert.equal(
      errorOf((await post('Action=DescribeDBClusters&Version=2010-05-15')).doc).Code,
      'InvalidAction',
    );
  });

  it('picks the service from the SigV4 credential scope when Version is missing', async () => {
    const auth =
      'AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/cloudformation/aws4_request, SignedHeaders=host, Signature=x';
    const { status, text } = await post('Action=ListStacks', { authorization: auth });
    assert.equal(status, 200);
    assert.match(
      text,
      /<ListStacksResponse xmlns="http:\/\/cloudformation.amazonaws.com\/doc\/2010-05-15\/">/,
    );
  });

  it('refuses a malformed BacktrackTo with InvalidParameterValue naming the parameter', async () => {
    const { status, doc } = await post(
      'Action=BacktrackDBCluster&Version=2014-10-31&DBClusterIdentifier=c1&BacktrackTo=last%20tuesday',
    );
    assert.equal(status, 400);
    assert.equal(errorOf(doc).Code, 'InvalidParameterValue');
    assert.match(errorOf(doc).Message, /BacktrackTo/);
  });

  it('refuses a bad DB cluster identifier with InvalidParameterValue', async () => {
    for (const id of [
      '1starts-with-digit',
      'double--hyphen',
      'trailing-',
      'has_underscore',
      'a'.repeat(64),
    ]) {
      const { status, doc } = await post(
        `Action=CreateDBCluster&Version=2014-10-31&DBClusterIdentifier=${id}&Engine=aurora-mysql` +
          '&MasterUsername=u&MasterUserPassword=Password1',
      );
      assert.equal(status, 400, id);
      assert.equal(errorOf(doc).Code, 'InvalidParameterValue', id);
      assert.match(errorOf(doc).Message, /DBClusterIdentifier/, id);
    }
  });

  it('reports missing required parameters with MissingParameter', async () => {
    const { status, doc } = await post('Action=BacktrackDBCluster&Version=2014-10-31&DBClusterIdentifier=c1');
    assert.equal(status, 400);
    assert.equal(errorOf(doc).Code, 'MissingParameter');
    assert.match(errorOf(doc).Message, /BacktrackTo/);
  });

  it('serves GET query strings too', async () => {
    const response = await fetch(`${harness.server.url}/?Action=DescribeDBClusters&Version=2014-10-31`);
    assert.equal(response.status, 200);
    const doc = xml.parse(await response.text());
    assert.ok('DescribeDBClustersResult' in doc.DescribeDBClustersResponse);
    assert.ok(doc.DescribeDBClustersResponse.ResponseMetadata.RequestId);
  });

  it('answers a missing cluster with a 404 DBClusterNotFoundFault', async () => {
    const { status, doc } = await post(
      'Action=DescribeDBClusters&Version=2014-10-31&DBClusterIdentifier=nosuch',
    );
    assert.equal(status, 404);
    assert.equal(errorOf(doc).Code, 'DBClusterNotFoundFault');
    assert.equal(errorOf(doc).Message, 'DBCluster nosuch not found.');
  });

  it('refuses MaxRecords outside 20..100', async () => {
    const { status, doc } = await post('Action=DescribeDBClusters&Version=2014-10-31&MaxRecords=5');
    assert.equal(status, 400);
    assert.equal(errorOf(doc).Code, 'InvalidParameterValue');
  });

  it('escapes values in the XML it returns', async () => {
    const { doc } = await post('Action=DescribeDBClusters&Version=2014-10-31&DBClusterIdentifier=%3Cx%3E%26');
    assert.equal(errorOf(doc).Message, 'DBCluster <x>& not found.');
  });
});

describe('Query protocol: error envelopes', () => {
  it('marks server-side failures as Receiver errors with status 500', () => {
    const failure = new ApiFault('InternalFailure', 'boom & <bust>');
    assert.equal(failure.httpStatus, 500);
    const doc = xml.parse(errorXml('rds', failure, 'req-1'));
    assert.deepEqual(doc.ErrorResponse, {
      Error: { Type: 'Receiver', Code: 'InternalFailure', Message: 'boom & <bust>' },
      RequestId: 'req-1',
    });
  });

  it('uses the model HTTP statuses for the RDS faults the SDK maps to exception classes', () => {
    assert.equal(new ApiFault('DBClusterNotFoundFault', 'x').httpStatus, 404);
    assert.equal(new ApiFault('DBInstanceNotFound', 'x').httpStatus, 404);
    assert.equal(new ApiFault('DBClusterBacktrackNotFoundFault', 'x').httpStatus, 404);
    assert.equal(new ApiFault('DBClusterAlreadyExistsFault', 'x').httpStatus, 400);
    assert.equal(new ApiFault('InvalidDBClusterStateFault', 'x').httpStatus, 400);
    assert.equal(new ApiFault('DBClusterQuotaExceededFault', 'x').httpStatus, 403);
  });
});
