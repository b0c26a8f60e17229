/** A named connection's templates rendered into settings, at the moment the connection is first used. */
import type { CompiledRunbook, ConnectionSpec } from '../runbook/types.js';
import type { ConnectionSettings } from '../steps/types.js';
import { StepError } from '../core/errors.js';
import type { Renderer, TemplateScope } from './render.js';

export function renderConnection(
  runbook: CompiledRunbook,
  name: string,
  scope: TemplateScope,
  renderer: Renderer,
): ConnectionSettings {
  const spec: ConnectionSpec | undefined = runbook.connections[name];
  if (!spec) {
    const known = Object.keys(runbook.connections);
    throw new StepError(`unknown connection ${JSON.stringify(name)}`, {
      code: 'UnknownConnection',
      kind: 'sql',
      hint: known.length > 0 ? `Declared connections: ${known.join(', ')}.` : 'Declare it under connections.',
    });
  }
  const field = (key: keyof ConnectionSpec): unknown => {
    const raw = spec[key];
    if (typeof raw !== 'string') return raw;
    return renderer.withSpan(raw, scope, spec.fieldSpans[key] ?? spec.span);
  };
  const host = field('host');
  const port = Number(field('port') ?? 3306);
  if (typeof host !== 'string' || host === '') {
    throw new StepError(`connection ${name}: host rendered to ${JSON.stringify(host)}`, {
      code: 'InvalidConnection',
      kind: 'sql',
      span: spec.fieldSpans.host ?? spec.span,
    });
  }
  if (!Number.isInteger(port) || port <= 0 || port > 65535) {
    throw new StepError(`connection ${name}: port ${JSON.stringify(field('port'))} is not a TCP port`, {
      code: 'InvalidConnection',
      kind: 'sql',
      span: spec.fieldSpans.port ?? spec.span,
    });
  }
  const database = spec.database === undefined ? undefined : field('database');
  return {
    host,
    port,
    user: String(field('user') ?? ''),
    password: String(field('password') ?? ''),
    ...(database === undefined || database === null || database === '' ? {} : { database: String(database) }),
  };
}
