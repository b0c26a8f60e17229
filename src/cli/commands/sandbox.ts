/** `labrun sandbox up | down | status | env`: thin wrappers over the sandbox's entry points. */
import { formatDuration } from '../../core/clock.js';
import { EXIT } from '../exit-codes.js';
import type { Output } from '../output.js';

export async function sandboxUpCommand(
  flags: { tableSize?: number; strict?: boolean; reload?: boolean },
  output: Output,
): Promise<number> {
  const { sandboxUp } = await import('../../sandbox/index.js');
  if (flags.reload && !flags.tableSize) {
    output.err('labrun: --reload needs --table-size: the number of rows to reload sbtest1 with');
    return EXIT.usage;
  }
  const started = Date.now();
  const connection = await sandboxUp({
    ...(flags.tableSize ? { tableSize: flags.tableSize } : {}),
    // Without --strict, $LABRUN_SANDBOX_STRICT decides (read by sandboxUp).
    ...(flags.strict ? { strict: true } : {}),
    ...(flags.reload ? { reload: true } : {}),
    onProgress: (line) => output.err(`  ${line}`),
  });
  output.out(
    `sandbox ready at ${connection.endpoint} (stack ${connection.stackName}${connection.strict ? ', strict mode' : ''}) in ${formatDuration(Date.now() - started)}`,
  );
  output.out('point the aws CLI at it with: eval "$(labrun sandbox env)"');
  return EXIT.passed;
}

export async function sandboxDownCommand(flags: { purge?: boolean }, output: Output): Promise<number> {
  const { sandboxDown, sandboxHome } = await import('../../sandbox/index.js');
  const { wasRunning, deleted } = await sandboxDown({ purge: Boolean(flags.purge) });
  output.out(wasRunning ? 'sandbox stopped' : 'sandbox was not running');
  if (flags.purge) output.out(deleted ? 'sandbox data deleted' : `no sandbox data in ${sandboxHome()}`);
  return EXIT.passed;
}

export async function sandboxStatusCommand(flags: { quiet?: boolean }, output: Output): Promise<number> {
  const { sandboxStatus } = await import('../../sandbox/index.js');
  const status = await sandboxStatus();
  if (flags.quiet) return status.running ? EXIT.passed : 1;
  output.out(
    status.running
      ? `running at ${status.endpoint} (${status.strict ? 'strict' : 'lenient'} mode)`
      : 'not running',
  );
  output.out(`home: ${status.home}`);
  if (status.tableSize !== undefined) output.out(`sbtest1: ${status.tableSize} rows`);
  for (const cluster of status.clusters) {
    output.out(
      `  ${cluster.id}  ${cluster.status}${cluster.endpoint ? `  ${cluster.endpoint}` : ''}  ${megabytes(cluster.dataBytes)}`,
    );
    for (const instance of cluster.instances) output.out(`    ${instance.id}  ${instance.status}`);
  }
  for (const cluster of status.unregistered) {
    output.out(
      `  ${cluster.id}  not in the registry (left untouched)  ${cluster.dir}  ${megabytes(cluster.dataBytes)}`,
    );
  }
  return status.running ? EXIT.passed : 1;
}

export async function sandboxEnvCommand(output: Output): Promise<number> {
  const { findSandbox, sandboxEnvLines } = await import('../../sandbox/index.js');
  const connection = await findSandbox();
  if (!connection) {
    output.err('labrun: the sandbox is not running');
    output.err('  hint: start it with: labrun sandbox up');
    return 1;
  }
  for (const line of sandboxEnvLines(connection)) output.out(line);
  return EXIT.passed;
}

function megabytes(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
