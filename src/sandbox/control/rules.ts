/**
 * Value rules shared by the operations (engines, backtrack windows, ports) and small time and error helpers.
 * Messages follow AWS's wording where it is known.
 */
import { ApiFault, fault } from './faults.js';
import { MAX_BACKTRACK_WINDOW } from './model.js';

export function checkEngine(engine: string | undefined): 'aurora-mysql' {
  if (!engine) throw fault('MissingParameter', 'The parameter Engine must be provided.');
  const lower = engine.toLowerCase();
  // `aurora` is the retired Aurora MySQL 1 engine name that the older lab guides still use.
  if (lower === 'aurora-mysql' || lower === 'aurora') return 'aurora-mysql';
  throw fault(
    'InvalidParameterValue',
    `Invalid DB engine: ${engine}. The sandbox runs Aurora MySQL only (aurora-mysql).`,
  );
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
