/**
 * A local HTTP server speaking the AWS Query protocol (RDS and CloudFormation) that a test scripts action by
 * action, so the real AWS SDK v3 is exercised end to end: request signing and serialization, XML parsing,
 * error-code mapping and retries on 5xx. Listens on 127.0.0.1 on a free port.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface QueryRequest {
  action: string;
  /** The form parameters as sent, e.g. `VpcSecurityGroupIds.VpcSecurityGroupId.1`. */
  params: Record<string, string>;
  /** The signing service taken from the Authorization header's credential scope (rds, cloudformation). */
  service?: string;
}

export type QueryReply =
  /** A success: the XML inside `<{Action}Result>`. */
  | { result: string }
  | { error: { status: number; code: string; message: string } }
  /** Anything else, verbatim (e.g. an HTML 500 page). */
  | { status: number; body: string; contentType?: string };

export type QueryHandler = (request: QueryRequest, calls: number) => QueryReply | Promise<QueryReply>;

export interface QueryServer {
  endpoint: string;
  /** Every request received, in order. */
  requests: QueryRequest[];
  /** Sets the handler for one action; `calls` counts the requests for that action, from 1. */
  handle(action: string, handler: QueryHandler): void;
  close(): Promise<void>;
}

// The SDK's Node 20 end-of-support notice is noise in test output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const NAMESPACES: Record<string, string> = {
  rds: 'http://rds.amazonaws.com/doc/2014-10-31/',
  cloudformation: 'http://cloudformation.amazonaws.com/doc/2010-05-15/',
};

export async function startQueryServer(): Promise<QueryServer> {
  const handlers = new Map<string, QueryHandler>();
  const counts = new Map<string, number>();
  const requests: QueryRequest[] = [];
  let nextId = 1;

  const server: Server = createServer((req, res) => {
    void (async () => {
      const body = await readBody(req);
      const params = Object.fromEntries(new URLSearchParams(body));
      const action = params.Action ?? '';
      delete params.Action;
      delete params.Version;
      const service = /Credential=[^/]+\/[^/]+\/[^/]+\/([^/]+)\//.exec(req.headers.authorization ?? '')?.[1];
      const request: QueryRequest = { action, params, service };
      requests.push(request);
      const calls = (counts.get(action) ?? 0) + 1;
      counts.set(action, calls);
      const requestId = `00000000-0000-4000-8000-${String(nextId++).padStart(12, '0')}`;
      const xmlns = NAMESPACES[service ?? 'rds'] ?? NAMESPACES.rds;
      const handler = handlers.get(action);
      const reply: QueryReply = handler
        ? await handler(request, calls)
        : { error: { status: 400, code: 'InvalidAction', message: `The action ${action} is not valid` } };
      res.setHeader('x-amzn-RequestId', requestId);
      if ('result' in reply) {
        res.writeHead(200, { 'Content-Type': 'text/xml' });
        res.end(
          `<${action}Response xmlns="${xmlns}"><${action}Result>${reply.result}</${action}Result>` +
            `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${action}Response>`,
        );
      } else if ('error' in reply) {
        const { status, code, message } = reply.error;
        res.writeHead(status, { 'Content-Type': 'text/xml' });
        res.end(
          `<ErrorResponse xmlns="${xmlns}"><Error><Type>${status >= 500 ? 'Receiver' : 'Sender'}</Type>` +
            `<Code>${escapeXml(code)}</Code><Message>${escapeXml(message)}</Message></Error>` +
            `<RequestId>${requestId}</RequestId></ErrorResponse>`,
        );
      } else {
        res.writeHead(reply.status, { 'Content-Type': reply.contentType ?? 'text/html' });
        res.end(reply.body);
      }
    })().catch((error: unknown) => {
      res.writeHead(599);
      res.end(String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    handle(action, handler) {
      handlers.set(action, handler);
    },
    close() {
      server.closeAllConnections();
      return new Promise((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    },
  };
}

/**
 * Renders a value as Query-protocol XML. Arrays become repeated elements named by `itemNames[parentKey]`
 * (RDS uses the model's locationName, e.g. DBClusters -> DBCluster) or `member` (CloudFormation).
 */
export function toXml(value: unknown, itemNames: Record<string, string> = {}): string {
  const render = (key: string, v: unknown): string => {
    if (v === undefined || v === null) return '';
    if (Array.isArray(v)) {
      const item = itemNames[key] ?? 'member';
      return `<${key}>${v.map((x) => render(item, x)).join('')}</${key}>`;
    }
    if (v instanceof Date) return `<${key}>${v.toISOString()}</${key}>`;
    if (typeof v === 'object') {
      const inner = Object.entries(v as Record<string, unknown>)
        .map(([k, x]) => render(k, x))
        .join('');
      return `<${key}>${inner}</${key}>`;
    }
    return `<${key}>${escapeXml(String(v))}</${key}>`;
  };
  return Object.entries(value as Record<string, unknown>)
    .map(([k, v]) => render(k, v))
    .join('');
}

export const RDS_ITEM_NAMES: Record<string, string> = {
  DBClusters: 'DBCluster',
  DBInstances: 'DBInstance',
  DBClusterMembers: 'DBClusterMember',
  VpcSecurityGroups: 'VpcSecurityGroupMembership',
  DBClusterBacktracks: 'DBClusterBacktrack',
  AvailabilityZones: 'AvailabilityZone',
};

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
