/**
 * Applies binlog events to a server: `mariadb-binlog --stop-datetime` piped into the `mariadb` client.
 *
 * mariadb-binlog reads --stop-datetime in its own time zone, so it runs with TZ=UTC. The output keeps each
 * event's original timestamp and server id, and is applied with binary logging off (--disable-log-bin):
 * the target's own binlog belongs to the epoch that starts after the replay. When the cut falls inside a
 * transaction, mariadb-binlog ends with a ROLLBACK, so the result stays on a transaction boundary.
 */
import { spawn } from 'node:child_process';
import { DataPlaneError, tailLines } from './errors.js';
import { binlogDatetime } from './timeline.js';
import { defaultTools, type MariaDbTools } from './tools.js';

export interface ReplayOptions {
  files: string[];
  /** Events stamped at or after this Unix second are not applied; omit to apply every event. */
  stopSecond?: number;
  /** Socket of the server that receives the events; root connects over it. */
  socket: string;
  tools?: MariaDbTools;
}

export async function replayBinlogs(options: ReplayOptions): Promise<void> {
  if (options.files.length === 0) return;
  const tools = options.tools ?? defaultTools();
  const readerArgs = ['--no-defaults', '--disable-log-bin'];
  if (options.stopSecond !== undefined)
    readerArgs.push(`--stop-datetime=${binlogDatetime(options.stopSecond)}`);
  readerArgs.push(...options.files);
  const clientArgs = [
    '--no-defaults',
    `--socket=${options.socket}`,
    '--user=root',
    '--max-allowed-packet=1G',
    '--binary-mode',
  ];

  const reader = spawn(tools.binlog, readerArgs, {
    env: { ...process.env, TZ: 'UTC' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const client = spawn(tools.client, clientArgs, { stdio: ['pipe', 'ignore', 'pipe'] });
  // A client that fails early closes its stdin; the reader then gets EPIPE, which is reported via the client.
  client.stdin.on('error', () => undefined);
  reader.stdout.pipe(client.stdin);

  const [readerResult, clientResult] = await Promise.all([finished(reader), finished(client)]);
  if (clientResult.status !== 0) {
    throw new DataPlaneError(
      'ToolFailed',
      `Replaying the binlog failed: ${tools.client} ${clientResult.how}:\n${tailLines(clientResult.stderr)}`,
    );
  }
  if (readerResult.status !== 0) {
    throw new DataPlaneError(
      'ToolFailed',
      `Reading the binlog failed: ${tools.binlog} ${readerResult.how}:\n${tailLines(readerResult.stderr)}`,
    );
  }
}

interface Finished {
  status: number | null;
  how: string;
  stderr: string;
}

function finished(child: ReturnType<typeof spawn>): Promise<Finished> {
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    // Only the tail is ever shown; keep memory bounded on a chatty failure.
    stderr = (stderr + chunk).slice(-16_384);
  });
  return new Promise((resolve) => {
    child.once('error', (error) => resolve({ status: -1, how: `could not run (${error.message})`, stderr }));
    child.once('close', (code, signal) =>
      resolve({ status: code, how: signal ? `was killed by ${signal}` : `exited with code ${code}`, stderr }),
    );
  });
}
