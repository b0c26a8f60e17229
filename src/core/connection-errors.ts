/**
 * Which errors mean a SQL connection was lost: shared by the engine's connection pool and the steps that decide
 * whether a statement cut off by a lost connection may be sent again.
 */
import { StepError } from './errors.js';

/** Codes after which a connection is unusable and a fresh one is worth one try. */
export const CONNECTION_GONE = new Set([
  'PROTOCOL_CONNECTION_LOST',
  'ECONNRESET',
  'EPIPE',
  'ER_SERVER_SHUTDOWN',
  'ER_CONNECTION_KILLED',
  'ER_CLIENT_INTERACTION_TIMEOUT',
]);

/**
 * Whether a statement's error means the connection was lost while it ran (the server restarted, the network
 * dropped it). The statement may or may not have taken effect; only the caller knows whether it is safe to
 * send it again (the next `run` reconnects).
 */
export function isConnectionLost(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && CONNECTION_GONE.has(code) && !isConnectFailure(error);
}

/** A failure to open a connection (the statement was never sent); see `ensure` in src/engine/connections.ts. */
function isConnectFailure(error: unknown): boolean {
  return error instanceof StepError && error.message.startsWith('cannot connect to ');
}
