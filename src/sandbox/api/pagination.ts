/**
 * `MaxRecords` / `Marker` paging for the Describe operations. The marker is an opaque offset; RDS allows
 * MaxRecords from 20 to 100 and defaults to 100.
 */
import { fault } from '../control/faults.js';
import type { QueryParams } from './query-params.js';

export function paginate<T>(items: T[], params: QueryParams): { page: T[]; marker?: string } {
  const maxRecords = params.integer('MaxRecords') ?? 100;
  if (maxRecords < 20 || maxRecords > 100) {
    throw fault(
      'InvalidParameterValue',
      `Invalid value ${maxRecords} for MaxRecords: it must be between 20 and 100.`,
    );
  }
  const marker = params.string('Marker');
  let start = 0;
  if (marker !== undefined && marker !== '') {
    const match = /^offset-(\d+)$/.exec(marker);
    if (!match)
      throw fault(
        'InvalidParameterValue',
        `Invalid Marker "${marker}": pass the Marker of a previous response.`,
      );
    start = Number(match[1]);
  }
  const end = start + maxRecords;
  return { page: items.slice(start, end), marker: end < items.length ? `offset-${end}` : undefined };
}
