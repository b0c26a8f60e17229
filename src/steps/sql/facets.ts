/**
 * What the sql step type knows besides its checks (./static.ts): it runs on a named connection, and a
 * statement that drops or changes data destroys what is behind it.
 */
import type { StepFacets } from '../static-types.js';

/**
 * The statement verb when `query` drops, truncates, deletes, alters, renames, replaces or updates data:
 * DROP, TRUNCATE, DELETE, ALTER, RENAME, UPDATE, REPLACE, CREATE OR REPLACE. Comments and parentheses
 * before the first word are skipped. Undefined for anything else (SELECT, INSERT, CREATE, CHECKSUM ...).
 */
export function destructiveSqlVerb(query: string): string | undefined {
  let text = query;
  for (;;) {
    const next = text
      .replace(/^[\s(]+/, '')
      .replace(/^\/\*[\s\S]*?\*\//, '')
      .replace(/^(--\s|#)[^\n]*(\n|$)/, '');
    if (next === text) break;
    text = next;
  }
  if (/^create\s+or\s+replace\b/i.test(text)) return 'CREATE OR REPLACE';
  const verb = /^[A-Za-z]+/.exec(text)?.[0]?.toUpperCase();
  return verb && ['DROP', 'TRUNCATE', 'DELETE', 'ALTER', 'RENAME', 'UPDATE', 'REPLACE'].includes(verb)
    ? verb
    : undefined;
}

export const sqlFacets: StepFacets = {
  connections: (step) => [{ pointer: '/connection', value: step.fields.connection }],
  destroys: (step, read) => {
    const query = read('/query');
    const what = typeof query === 'string' ? destructiveSqlVerb(query) : undefined;
    return what === undefined
      ? []
      : [{ on: 'connection', connection: String(step.fields.connection), what, pointer: '/query' }];
  },
};
