/**
 * Fault injection for tests: a spec such as `throttle=0.2,error5xx=0.1,drop=0.05,seed=42` makes the API
 * answer a share of requests with a `Throttling` error (HTTP 400, the code the SDKs classify as throttling),
 * a 5xx `InternalFailure` (500) or `ServiceUnavailable` (503), or by destroying the socket without an answer.
 * A fault is decided before the request reaches its handler, so a faulted request never has an effect. The
 * same seed gives the same sequence of decisions. Only the AWS API is faulted, never `/labrun/status`.
 *
 * `restart=<clusterId>@<delay>` (once per cluster, any number of clusters) faults a database server instead:
 * `<delay>` after the cluster becomes available its mariadbd is killed and started again, which runs InnoDB
 * crash recovery (the control plane's restart-faults.ts carries it out).
 */

export interface FaultSpec {
  /** Share of requests answered with `Throttling` (0..1). */
  throttle: number;
  /** Share of requests answered with a 5xx error. */
  error5xx: number;
  /** Share of requests whose connection is destroyed without an answer. */
  drop: number;
  seed: number;
  /** Servers to crash and restart, each once. */
  restarts: RestartFault[];
}

export interface RestartFault {
  /** The DB cluster identifier, lower-cased as RDS stores it. */
  clusterId: string;
  /** How long after the cluster becomes available its server is crashed. */
  delayMs: number;
}

export type FaultDecision =
  | { kind: 'none' }
  | { kind: 'throttle' }
  | { kind: 'error5xx'; code: 'InternalFailure' | 'ServiceUnavailable'; status: 500 | 503 }
  | { kind: 'drop' };

const RATES = ['throttle', 'error5xx', 'drop'] as const;
/** RDS identifier rules: a letter, then letters, digits and single hyphens, at most 63 characters. */
const CLUSTER_ID = /^[a-z](?:-?[a-z0-9])*$/i;
const DELAY = /^(\d+(?:\.\d+)?)(ms|s)?$/;
const MAX_DELAY_MS = 24 * 3600 * 1000;

/** Parses `key=value,...`; throws with a message naming the bad part. An empty spec injects nothing. */
export function parseFaultSpec(text: string): FaultSpec {
  const spec: FaultSpec = { throttle: 0, error5xx: 0, drop: 0, seed: 1, restarts: [] };
  for (const part of text.split(',').map((p) => p.trim())) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const key = eq < 0 ? part : part.slice(0, eq).trim();
    const value = eq < 0 ? '' : part.slice(eq + 1).trim();
    if ((RATES as readonly string[]).includes(key)) {
      const rate = Number(value);
      if (value === '' || !Number.isFinite(rate) || rate < 0 || rate > 1)
        throw new Error(
          `invalid fault spec: ${key} must be a rate from 0 to 1, got ${JSON.stringify(value)}`,
        );
      spec[key as (typeof RATES)[number]] = rate;
    } else if (key === 'seed') {
      const n = Number(value);
      if (value === '' || !Number.isInteger(n) || n < 0)
        throw new Error(
          `invalid fault spec: ${key} must be a non-negative integer, got ${JSON.stringify(value)}`,
        );
      spec[key] = n;
    } else if (key === 'restart') {
      const restart = parseRestart(value);
      if (spec.restarts.some((other) => other.clusterId === restart.clusterId))
        throw new Error(`invalid fault spec: restart is given twice for cluster ${restart.clusterId}`);
      spec.restarts.push(restart);
    } else {
      throw new Error(
        `invalid fault spec: unknown key ${JSON.stringify(key)} (use throttle, error5xx, drop, seed, restart)`,
      );
    }
  }
  if (spec.throttle + spec.error5xx + spec.drop > 1)
    throw new Error('invalid fault spec: the rates add up to more than 1');
  return spec;
}

/** `<clusterId>@<delay>`, the delay in milliseconds (`1500`, `1500ms`) or seconds (`3s`, `1.5s`). */
function parseRestart(value: string): RestartFault {
  const at = value.lastIndexOf('@');
  if (at < 0)
    throw new Error(
      `invalid fault spec: restart must be <clusterId>@<delay> (e.g. restart=auroralab-mysql-cluster@3s), ` +
        `got ${JSON.stringify(value)}`,
    );
  const clusterId = value.slice(0, at).trim();
  const delay = value.slice(at + 1).trim();
  if (clusterId.length > 63 || !CLUSTER_ID.test(clusterId))
    throw new Error(
      `invalid fault spec: restart names ${JSON.stringify(clusterId)}, which is not a DB cluster identifier ` +
        '(a letter, then letters, digits and single hyphens, at most 63 characters)',
    );
  const match = DELAY.exec(delay);
  const delayMs = match ? Number(match[1]) * (match[2] === 's' ? 1000 : 1) : NaN;
  if (!Number.isFinite(delayMs) || delayMs > MAX_DELAY_MS)
    throw new Error(
      `invalid fault spec: restart delay must be a duration such as 1500, 1500ms or 3s (at most 24 h), ` +
        `got ${JSON.stringify(delay)}`,
    );
  return { clusterId: clusterId.toLowerCase(), delayMs: Math.round(delayMs) };
}

/** Decides, request by request, which fault (if any) to inject; deterministic for a given seed. */
export class FaultInjector {
  private readonly random: () => number;
  readonly counts = { requests: 0, throttle: 0, error5xx: 0, drop: 0 };

  constructor(readonly spec: FaultSpec) {
    this.random = mulberry32(spec.seed);
  }

  next(): FaultDecision {
    this.counts.requests += 1;
    const roll = this.random();
    const flavour = this.random();
    const { throttle, error5xx, drop } = this.spec;
    if (roll < throttle) {
      this.counts.throttle += 1;
      return { kind: 'throttle' };
    }
    if (roll < throttle + error5xx) {
      this.counts.error5xx += 1;
      return flavour < 0.5
        ? { kind: 'error5xx', code: 'InternalFailure', status: 500 }
        : { kind: 'error5xx', code: 'ServiceUnavailable', status: 503 };
    }
    if (roll < throttle + error5xx + drop) {
      this.counts.drop += 1;
      return { kind: 'drop' };
    }
    return { kind: 'none' };
  }
}

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
