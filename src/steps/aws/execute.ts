/**
 * The `aws` step: one AWS SDK v3 command, `new <Operation>Command(params)`, sent through a client built from
 * the run's settings. The SDK is imported on first use so that validating a runbook never loads it.
 *
 * Transient errors are retried by the SDK (exponential backoff with full jitter), but only as far as that is
 * safe: idempotent operations (Describe*, List*, Get*, Delete*) retry throttling, 5xx answers and lost
 * connections; every other operation retries only failures that prove the request had no effect (see
 * `retryStrategyFor`).
 */
import { StepError } from '../../core/errors.js';
import { toPlain } from '../../core/plain.js';
import type { ResourceKind } from '../static-types.js';
import { CREATING_AWS_OPERATIONS, DESTRUCTIVE_AWS_OPERATIONS } from './rds-resources.js';
import type { CompiledStep } from '../../runbook/types.js';
import type {
  AwsServiceName,
  AwsSettings,
  PlanContext,
  PlannedAction,
  Reconciler,
  StepContext,
  StepType,
} from '../types.js';
import { coerceParams, ParamsError } from './coerce.js';
import { operationModel } from './model.js';

export interface SdkClient {
  send(command: unknown, options?: { abortSignal?: AbortSignal }): Promise<unknown>;
  destroy(): void;
}
type SdkModule = Record<string, unknown>;
type CommandClass = new (input: unknown) => unknown;

const READ_ONLY = /^(Describe|List|Get|Validate|Estimate)/;
/**
 * Operations that can be sent again without changing the outcome. Describe/List/Get only read. A Delete of a
 * named resource is idempotent in effect: if an attempt whose answer was lost did delete, the repeat cannot
 * delete anything else; it gets `...NotFound` or "already being deleted" (`Invalid...State`), which is
 * what the lab's cleanup steps expect and handle. Retrying deletes is what lets cleanup survive a transient failure.
 */
const IDEMPOTENT = /^(Describe|List|Get|Delete)/;
/** Attempts per idempotent call (first one included) unless the run sets `maxAttempts`. */
const IDEMPOTENT_MAX_ATTEMPTS = 6;

export type CallKind = 'idempotent' | 'non-idempotent';

export function callKind(operation: string): CallKind {
  return IDEMPOTENT.test(operation) ? 'idempotent' : 'non-idempotent';
}

export const awsStep = {
  type: 'aws',
  mutating: (step: CompiledStep) => !READ_ONLY.test(String(step.fields.operation ?? '')),
  plan: (_step, ctx) => planAws(ctx, ''),
  execute: (_step, ctx) => runAws(ctx, ''),
  reconciler: (step) => awsReconciler(step),
  // DescribeDBClusters / DescribeDBInstances: their NotFound fault is the service saying it does not exist.
  targetExists: async (target, ctx) =>
    (await describeResource(await runClient(ctx), target, ctx.signal)) !== undefined,
} satisfies StepType;

export function planAws(ctx: PlanContext, base: string): PlannedAction {
  const service = String(ctx.field(`${base}/service`) ?? 'rds');
  const operation = String(ctx.field(`${base}/operation`));
  return { summary: `${service} ${operation}`, detail: ctx.render(`${base}/params`) ?? {} };
}

/** Runs the aws body found at `base` ("" for an aws step, "/probe" for a wait's probe). */
export async function runAws(ctx: StepContext, base: string): Promise<unknown> {
  const service = String(ctx.field(`${base}/service`) ?? 'rds') as AwsServiceName;
  const operation = String(ctx.field(`${base}/operation`));
  const rendered = ctx.render(`${base}/params`) ?? {};
  if (!isRecord(rendered)) {
    throw new StepError(`params must be a mapping, got ${JSON.stringify(rendered)}`, {
      code: 'InvalidParameters',
      kind: 'aws',
      span: ctx.spanAt(`${base}/params`),
    });
  }
  ctx.setRendered({ service, operation, params: rendered });
  const params = modelParams(rendered, service, operation, ctx, `${base}/params`);

  const sdk = await loadSdk(service);
  const Command = sdk[`${operation}Command`];
  if (typeof Command !== 'function') {
    throw new StepError(`${service} has no operation ${operation}`, {
      code: 'UnknownOperation',
      kind: 'aws',
      span: ctx.spanAt(`${base}/operation`),
      hint: 'Use an SDK v3 command name without the Command suffix, e.g. DescribeDBClusters.',
    });
  }
  const kind = callKind(operation);
  const client = await ctx.resource(
    `aws:${service}:${kind}`,
    () => createClient(sdk, service, ctx.aws, kind),
    (c) => c.destroy(),
  );
  try {
    const output = await client.send(new (Command as CommandClass)(params), { abortSignal: ctx.signal });
    return toPlain(output);
  } catch (error) {
    if (ctx.signal.aborted) throw ctx.signal.reason;
    throw sdkError(error, service, operation, ctx.spanAt(`${base}/operation`));
  }
}

