/**
 * The sandbox's AWS endpoint: one HTTP server on loopback that speaks the Query protocol for RDS
 * (Version 2014-10-31) and CloudFormation (2010-05-15). Signatures are not checked: any credentials work.
 * Every answer is XML with an `x-amzn-RequestId`, including errors; nothing a client sends can crash it.
 * Requests a web page could send are refused first (request-guard.ts); request bodies, parameter counts and
 * answers have caps.
 *
 * It also serves `GET /labrun/status` (JSON), which the entry points use to report data sizes.
 *
 * With `faults` (tests only) it injects throttling, 5xx answers and dropped connections into API requests
 * before they reach a handler, so a faulted request has no effect (see fault-injection.ts).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ControlPlane } from '../control/control-plane.js';
import type { SandboxStatus } from '../index.js';
import { ApiFault, fault } from '../control/faults.js';
import { newUuid } from '../control/identifiers.js';
import { CLOUDFORMATION_ACTIONS } from './cloudformation-actions.js';
import { FaultInjector, parseFaultSpec, type FaultSpec } from './fault-injection.js';
import { QueryParams } from './query-params.js';
import { RDS_ACTIONS, type ActionHandler } from './rds-actions.js';
import { refuseGetOf, refuseRequest, type ServedAddress } from './request-guard.js';
import { errorXml, successXml, type ServiceName } from './xml-response.js';

export interface ApiServerOptions {
  control: ControlPlane;
  /** Loopback address to listen on (default 127.0.0.1). */
  host?: string;
  /** 0 picks a free port. */
  port: number;
  log?: (line: string) => void;
  /** Faults to inject, as a spec string (`throttle=0.2,error5xx=0.1,drop=0.05,seed=42`) or parsed. */
  faults?: string | FaultSpec;
}

export interface ApiServer {
  /** e.g. http://127.0.0.1:7306 */
  url: string;
  port: number;
  /** How many API requests arrived and how many of them were faulted (all zero without `faults`). */
  faultCounts: FaultInjector['counts'];
  close(): Promise<void>;
}

/** What the daemon's status endpoint answers: the clusters part of `SandboxStatus`. */
export type SandboxStatusReport = Pick<SandboxStatus, 'clusters'>;

const SERVICES: Record<ServiceName, { version: string; actions: Record<string, ActionHandler> }> = {
  rds: { version: '2014-10-31', actions: RDS_ACTIONS },
  cloudformation: { version: '2010-05-15', actions: CLOUDFORMATION_ACTIONS },
};

/** The largest request body read; the SDKs' requests are a few kilobytes. */
const MAX_BODY_BYTES = 1 << 20;
/** The largest answer sent (a DescribeDBClusters page of 100 clusters is about 300 KB). */
const MAX_RESPONSE_BYTES = 8 << 20;

