/**
 * What the sysbench step type knows besides its checks (./static.ts): it runs on a named connection, and its
 * cleanup command drops the tables it prepared.
 */
import type { StepFacets } from '../static-types.js';

/** The sysbench commands that drop tables. */
export const DESTRUCTIVE_SYSBENCH_COMMANDS: ReadonlySet<string> = new Set(['cleanup']);

export const sysbenchFacets: StepFacets = {
  connections: (step) => [{ pointer: '/connection', value: step.fields.connection }],
  destroys: (step, read) => {
    const command = read('/command');
    if (typeof command !== 'string' || !DESTRUCTIVE_SYSBENCH_COMMANDS.has(command)) return [];
    const connection = String(step.fields.connection);
    return [{ on: 'connection', connection, what: `sysbench ${command}`, pointer: '/command' }];
  },
};