async function loadSdk(service: AwsServiceName): Promise<SdkModule> {
  switch (service) {
    case 'rds':
      return (await import('@aws-sdk/client-rds')) as unknown as SdkModule;
    case 'cloudformation':
      return (await import('@aws-sdk/client-cloudformation')) as unknown as SdkModule;
    default:
      throw new StepError(`unknown AWS service ${JSON.stringify(service)}`, {
        code: 'UnknownService',
        kind: 'aws',
        hint: 'Use rds or cloudformation.',
      });
  }
}

async function createClient(
  sdk: SdkModule,
  service: AwsServiceName,
  aws: AwsSettings,
  kind: CallKind,
): Promise<SdkClient> {
  const name = service === 'rds' ? 'RDSClient' : 'CloudFormationClient';
  const Client = sdk[name] as new (config: Record<string, unknown>) => SdkClient;
  return new Client({
    retryStrategy: await retryStrategyFor(kind, aws.maxAttempts),
    ...(aws.region ? { region: aws.region } : {}),
    ...(aws.endpoint ? { endpoint: aws.endpoint } : {}),
    ...(aws.credentials ? { credentials: aws.credentials } : {}),
  });
}

type StandardStrategy = InstanceType<(typeof import('@smithy/core/retry'))['StandardRetryStrategy']>;
type RetryErrorInfo = Parameters<StandardStrategy['refreshRetryTokenForRetry']>[1];

/**
 * The SDK's standard strategy (exponential backoff with full jitter, a retry quota) for idempotent calls.
 *
 * A non-idempotent call (CreateDBInstance, RestoreDBClusterToPointInTime, BacktrackDBCluster...) must not be
 * sent twice blindly: after a 5xx answer, a timeout or a lost connection the request may well have taken
 * effect (the instance exists, the backtrack started), and a second attempt would then fail confusingly
 * (DBClusterAlreadyExistsFault) or act twice. It is retried only when the failure proves the request was
 * never carried out: a throttling answer (the service refuses the request at the door, before processing
 * it, which is what makes it safe for AWS's own clients to retry it) or a refused connection (nothing was
 * sent). Every other error reaches the step at once, with the SDK's message.
 */
export async function retryStrategyFor(
  kind: CallKind,
  maxAttempts?: number,
): Promise<
  Pick<StandardStrategy, 'acquireInitialRetryToken' | 'refreshRetryTokenForRetry' | 'recordSuccess'>
> {
  const { StandardRetryStrategy } = await import('@smithy/core/retry');
  const attempts = maxAttempts ?? IDEMPOTENT_MAX_ATTEMPTS;
  if (kind === 'idempotent') return new StandardRetryStrategy(attempts);
  return new NotAppliedOnlyRetryStrategy(new StandardRetryStrategy(maxAttempts ?? 3));
}

type RetryToken = Parameters<StandardStrategy['refreshRetryTokenForRetry']>[0];

/** Delegates to the standard strategy, but refuses to retry an error that may have followed an effect. */
class NotAppliedOnlyRetryStrategy {
  readonly mode: string;

  constructor(private readonly standard: StandardStrategy) {
    this.mode = standard.mode;
  }

  acquireInitialRetryToken(scope: string): Promise<RetryToken> {
    return this.standard.acquireInitialRetryToken(scope);
  }

  refreshRetryTokenForRetry(token: RetryToken, info: RetryErrorInfo): Promise<RetryToken> {
    const code = (info.error as { code?: string } | undefined)?.code;
    if (info.errorType !== 'THROTTLING' && code !== 'ECONNREFUSED')
      return Promise.reject(new Error('No retry token available'));
    return this.standard.refreshRetryTokenForRetry(token, info);
  }

  recordSuccess(token: RetryToken): void {
    this.standard.recordSuccess(token);
  }
}