export async function startApiServer(options: ApiServerOptions): Promise<ApiServer> {
  const log = options.log ?? (() => undefined);
  const host = options.host ?? '127.0.0.1';
  if (!host.startsWith('127.')) throw new Error(`The sandbox API only listens on loopback, not on ${host}`);
  const injector = new FaultInjector(
    typeof options.faults === 'string'
      ? parseFaultSpec(options.faults)
      : (options.faults ?? parseFaultSpec('')),
  );
  // The port is known once listening; requests arrive only after that.
  const served: ServedAddress = { host, port: 0 };
  const server = createServer((request, response) => {
    handle(options.control, served, request, response, log, injector).catch((error: unknown) => {
      log(`request handling failed: ${error instanceof Error ? error.stack : String(error)}`);
      if (response.headersSent) {
        response.end();
        return;
      }
      const requestId = newUuid();
      const failure = fault(
        'InternalFailure',
        `The sandbox failed to process the request: ${describe(error)}`,
      );
      send(response, failure.httpStatus, requestId, errorXml('rds', failure, requestId));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  served.port = port;
  return {
    url: `http://${host}:${port}`,
    port,
    faultCounts: injector.counts,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function handle(
  control: ControlPlane,
  served: ServedAddress,
  request: IncomingMessage,
  response: ServerResponse,
  log: (line: string) => void,
  injector: FaultInjector,
): Promise<void> {
  const requestId = newUuid();
  const url = new URL(request.url ?? '/', 'http://sandbox');
  const refused = refuseRequest(request, served);
  if (refused) {
    log(`refused ${request.method} ${url.pathname}: ${refused.message}`);
    send(response, refused.httpStatus, requestId, errorXml(guessService('', url), refused, requestId), {
      close: true,
      allow: refused.code === 'MethodNotAllowed' ? 'GET, POST' : undefined,
    });
    return;
  }
  if (request.method === 'GET' && url.pathname === '/labrun/status') {
    sendJson(response, await statusReport(control));
    return;
  }

  let service: ServiceName = 'rds';
  let body = '';
  try {
    // A GET's parameters are its query string; only a POST's body is read.
    if (request.method === 'POST') body = await readBody(request);
    // Decided before parsing or dispatching: a faulted request never reaches a handler.
    const decision = injector.next();
    if (decision.kind !== 'none')
      log(`fault: ${decision.kind === 'error5xx' ? decision.code : decision.kind}`);
    if (decision.kind === 'drop') {
      request.socket.destroy();
      return;
    }
    if (decision.kind === 'throttle') {
      const throttled = new ApiFault('Throttling', 'Rate exceeded');
      send(
        response,
        throttled.httpStatus,
        requestId,
        errorXml(guessService(body, url), throttled, requestId),
      );
      return;
    }
    if (decision.kind === 'error5xx') {
      const failure = new ApiFault(
        decision.code,
        decision.code === 'InternalFailure'
          ? 'The request processing has failed because of an unknown error (injected fault).'
          : 'The service is unavailable. Please try again later (injected fault).',
      );
      send(response, failure.httpStatus, requestId, errorXml(guessService(body, url), failure, requestId));
      return;
    }
    const params = QueryParams.fromSearchParams([url.searchParams, new URLSearchParams(body)]);
    const action = params.string('Action');
    if (!action) throw fault('MissingAction', 'The request must contain the parameter Action.');
    const picked = pickService(action, params.string('Version'), request.headers.authorization);
    if (!picked) throw fault('InvalidAction', `The action ${action} is not valid for this web service.`);
    service = picked;
    const handler = actionHandler(service, action);
    if (!handler) throw fault('InvalidAction', `The action ${action} is not valid for this web service.`);
    const getRefused = refuseGetOf(action, request.method);
    if (getRefused) throw getRefused;
    const result = await handler(params, control);
    const xml = successXml(service, action, result, requestId);
    if (Buffer.byteLength(xml) > MAX_RESPONSE_BYTES) {
      throw fault(
        'InternalFailure',
        `The answer to ${action} would be ${Buffer.byteLength(xml).toLocaleString('en-US')} bytes, ` +
          `more than the ${MAX_RESPONSE_BYTES / (1 << 20)} MiB the sandbox sends.`,
      );
    }
    send(response, 200, requestId, xml);
  } catch (error) {
    const apiFault =
      error instanceof ApiFault
        ? error
        : fault('InternalFailure', `The sandbox failed to process the request: ${describe(error)}`);
    if (!(error instanceof ApiFault))
      log(`internal error: ${error instanceof Error ? error.stack : String(error)}`);
    // A body past the cap was not read to its end: the connection cannot carry another request.
    const close = error instanceof BodyTooLarge;
    send(response, apiFault.httpStatus, requestId, errorXml(service, apiFault, requestId), {
      close,
      allow: apiFault.code === 'MethodNotAllowed' ? 'GET, POST' : undefined,
    });
  }
}

/** The service's own handler for the action: never one inherited from Object (`constructor`, `__proto__`). */
function actionHandler(service: ServiceName, action: string): ActionHandler | undefined {
  const actions = SERVICES[service].actions;
  return Object.hasOwn(actions, action) ? actions[action] : undefined;
}

/** The Version names the service; failing that the SigV4 credential scope does, then the action's name. */
function pickService(
  action: string,
  version: string | undefined,
  authorization: string | undefined,
): ServiceName | undefined {
  for (const [name, spec] of Object.entries(SERVICES) as Array<
    [ServiceName, (typeof SERVICES)[ServiceName]]
  >) {
    if (version === spec.version) return name;
  }
  const scope = /Credential=[^/]*\/[^/]*\/[^/]*\/([^/]+)\//.exec(authorization ?? '')?.[1];
  if (scope === 'rds' || scope === 'cloudformation') return scope;
  if (Object.hasOwn(SERVICES.rds.actions, action)) return 'rds';
  if (Object.hasOwn(SERVICES.cloudformation.actions, action)) return 'cloudformation';
  return undefined;
}

/** The service a faulted request was for, so its error envelope carries the right namespace. */
function guessService(body: string, url: URL): ServiceName {
  const version = new URLSearchParams(body).get('Version') ?? url.searchParams.get('Version');
  return version === SERVICES.cloudformation.version ? 'cloudformation' : 'rds';
}

/** A request body past MAX_BODY_BYTES, refused before the rest of it is read. */
class BodyTooLarge extends ApiFault {
  constructor() {
    super('MalformedQueryString', `The request body is larger than ${MAX_BODY_BYTES / (1 << 20)} MiB.`);
  }
}

async function readBody(request: IncomingMessage): Promise<string> {
  if (Number(request.headers['content-length'] ?? 0) > MAX_BODY_BYTES) throw new BodyTooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new BodyTooLarge();
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function send(
  response: ServerResponse,
  status: number,
  requestId: string,
  xml: string,
  options: { close?: boolean; allow?: string } = {},
): void {
  response.writeHead(status, {
    'content-type': 'text/xml',
    'content-length': Buffer.byteLength(xml),
    'x-amzn-RequestId': requestId,
    ...(options.allow ? { allow: options.allow } : {}),
    ...(options.close ? { connection: 'close' } : {}),
  });
  response.end(xml);
}

function sendJson(response: ServerResponse, value: unknown): void {
  const text = JSON.stringify(value);
  response.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  response.end(text);
}

async function statusReport(control: ControlPlane): Promise<SandboxStatusReport> {
  const views = await control.describeClusters();
  const instances = control.describeInstances();
  return {
    clusters: views.map((view) => ({
      id: view.cluster.id,
      status: view.cluster.status,
      endpoint: view.cluster.host,
      instances: instances
        .filter((instance) => instance.instance.clusterId === view.cluster.id)
        .map((instance) => ({ id: instance.instance.id, status: instance.instance.status })),
      dataBytes: view.dataBytes ?? 0,
    })),
  };
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
