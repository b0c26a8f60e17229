/**
 * Who may talk to the sandbox API. It accepts any credentials, which is fine for the programs of the user on
 * loopback, but a web page the user visits must not reach it: a browser sends requests to 127.0.0.1 for any
 * page (`<img src>`, a form, `fetch` in no-cors mode), and through DNS rebinding a page's own name can point
 * at 127.0.0.1 too. So, before anything else is read:
 *
 * - the `Host` must name the address and port the API serves (or `localhost` with that port): a rebound name
 *   such as `evil.example:7306` is refused;
 * - a request that carries `Origin` came from a page (the SDKs and the aws CLI never send it), and
 *   `Sec-Fetch-Site` other than `none` (typed in the address bar) or `same-origin` names a request a page
 *   started, including `same-site` (another server on loopback is the same site); both are refused, which
 *   also refuses every CORS preflight;
 * - only GET and POST are served, and a GET may only read (Describe*, List*): an `<img>` can send a GET but
 *   never changes anything.
 */
import type { IncomingMessage } from 'node:http';
import { ApiFault } from '../control/faults.js';

/** Where the API listens, as the client addressed it. */
export interface ServedAddress {
  host: string;
  port: number;
}

const ALLOWED_FETCH_SITES = new Set(['none', 'same-origin']);

/** Why a request is refused before it is read, or undefined when it may go on. */
export function refuseRequest(request: IncomingMessage, served: ServedAddress): ApiFault | undefined {
  const host = (request.headers.host ?? '').toLowerCase();
  if (!allowedHosts(served).includes(host)) {
    return new ApiFault(
      'AccessDenied',
      `The sandbox API answers only requests for ${served.host}:${served.port} or localhost:${served.port}, ` +
        `not for Host ${host === '' ? '(none)' : host}.`,
    );
  }
  const origin = request.headers.origin;
  if (origin !== undefined) {
    return new ApiFault(
      'AccessDenied',
      `The sandbox API refuses requests from web pages (Origin ${origin}); use the AWS SDK or CLI.`,
    );
  }
  const site = request.headers['sec-fetch-site'];
  if (site !== undefined && !ALLOWED_FETCH_SITES.has(site.toLowerCase())) {
    return new ApiFault(
      'AccessDenied',
      `The sandbox API refuses requests started by web pages (Sec-Fetch-Site ${site}); use the AWS SDK or CLI.`,
    );
  }
  if (request.method !== 'GET' && request.method !== 'POST') {
    return new ApiFault('MethodNotAllowed', `The sandbox API serves GET and POST, not ${request.method}.`);
  }
  return undefined;
}

/** A GET may only read: the SDKs and the aws CLI send every action as a POST. */
export function refuseGetOf(action: string, method: string | undefined): ApiFault | undefined {
  if (method !== 'GET' || isReadAction(action)) return undefined;
  return new ApiFault(
    'MethodNotAllowed',
    `${action} changes state and must be sent as a POST; a GET may only read (Describe*, List*).`,
  );
}

export function isReadAction(action: string): boolean {
  return /^(Describe|List)[A-Z]/.test(action);
}

function allowedHosts({ host, port }: ServedAddress): string[] {
  const hosts = [`${host}:${port}`, `localhost:${port}`];
  // A client leaves out the port it is the scheme's default.
  if (port === 80) hosts.push(host, 'localhost');
  return hosts;
}
