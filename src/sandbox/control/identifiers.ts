/**
 * RDS identifier rules (DB cluster and DB instance identifiers share them) and the ids the sandbox makes up
 * for resources, ARNs and clone groups.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { fault } from './faults.js';
import { ACCOUNT_ID } from './model.js';

const IDENTIFIER = /^[A-Za-z][A-Za-z0-9-]{0,62}$/;

/** Checks an identifier and returns it lower-cased, as RDS stores it. */
export function normalizeIdentifier(parameter: string, value: string): string {
  if (!IDENTIFIER.test(value) || value.endsWith('-') || value.includes('--')) {
    throw fault(
      'InvalidParameterValue',
      `The parameter ${parameter} is not a valid identifier. Identifiers must begin with a letter; ` +
        'must contain only ASCII letters, digits, and hyphens; must be 1 to 63 characters long; ' +
        `and must not end with a hyphen or contain two consecutive hyphens (got "${value}").`,
    );
  }
  return value.toLowerCase();
}

/** Accepts a bare identifier or the matching ARN, as the Describe filters and parameters do. */
export function identifierFromArn(value: string, kind: 'cluster' | 'db'): string {
  const match = /^arn:aws:rds:[^:]*:[^:]*:([a-z]+):(.+)$/.exec(value);
  if (match && match[1] === kind && match[2] !== undefined) return match[2].toLowerCase();
  return value.toLowerCase();
}

export function clusterArn(region: string, id: string): string {
  return `arn:aws:rds:${region}:${ACCOUNT_ID}:cluster:${id}`;
}

export function instanceArn(region: string, id: string): string {
  return `arn:aws:rds:${region}:${ACCOUNT_ID}:db:${id}`;
}

/** An id in the style of `cluster-ABCDEFGHIJKLMNOPQRSTUVWXYZ` / `db-…` (26 upper-case base32 characters). */
export function resourceId(prefix: 'cluster' | 'db'): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const bytes = randomBytes(26);
  let id = '';
  for (const byte of bytes) id += alphabet[byte % alphabet.length];
  return `${prefix}-${id}`;
}

export function newUuid(): string {
  return randomUUID();
}