export function sdkError(
  error: unknown,
  service: string,
  operation: string,
  span?: StepError['span'],
): StepError {
  const e = error as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const code = e.name && e.name !== 'Error' ? e.name : 'AwsError';
  let message = e.message || code;
  let hint: string | undefined;
  if (/Region is missing/i.test(message)) {
    hint = 'Pass --region, or set AWS_REGION.';
  } else if (/Could not load credentials|CredentialsProviderError/i.test(`${code} ${message}`)) {
    hint =
      'Configure AWS credentials (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or a profile), or use --sandbox.';
  } else if (/ECONNREFUSED/.test(message)) {
    hint = 'Nothing answers at the AWS endpoint; is the sandbox running (labrun sandbox status)?';
  }
  // The SDK's own advice ("inspect the hidden field {error}.$response") is for programmers of the SDK.
  const deserialization = /\n\s*Deserialization error:/.exec(message);
  if (deserialization) {
    return new StepError(
      `${service} ${operation} failed: the answer is not a well-formed AWS response (${message.slice(0, deserialization.index).trim()})`,
      {
        code: 'MalformedResponse',
        kind: 'aws',
        span,
        hint: 'Check that the endpoint (--endpoint-url, AWS_ENDPOINT_URL) is the AWS service, not something else.',
        cause: error,
      },
    );
  }
  if (code !== 'AwsError' && !message.includes(code)) message = `${code}: ${message}`;
  return new StepError(`${service} ${operation} failed: ${message}`, {
    code,
    kind: 'aws',
    span,
    hint,
    cause: error,
  });
}

/** The rendered params coerced by the operation's model (see ./coerce.ts), or a StepError naming the member. */
function modelParams(
  rendered: Record<string, unknown>,
  service: AwsServiceName,
  operation: string,
  ctx: StepContext,
  pointer: string,
): Record<string, unknown> {
  const model = operationModel(service, operation);
  if (!model) return rendered;
  try {
    return coerceParams(rendered, model.input, operation, pointer);
  } catch (error) {
    if (!(error instanceof ParamsError)) throw error;
    throw new StepError(`${service} ${operation}: ${error.message}`, {
      code: error.problem.code,
      kind: 'aws',
      span: ctx.spanAt(error.problem.pointer),
      hint: error.problem.hint,
    });
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Date);
}

/** A cluster or instance as found now: its status and creation time; undefined when it does not exist. */
export interface FoundResource {
  status: string;
  createdAt?: Date;
  /** The Describe answer's item (DBCluster or DBInstance). */
  item: Record<string, unknown>;
}

/** Looks a cluster or instance up by identifier, with an idempotent (retrying) client. */
export async function describeResource(
  client: SdkClient,
  ref: { kind: ResourceKind; id: string },
  signal: AbortSignal,
): Promise<FoundResource | undefined> {
  const sdk = await loadSdk('rds');
  const cluster = ref.kind === 'cluster';
  const Command = sdk[cluster ? 'DescribeDBClustersCommand' : 'DescribeDBInstancesCommand'] as CommandClass;
  try {
    const output = toPlain(
      await client.send(
        new Command(cluster ? { DBClusterIdentifier: ref.id } : { DBInstanceIdentifier: ref.id }),
        { abortSignal: signal },
      ),
    ) as Record<string, unknown>;
    const list = output[cluster ? 'DBClusters' : 'DBInstances'];
    const item = Array.isArray(list) ? (list[0] as Record<string, unknown> | undefined) : undefined;
    if (!item) return undefined;
    const status = item[cluster ? 'Status' : 'DBInstanceStatus'];
    const created = item[cluster ? 'ClusterCreateTime' : 'InstanceCreateTime'];
    return {
      status: typeof status === 'string' ? status : 'unknown',
      ...(typeof created === 'string' && !Number.isNaN(Date.parse(created))
        ? { createdAt: new Date(created) }
        : {}),
      item,
    };
  } catch (error) {
    const name = (error as { name?: string }).name ?? '';
    if (/^(DBClusterNotFound|DBInstanceNotFound)/.test(name)) return undefined;
    if (signal.aborted) throw new Error(`no answer in time looking up ${ref.kind} ${ref.id}`);
    throw sdkError(error, 'rds', cluster ? 'DescribeDBClusters' : 'DescribeDBInstances');
  }
}

/** The run's idempotent RDS client, the one `aws` steps of the run use for Describe calls. */
async function runClient(ctx: StepContext): Promise<SdkClient> {
  const sdk = await loadSdk('rds');
  return ctx.resource(
    'aws:rds:idempotent',
    () => createClient(sdk, 'rds', ctx.aws, 'idempotent'),
    (c) => c.destroy(),
  );
}

/** An idempotent (retrying) RDS client for callers outside a step; destroy it when done. */
export async function createRdsClient(aws: AwsSettings): Promise<SdkClient> {
  return createClient(await loadSdk('rds'), 'rds', aws, 'idempotent');
}

/**
 * How much earlier than the cut-off attempt's start a resource may have been created and still be taken as
 * made by it: the service's clock and this machine's differ a little.
 */
