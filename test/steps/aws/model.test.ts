/** The generated AWS models: current with the installed SDK clients, and decoded into the right value types. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateModelsModule } from '../../../scripts/gen-aws-models.js';
import { modelledOperations, operationModel } from '../../../src/steps/aws/model.js';
import { CLOUDFORMATION_OPERATIONS, RDS_OPERATIONS } from '../../../src/steps/aws/operations.generated.js';
import { repoRoot } from '../../runbook/fixtures.js';

describe('aws models', () => {
  it('the committed models equal those generated from the installed SDK clients', async function () {
    this.timeout(60_000);
    const committed = readFileSync(join(repoRoot, 'src/steps/aws/models.generated.ts'), 'utf8');
    assert.equal(committed, await generateModelsModule(), 'run: npx tsx scripts/gen-aws-models.ts');
  });

  it('has a model for every operation of the operation list', () => {
    assert.deepEqual(modelledOperations('rds'), [...RDS_OPERATIONS]);
    assert.deepEqual(modelledOperations('cloudformation'), [...CLOUDFORMATION_OPERATIONS]);
  });

  it('describes RestoreDBClusterToPointInTime input members, types and required members', () => {
    const model = operationModel('rds', 'RestoreDBClusterToPointInTime');
    assert.ok(model);
    const { members, required } = model.input;
    assert.deepEqual(required, ['DBClusterIdentifier']);
    assert.deepEqual(members.RestoreToTime, { kind: 'timestamp' });
    assert.deepEqual(members.UseLatestRestorableTime, { kind: 'boolean' });
    assert.deepEqual(members.BacktrackWindow, { kind: 'number' });
    assert.deepEqual(members.VpcSecurityGroupIds, { kind: 'list', member: { kind: 'string' } });
    const tags = members.Tags;
    assert.equal(tags?.kind, 'list');
    assert.deepEqual(tags.kind === 'list' && tags.member, {
      kind: 'structure',
      members: { Key: { kind: 'string' }, Value: { kind: 'string' } },
      required: [],
    });
  });

  it('has the required members of CreateDBInstance and BacktrackDBCluster', () => {
    assert.deepEqual(operationModel('rds', 'CreateDBInstance')?.input.required, [
      'DBInstanceIdentifier',
      'DBInstanceClass',
      'Engine',
    ]);
    assert.deepEqual(operationModel('rds', 'BacktrackDBCluster')?.input.required, [
      'DBClusterIdentifier',
      'BacktrackTo',
    ]);
  });

  it('describes the output tree: DescribeDBClusters -> DBClusters[] -> DBCluster', () => {
    const output = operationModel('rds', 'DescribeDBClusters')?.output;
    assert.equal(output?.kind, 'structure');
    const clusters = output.kind === 'structure' ? output.members.DBClusters : undefined;
    assert.equal(clusters?.kind, 'list');
    const cluster = clusters.kind === 'list' ? clusters.member : undefined;
    assert.equal(cluster?.kind, 'structure');
    if (cluster.kind !== 'structure') return;
    assert.deepEqual(cluster.members.Status, { kind: 'string' });
    assert.deepEqual(cluster.members.Endpoint, { kind: 'string' });
    assert.deepEqual(cluster.members.ClusterCreateTime, { kind: 'timestamp' });
    assert.equal(cluster.members.DBClusterMembers?.kind, 'list');
  });

  it('carries enum values from the SDK declarations (CloudFormation StackStatus)', () => {
    const output = operationModel('cloudformation', 'DescribeStacks')?.output;
    const stacks = output?.kind === 'structure' ? output.members.Stacks : undefined;
    const stack = stacks?.kind === 'list' ? stacks.member : undefined;
    const status = stack?.kind === 'structure' ? stack.members.StackStatus : undefined;
    assert.equal(status?.kind, 'string');
    assert.ok(status.kind === 'string' && status.enum?.includes('CREATE_COMPLETE'));
    assert.ok(status.kind === 'string' && status.enum?.includes('UPDATE_ROLLBACK_COMPLETE'));
  });

  it('an operation without a model is undefined, also for inherited object keys', () => {
    assert.equal(operationModel('rds', 'RestoreDBClusterToPointInTme'), undefined);
    assert.equal(operationModel('rds', 'constructor'), undefined);
    assert.equal(operationModel('cloudformation', 'DescribeDBClusters'), undefined);
  });

  it('shares decoded shapes between operations', () => {
    const a = operationModel('rds', 'DescribeDBClusters')?.output;
    const b = operationModel('rds', 'ModifyDBCluster')?.output;
    const clusterA = a?.kind === 'structure' && a.members.DBClusters;
    const clusterB = b?.kind === 'structure' && b.members.DBCluster;
    assert.ok(clusterA && clusterA.kind === 'list');
    assert.equal(clusterA.member, clusterB);
  });
});
