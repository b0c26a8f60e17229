/**
 * Value rules shared by the operations (engines, backtrack windows, ports) and small time and error helpers.
 * Messages follow AWS's wording where it is known.
 */
import { ApiFault, fault } from './faults.js';
import { MAX_BACKTRACK_WINDOW } from './model.js';

/**
 * The engine of a new cluster. Lenient (the default), `aurora`, the retired Aurora MySQL 1 name that the
 * older lab guides still use, is taken as aurora-mysql; strict, it is refused as AWS refuses it today.
 */
export function checkEngine(engine: string | undefined, strict: boolean): 'aurora-mysql' {
  if (!engine) throw fault('MissingParameter', 'The parameter Engine must be provided.');
  const lower = engine.toLowerCase();
  if (lower === 'aurora-mysql') return 'aurora-mysql';
  if (lower === 'aurora') {
    if (strict) throw retiredEngine(engine);
    return 'aurora-mysql';
  }
  throw fault(
    'InvalidParameterValue',
    `Invalid DB engine: ${engine}. The sandbox runs Aurora MySQL only (aurora-mysql).`,
  );
}

/** `aurora` refused: no longer among the Engine values CreateDBCluster and CreateDBInstance accept. */
export function retiredEngine(engine: string): ApiFault {
  return fault(
    'InvalidParameterValue',
    `Invalid DB engine: ${engine}. Aurora MySQL 1 (engine aurora) has reached its end of life; ` +
      'use aurora-mysql.',
  );
}

/**
 * Aurora MySQL 1 versions (MySQL 5.6: `5.6.10a`, `5.6.mysql_aurora.1.*`), which AWS no longer offers. Strict
 * mode refuses them when a cluster is created and refuses to copy a cluster that has one.
 */
export function isRetiredEngineVersion(version: string): boolean {
  return version.startsWith('5.6.');
}

/** The engine version of a new cluster, as given (lenient) or refused when AWS no longer offers it (strict). */
export function checkEngineVersion(version: string | undefined, strict: boolean): string | undefined {
  if (version !== undefined && strict && isRetiredEngineVersion(version)) {
    throw fault('InvalidParameterCombination', `Cannot find version ${version} for aurora-mysql`);
  }
  return version;
}

/**
 * Instance class families that are not offered for Aurora MySQL 3 (the previous generation: db.r3, db.r4 and
 * db.t2). The 2019 guide's db.r4.large is one of them.
 */
const RETIRED_CLASS_FAMILIES = ['db.r3.', 'db.r4.', 'db.t2.'];

/**
 * The class of a new instance in a cluster of `engineVersion`. Lenient, any class is taken (the sandbox runs
 * no compute of its own); strict, a retired family is refused with the combination AWS names.
 */
export function checkInstanceClass(instanceClass: string, engineVersion: string, strict: boolean): string {
  if (strict && RETIRED_CLASS_FAMILIES.some((family) => instanceClass.toLowerCase().startsWith(family))) {
    throw fault(
      'InvalidParameterCombination',
      'RDS does not support creating a DB instance with the following combination: ' +
        `DBInstanceClass=${instanceClass}, Engine=aurora-mysql, EngineVersion=${engineVersion}, ` +
        'LicenseModel=general-public-license. For supported combinations of instance class and database ' +
        'engine version, see the documentation.',
    );
  }
  return instanceClass;
}

/** The window in seconds; 0 when not given (the API's default: backtrack disabled). */
export function checkBacktrackWindow(window: number | undefined): number {
  if (window === undefined) return 0;
  if (!Number.isInteger(window) || window < 0 || window > MAX_BACKTRACK_WINDOW) {
    throw fault(
      'InvalidParameterValue',
      `The specified value (${window}) is not a valid Backtrack Window. ` +
        `Allowed values are within the range of 0 to ${MAX_BACKTRACK_WINDOW}`,
    );
  }
  return window;
}

export function checkPort(port: number | undefined): number {
  if (port === undefined) return 3306;
  if (!Number.isInteger(port) || port < 1150 || port > 65535) {
    throw fault('InvalidParameterValue', `Invalid port ${port}: it must be between 1150 and 65535.`);
  }
  return port;
}

export function floorSecond(date: Date): Date {
  return new Date(Math.floor(date.getTime() / 1000) * 1000);
}

/** ISO-8601 UTC, without milliseconds when there are none, as AWS messages show times. */
export function iso(date: Date): string {
  return date.toISOString().replace('.000Z', 'Z');
}

export function describeError(error: unknown): string {
  if (error instanceof ApiFault) return `${error.code}: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}
