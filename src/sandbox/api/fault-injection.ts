/**
 * Fault injection for tests: a spec such as `throttle=0.2,error5xx=0.1,drop=0.05,seed=42` makes the API
 * answer a share of requests with a `Throttling` error (HTTP 400, the code the SDKs classify as throttling),
 * a 5xx `InternalFailure` (500) or `ServiceUnavailable` (503), or by destroying the socket without an answer.
 * A fault is decided before the request reaches its handler, so a faulted request never has an effect. The
 * same seed gives the same sequence of decisions. Only the AWS API is faulted, never `/labrun/status`.
 */

export interface FaultSpec {
  /** Share of requests answered with `Throttling` (0..1). */
  throttle: number;
  /** Share of requests answered with a 5xx error. */
  error5xx: number;
  /** Share of requests whose connection is destroyed without an answer. */
  drop: number;
  seed: number;
}

export type FaultDecision =
  | { kind: 'none' }
  | { kind: 'throttle' }
  | { kind: 'error5xx'; code: 'InternalFailure' | 'ServiceUnavailable'; status: 500 | 503 }
  | { kind: 'drop' };

const RATES = ['throttle', 'error5xx', 'drop'] as const;

/** Parses `key=value,...`; throws with a message naming the bad part. An empty spec injects nothing. */
export function parseFaultSpec(text: string): FaultSpec {
  const spec: FaultSpec = { throttle: 0, error5xx: 0, drop: 0, seed: 1 };
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
    } else {
      throw new Error(
        `invalid fault spec: unknown key ${JSON.stringify(key)} (use throttle, error5xx, drop, seed)`,
      );
    }
  }
  if (spec.throttle + spec.error5xx + spec.drop > 1)
    throw new Error('invalid fault spec: the rates add up to more than 1');
  return spec;
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