const CLOCK_SKEW_MS = 60_000;

/**
 * Settles an aws step cut off mid-way. A create (CreateDBCluster, RestoreDBClusterToPointInTime,
 * CreateDBInstance, ...) whose target now exists, created after the attempt started, took effect: it is
 * adopted with the Describe answer as its result (`{DBCluster: ...}` / `{DBInstance: ...}`, the shape the
 * create answers with); if the target does not exist, the create runs again. A backtrack is adopted when
 * the cluster lists a backtrack to the same instant requested since the attempt started, and otherwise runs
 * again. A delete is adopted when its target is gone or being deleted, and otherwise runs again. Anything
 * else is left to the runbook's `onResume`.
 */
function awsReconciler(step: CompiledStep): Reconciler | undefined {
  if (step.fields.service !== undefined && step.fields.service !== 'rds') return undefined;
  const operation = String(step.fields.operation ?? '');
  const creating = CREATING_AWS_OPERATIONS[operation];
  if (creating) {
    return async (ctx) => {
      const params = ctx.render('/params') as Record<string, unknown> | undefined;
      const id = params?.[creating.param];
      if (typeof id !== 'string' || id === '')
        return { action: 'refuse', reason: `its ${creating.param} cannot be worked out` };
      const found = await describeResource(await runClient(ctx), { kind: creating.kind, id }, ctx.signal);
      if (!found)
        return { action: 'rerun', note: `${creating.kind} ${id} does not exist: creating it again` };
      if (found.createdAt && found.createdAt.getTime() < ctx.cutOffAt - CLOCK_SKEW_MS) {
        return {
          action: 'refuse',
          reason: `${creating.kind} ${id} exists, but was created at ${found.createdAt.toISOString()}, before the cut-off step started (${new Date(ctx.cutOffAt).toISOString()}); it is not this run's to adopt`,
          hint: `Delete ${id} or give the run another identifier, then resume.`,
        };
      }
      const key = creating.kind === 'cluster' ? 'DBCluster' : 'DBInstance';
      return {
        action: 'adopt',
        result: { [key]: found.item },
        note: `adopted ${creating.kind} ${id} (${found.status}), created by the cut-off call`,
      };
    };
  }
  if (operation === 'BacktrackDBCluster') {
    return async (ctx) => {
      const params = ctx.render('/params') as Record<string, unknown> | undefined;
      const id = String(params?.DBClusterIdentifier ?? '');
      const to = Date.parse(String(params?.BacktrackTo ?? ''));
      const sdk = await loadSdk('rds');
      const client = await runClient(ctx);
      const Command = sdk.DescribeDBClusterBacktracksCommand as CommandClass;
      let output: Record<string, unknown>;
      try {
        output = toPlain(
          await client.send(new Command({ DBClusterIdentifier: id }), { abortSignal: ctx.signal }),
        ) as Record<string, unknown>;
      } catch (error) {
        throw sdkError(error, 'rds', 'DescribeDBClusterBacktracks');
      }
      const list = (output.DBClusterBacktracks ?? []) as Array<Record<string, unknown>>;
      const match = list.find(
        (b) =>
          Date.parse(String(b.BacktrackTo)) === to &&
          Date.parse(String(b.BacktrackRequestCreationTime)) >= ctx.cutOffAt - CLOCK_SKEW_MS &&
          b.Status !== 'FAILED' &&
          b.Status !== 'failed',
      );
      if (!match) return { action: 'rerun', note: `no backtrack of ${id} was requested: backtracking again` };
      return {
        action: 'adopt',
        result: match,
        note: `adopted backtrack ${String(match.BacktrackIdentifier)} of ${id} (${String(match.Status)})`,
      };
    };
  }
  const deleting = DESTRUCTIVE_AWS_OPERATIONS[operation];
  if (deleting?.removes) {
    return async (ctx) => {
      const params = ctx.render('/params') as Record<string, unknown> | undefined;
      const id = String(params?.[deleting.param] ?? '');
      const found = await describeResource(await runClient(ctx), { kind: deleting.kind, id }, ctx.signal);
      if (!found) return { action: 'adopt', result: {}, note: `${deleting.kind} ${id} is gone already` };
      if (found.status === 'deleting') {
        const key = deleting.kind === 'cluster' ? 'DBCluster' : 'DBInstance';
        return {
          action: 'adopt',
          result: { [key]: found.item },
          note: `${deleting.kind} ${id} is being deleted`,
        };
      }
      return { action: 'rerun', note: `${deleting.kind} ${id} is still ${found.status}: deleting it again` };
    };
  }
  return undefined;
}
