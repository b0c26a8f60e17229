/** Run-time coercion of rendered aws params by the operation's model. */
import assert from 'node:assert/strict';
import { coerceParams, ParamsError } from '../../../src/steps/aws/coerce.js';
import { operationModel } from '../../../src/steps/aws/model.js';

function coerce(operation: string, params: Record<string, unknown>): Record<string, unknown> {
  return coerceParams(params, operationModel('rds', operation)!.input, operation, '/params');
}

function problem(operation: string, params: Record<string, unknown>): ParamsError['problem'] {
  try {
    coerce(operation, params);
  } catch (error) {
    if (error instanceof ParamsError) return error.problem;
    throw error;
  }
  assert.fail('expected a ParamsError');
}

describe('aws params coercion', () => {
  it('turns numeric strings into numbers, "true"/"false" into booleans, instants into Dates', () => {
    const out = coerce('RestoreDBClusterToPointInTime', {
      DBClusterIdentifier: 'c1',
      BacktrackWindow: '86400',
      Port: 3306,
      UseLatestRestorableTime: 'false',
      RestoreToTime: '2026-11-23T09:00:00Z',
      VpcSecurityGroupIds: ['sg-1', 7],
      Tags: [{ Key: 'lab', Value: 1 }],
    });
    assert.deepEqual(out, {
      DBClusterIdentifier: 'c1',
      BacktrackWindow: 86400,
      Port: 3306,
      UseLatestRestorableTime: false,
      RestoreToTime: new Date('2026-11-23T09:00:00Z'),
      VpcSecurityGroupIds: ['sg-1', '7'],
      Tags: [{ Key: 'lab', Value: '1' }],
    });
    assert.deepEqual(coerce('BacktrackDBCluster', { DBClusterIdentifier: 'c1', BacktrackTo: 1795424400 }), {
      DBClusterIdentifier: 'c1',
      BacktrackTo: new Date(1795424400 * 1000),
    });
  });

  it('refuses what cannot be coerced, naming the member and its pointer', () => {
    assert.deepEqual(
      problem('RestoreDBClusterToPointInTime', { DBClusterIdentifier: 'c1', BacktrackWindow: '1d' }),
      {
        pointer: '/params/BacktrackWindow',
        code: 'InvalidParameterValue',
        message: 'BacktrackWindow must be a number, got "1d"',
        hint: 'Give a number, e.g. 86400.',
      },
    );
    assert.equal(
      problem('BacktrackDBCluster', { DBClusterIdentifier: 'c1', BacktrackTo: 'yesterday' }).message,
      'BacktrackTo must be a timestamp (ISO-8601), got "yesterday"',
    );
    assert.deepEqual(
      problem('DescribeDBClusters', { Filters: [{ Name: 'engine', Values: 'aurora-mysql' }] }),
      {
        pointer: '/params/Filters/0/Values',
        code: 'InvalidParameterValue',
        message: 'Filters[0].Values must be a list of strings, got "aurora-mysql"',
        hint: undefined,
      },
    );
  });

  it('refuses unknown members with a did-you-mean and absent required members', () => {
    assert.deepEqual(problem('DescribeDBClusters', { DBClusterIdentifer: 'c1' }), {
      pointer: '/params/DBClusterIdentifer',
      code: 'UnknownParameter',
      message: 'DescribeDBClusters has no parameter DBClusterIdentifer',
      hint: 'did you mean "DBClusterIdentifier"?',
    });
    assert.deepEqual(
      problem('CreateDBInstance', { DBInstanceIdentifier: 'i1', DBInstanceClass: 'db.r6g.large' }),
      {
        pointer: '/params',
        code: 'MissingParameter',
        message: 'CreateDBInstance requires Engine',
        hint: 'Give Engine a value.',
      },
    );
  });
});
