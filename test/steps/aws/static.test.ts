/** The aws step's static checks: params against the operation's input model, and its result type. */
import assert from 'node:assert/strict';
import { operationModel } from '../../../src/steps/aws/model.js';
import { checkAwsBody } from '../../../src/steps/aws/params-check.js';
import { awsStatics } from '../../../src/steps/aws/static.js';
import { contextWith, lines, noTypes, stepFrom } from './static-helpers.js';

function check(yaml: string, ctx = noTypes): string[] {
  return lines(awsStatics.check!(stepFrom('aws', yaml), ctx));
}

describe('aws statics: params', () => {
  it('accepts the seed runbook clone step', () => {
    assert.deepEqual(
      check(`operation: RestoreDBClusterToPointInTime
params:
  RestoreType: copy-on-write
  UseLatestRestorableTime: true
  SourceDBClusterIdentifier: "{{inputs.clusterName}}"
  DBClusterIdentifier: "{{inputs.clusterName}}-{{inputs.cloneSuffix}}"
  VpcSecurityGroupIds: ["{{inputs.dbSecurityGroup}}"]
  DBSubnetGroupName: "{{inputs.dbSubnetGroup}}"
  BacktrackWindow: "{{inputs.backtrackWindow}}"
`),
      [],
    );
  });

  it('refuses a misspelt member with a did-you-mean, pointing at the key', () => {
    assert.deepEqual(
      check(`operation: RestoreDBClusterToPointInTime
params:
  DBClusterIdentifer: c1
  RestoreToTme: 2024-05-01T12:00:00Z
`),
      [
        'error unknown-aws-member /params/DBClusterIdentifer (key): RestoreDBClusterToPointInTime has no parameter DBClusterIdentifer | did you mean "DBClusterIdentifier"?',
        'error unknown-aws-member /params/RestoreToTme (key): RestoreDBClusterToPointInTime has no parameter RestoreToTme | did you mean "RestoreToTime"?',
        'error missing-aws-member /params (key): RestoreDBClusterToPointInTime requires DBClusterIdentifier | Add DBClusterIdentifier to params.',
      ],
    );
  });

  it('suggests the member that differs only by case before a closer-looking one', () => {
    assert.deepEqual(check(`operation: DescribeDBClusters\nparams:\n  dbclusteridentifier: c1\n`), [
      'error unknown-aws-member /params/dbclusteridentifier (key): DescribeDBClusters has no parameter dbclusteridentifier | did you mean "DBClusterIdentifier"?',
    ]);
  });

  it('reports missing required members at params, or at the operation when there is no params', () => {
    assert.deepEqual(check(`operation: CreateDBInstance\nparams:\n  DBInstanceIdentifier: i1\n`), [
      'error missing-aws-member /params (key): CreateDBInstance requires DBInstanceClass, Engine | Add DBInstanceClass, Engine to params.',
    ]);
    assert.deepEqual(check(`operation: BacktrackDBCluster\n`), [
      'error missing-aws-member /operation: BacktrackDBCluster requires DBClusterIdentifier, BacktrackTo | Add params with DBClusterIdentifier, BacktrackTo.',
    ]);
  });

  it('counts a required member with an empty value as missing, as the run does', () => {
    assert.deepEqual(
      check(`operation: BacktrackDBCluster\nparams:\n  DBClusterIdentifier: c1\n  BacktrackTo:\n`),
      [
        'error missing-aws-member /params/BacktrackTo (key): BacktrackDBCluster requires BacktrackTo, which has no value | Give BacktrackTo a value.',
      ],
    );
    assert.deepEqual(check(`operation: BacktrackDBCluster\nparams:\n  DBClusterIdentifier: ~\n`), [
      'error missing-aws-member /params/DBClusterIdentifier (key): BacktrackDBCluster requires DBClusterIdentifier, which has no value | Give DBClusterIdentifier a value.',
      'error missing-aws-member /params (key): BacktrackDBCluster requires BacktrackTo | Add BacktrackTo to params.',
    ]);
    assert.deepEqual(check(`operation: DescribeDBClusters\nparams:\n  DBClusterIdentifier:\n`), []);
  });

  it('refuses literals of the wrong type', () => {
    assert.deepEqual(
      check(`operation: RestoreDBClusterToPointInTime
params:
  DBClusterIdentifier: c1
  UseLatestRestorableTime: "yes"
  BacktrackWindow: a day
  RestoreToTime: yesterday
  VpcSecurityGroupIds: sg-1
`),
      [
        'error invalid-aws-value /params/UseLatestRestorableTime: UseLatestRestorableTime must be a boolean (true or false), got "yes" | Write true or false, without quotes.',
        'error invalid-aws-value /params/BacktrackWindow: BacktrackWindow must be a number, got "a day" | Write a number, e.g. 86400.',
        'error invalid-aws-value /params/RestoreToTime: RestoreToTime must be a timestamp (ISO-8601), got "yesterday" | Write an ISO-8601 instant such as 2024-05-01T12:00:00Z.',
        'error invalid-aws-value /params/VpcSecurityGroupIds: VpcSecurityGroupIds must be a list of strings, got "sg-1" | Write a YAML list, e.g. [a, b].',
      ],
    );
    assert.deepEqual(
      check(`operation: DeleteDBCluster\nparams:\n  DBClusterIdentifier: c1\n  SkipFinalSnapshot: "yes"\n`),
      [
        'error invalid-aws-value /params/SkipFinalSnapshot: SkipFinalSnapshot must be a boolean (true or false), got "yes" | Write true or false, without quotes.',
      ],
    );
  });

  it('accepts literals the run coerces: numeric strings, "true"/"false", ISO instants, epoch seconds', () => {
    assert.deepEqual(
      check(`operation: RestoreDBClusterToPointInTime
params:
  DBClusterIdentifier: c1
  UseLatestRestorableTime: "false"
  BacktrackWindow: "86400"
  RestoreToTime: 2024-05-01T12:00:00.123Z
`),
      [],
    );
    assert.deepEqual(
      check(`operation: BacktrackDBCluster\nparams: { DBClusterIdentifier: c1, BacktrackTo: 1714564800 }\n`),
      [],
    );
  });

  it('refuses a value outside the documented values, with a did-you-mean', () => {
    assert.deepEqual(
      check(
        `operation: RestoreDBClusterToPointInTime\nparams:\n  DBClusterIdentifier: c1\n  RestoreType: fullcopy\n`,
      ),
      [
        'error invalid-aws-value /params/RestoreType: RestoreType must be one of copy-on-write, full-copy, got "fullcopy" | did you mean "full-copy"?',
      ],
    );
    assert.deepEqual(
      check(
        `operation: CreateDBInstance\nparams: { DBInstanceIdentifier: i1, DBInstanceClass: db.r6g.large, Engine: aurora-mysq }\n`,
      ),
      [
        'error invalid-aws-value /params/Engine: Engine must be one of aurora-mysql, aurora-postgresql, custom-oracle-ee, custom-oracle-ee-cdb, custom-oracle-se2, custom-oracle-se2-cdb, custom-sqlserver-dev, custom-sqlserver-ee, … (24 values), got "aurora-mysq" | did you mean "aurora-mysql"?',
      ],
    );
  });

  it('warns about the retired engine name aurora, naming the replacement', () => {
    assert.deepEqual(
      check(
        `operation: CreateDBInstance\nparams: { DBInstanceIdentifier: i1, DBInstanceClass: db.r6g.large, Engine: aurora }\n`,
      ),
      [
        'warning retired-value /params/Engine: Engine "aurora" is the Aurora MySQL 1 (MySQL 5.6) engine name, no longer among the valid values; AWS refuses it today | Use aurora-mysql (see https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstance.html).',
      ],
    );
  });

  it('checks enum values the SDK model has (CloudFormation)', () => {
    assert.deepEqual(
      check(`service: cloudformation
operation: ListStacks
params:
  StackStatusFilter: [CREATE_COMPLETE, CREATE_COMPLET]
`),
      [
        'error invalid-aws-value /params/StackStatusFilter/1: StackStatusFilter[1] must be one of CREATE_COMPLETE, CREATE_FAILED, CREATE_IN_PROGRESS, DELETE_COMPLETE, DELETE_FAILED, DELETE_IN_PROGRESS, IMPORT_COMPLETE, IMPORT_IN_PROGRESS, … (23 values), got "CREATE_COMPLET" | did you mean "CREATE_COMPLETE"?',
      ],
    );
  });

  it('checks nested lists and structures', () => {
    assert.deepEqual(
      check(`operation: DescribeDBClusters
params:
  Filters:
    - Name: engine
      Value: [aurora-mysql]
    - Values: one
`),
      [
        'error unknown-aws-member /params/Filters/0/Value (key): Filters[0] has no member Value | did you mean "Values"?',
        'error missing-aws-member /params/Filters/0: Filters[0] requires Values | Add Values to Filters[0].',
        'error invalid-aws-value /params/Filters/1/Values: Filters[1].Values must be a list of strings, got "one" | Write a YAML list, e.g. [a, b].',
        'error missing-aws-member /params/Filters/1: Filters[1] requires Name | Add Name to Filters[1].',
      ],
    );
  });

  it('checks templates whose type is known, and leaves the others to the run', () => {
    const ctx = contextWith({
      '{{inputs.flag}}': { kind: 'boolean' },
      '{{inputs.window}}': { kind: 'integer' },
      '{{inputs.name}}': { kind: 'string' },
    });
    assert.deepEqual(
      check(
        `operation: RestoreDBClusterToPointInTime
params:
  DBClusterIdentifier: "{{inputs.name}}"
  BacktrackWindow: "{{inputs.flag}}"
  UseLatestRestorableTime: "{{inputs.window}}"
  Port: "{{inputs.name}}"
  RestoreToTime: "{{captures.unknown}}"
`,
        ctx,
      ),
      [
        'error invalid-aws-value /params/BacktrackWindow: BacktrackWindow must be a number, but {{inputs.flag}} is a boolean (true or false) | Give BacktrackWindow a value of the type the operation expects.',
        'error invalid-aws-value /params/UseLatestRestorableTime: UseLatestRestorableTime must be a boolean (true or false), but {{inputs.window}} is a whole number | Give UseLatestRestorableTime a value of the type the operation expects.',
      ],
    );
  });

  it('an operation the SDK has but the models lack is refused at the operation, its params unchecked', () => {
    // The models lag behind the SDK when a client is upgraded without regenerating them.
    const withoutBacktrack = (service: 'rds' | 'cloudformation', operation: string) =>
      operation === 'BacktrackDBCluster' ? undefined : operationModel(service, operation);
    const problems = (yaml: string, base = '') =>
      lines(checkAwsBody(stepFrom('aws', yaml).fields, base, noTypes, withoutBacktrack));
    const message =
      'labrun has no model of rds BacktrackDBCluster: its params cannot be checked | Regenerate the models after upgrading the SDK clients: npx tsx scripts/gen-aws-models.ts.';
    assert.deepEqual(problems(`operation: BacktrackDBCluster\nparams: {DBClusterIdentifer: c1}\n`), [
      `error missing-aws-model /operation: ${message}`,
    ]);
    assert.deepEqual(problems(`operation: BacktrackDBCluster\n`, '/probe'), [
      `error missing-aws-model /probe/operation: ${message}`,
    ]);
    assert.deepEqual(problems(`operation: DescribeDBClusters\nparams: {DBClusterIdentifer: c1}\n`), [
      'error unknown-aws-member /params/DBClusterIdentifer (key): DescribeDBClusters has no parameter DBClusterIdentifer | did you mean "DBClusterIdentifier"?',
    ]);
  });

  it('an operation the SDK does not have is left to the reference checks (unknown-aws-operation)', () => {
    assert.deepEqual(check(`operation: RestoreDBClusterToPointInTme\nparams: { X: 1 }\n`), []);
  });
});

describe('aws statics: result type', () => {
  it("is the operation's output shape", () => {
    const type = awsStatics.resultType!(stepFrom('aws', 'operation: DescribeDBClusters\n'), noTypes);
    assert.equal(type.kind, 'structure');
    const clusters = type.kind === 'structure' ? type.members.DBClusters : undefined;
    assert.equal(clusters?.kind, 'list');
    const cluster = clusters.kind === 'list' ? clusters.member : undefined;
    assert.ok(cluster?.kind === 'structure' && cluster.members.Endpoint?.kind === 'string');
  });

  it('is any for an operation the SDK does not have', () => {
    assert.deepEqual(awsStatics.resultType!(stepFrom('aws', 'operation: NoSuchOperation\n'), noTypes), {
      kind: 'any',
    });
  });
});
