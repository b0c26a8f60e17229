/** The wait-until step's static checks: the probe's params, the status values, and the result type. */
import assert from 'node:assert/strict';
import { waitUntilStatics } from '../../../src/steps/wait-until/static.js';
import { lines, noTypes, stepFrom } from './static-helpers.js';

function check(yaml: string): string[] {
  return lines(waitUntilStatics.check!(stepFrom('wait-until', yaml), noTypes));
}

const CLUSTER_PROBE = `probe:
  type: aws
  operation: DescribeDBClusters
  params:
    DBClusterIdentifier: c1
value: "{{result.DBClusters.0.Status}}"
`;

describe('wait-until statics', () => {
  it('accepts the seed runbook waits', () => {
    assert.deepEqual(
      check(`${CLUSTER_PROBE}success: [available]
failure: [failed, deleted, deleting, incompatible-restore, incompatible-parameters, cloning-failed]
`),
      [],
    );
    assert.deepEqual(
      check(`probe:
  type: aws
  operation: DescribeDBInstances
  params: { DBInstanceIdentifier: i1 }
value: "{{result.DBInstances.0.DBInstanceStatus}}"
success: [available]
failure: [failed, deleted, deleting, incompatible-restore, incompatible-parameters]
`),
      [],
    );
  });

  it("checks an aws probe's params like an aws step's, under /probe", () => {
    assert.deepEqual(
      check(`probe:
  type: aws
  operation: DescribeDBClusters
  params:
    DBClusterIdentifer: c1
value: "{{result.DBClusters.0.Status}}"
success: [available]
`),
      [
        'error unknown-aws-member /probe/params/DBClusterIdentifer (key): DescribeDBClusters has no parameter DBClusterIdentifer | did you mean "DBClusterIdentifier"?',
      ],
    );
    assert.deepEqual(
      check(
        `probe: { type: aws, operation: DescribeDBClusterBacktracks }\nvalue: "{{result.x}}"\nsuccess: [a]\n`,
      ),
      [
        'error missing-aws-member /probe/operation: DescribeDBClusterBacktracks requires DBClusterIdentifier | Add params with DBClusterIdentifier.',
      ],
    );
  });

  it('refuses a cluster status that does not exist, with a did-you-mean', () => {
    assert.deepEqual(check(`${CLUSTER_PROBE}success: [availble]\nfailure: [Failed, gone]\n`), [
      'error invalid-status-value /success/0: "availble" is not a DB cluster Status value, so the wait would never see it | did you mean "available"? (values: https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/Aurora.Status.html)',
      'error invalid-status-value /failure/0: "Failed" is not a DB cluster Status value, so the wait would never see it | did you mean "failed"? (values: https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/Aurora.Status.html)',
      'error invalid-status-value /failure/1: "gone" is not a DB cluster Status value, so the wait would never see it | Values: available, backing-up, backtracking, cloning-failed, creating, deleted, deleting, failed, failing-over, inaccessible-encryption-credentials, inaccessible-encryption-credentials-recoverable, incompatible-parameters, incompatible-restore, maintenance, migrating, migration-failed, modifying, promoting, renaming, resetting-master-credentials, starting, stopped, stopping, storage-optimization, update-iam-db-auth, upgrading (https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/Aurora.Status.html).',
    ]);
  });

  it('knows the instance status field and the backtrack status in either case', () => {
    assert.deepEqual(
      check(`probe: { type: aws, operation: DescribeDBInstances, params: { DBInstanceIdentifier: i1 } }
value: "{{result.DBInstances.0.DBInstanceStatus}}"
success: [availabel]
`),
      [
        'error invalid-status-value /success/0: "availabel" is not a DB instance DBInstanceStatus value, so the wait would never see it | did you mean "available"? (values: https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/accessing-monitoring.html)',
      ],
    );
    assert.deepEqual(
      check(`probe: { type: aws, operation: DescribeDBClusterBacktracks, params: { DBClusterIdentifier: c1 } }
value: "{{result.DBClusterBacktracks.0.Status}}"
success: [COMPLETED, completed]
failure: [FAILED, FAIL]
`),
      [
        'error invalid-status-value /failure/1: "FAIL" is not a backtrack Status value, so the wait would never see it | did you mean "failed"? (values: https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DBClusterBacktrack.html)',
      ],
    );
  });

  it('takes the CloudFormation StackStatus vocabulary from the model', () => {
    assert.deepEqual(
      check(`probe: { type: aws, service: cloudformation, operation: DescribeStacks, params: { StackName: s } }
value: "{{result.Stacks.0.StackStatus}}"
success: [CREATE_COMPLETE, UPDATE_COMPLETE]
failure: [ROLLBACK_COMPLETED]
`),
      [
        'error invalid-status-value /failure/0: "ROLLBACK_COMPLETED" is not a DescribeStacks Stacks.StackStatus value, so the wait would never see it | did you mean "ROLLBACK_COMPLETE"? (values: the cloudformation API model)',
      ],
    );
  });

  it('leaves alone awaited error codes, templated values and values that are not one plain reference', () => {
    assert.deepEqual(check(`${CLUSTER_PROBE}success: [DBClusterNotFoundFault, "{{inputs.status}}"]\n`), []);
    assert.deepEqual(
      check(`probe: { type: aws, operation: DescribeDBClusters, params: { DBClusterIdentifier: c1 } }
value: "{{default result.DBClusters.0.Status 'gone'}}"
success: [whatever]
`),
      [],
    );
  });

  it('result type: the probe result plus what the wait adds; waitedMs for a duration', () => {
    const type = waitUntilStatics.resultType!(
      stepFrom('wait-until', `${CLUSTER_PROBE}success: [available]\n`),
      noTypes,
    );
    assert.equal(type.kind, 'structure');
    if (type.kind !== 'structure') return;
    assert.equal(type.members.DBClusters?.kind, 'list');
    assert.deepEqual(type.members.polls, { kind: 'number' });
    assert.deepEqual(type.members.elapsedMs, { kind: 'number' });
    assert.deepEqual(waitUntilStatics.resultType!(stepFrom('wait-until', 'duration: 5s\n'), noTypes), {
      kind: 'structure',
      members: { waitedMs: { kind: 'number' } },
    });
  });
});
