/**
 * The `sysbench` step in a guide: the full sysbench command line. The password goes in a config file made on
 * the fly (`--config-file=<(printf ...)`), so it is not on the command line for `ps` to show.
 */
import { quote, quoteText } from '../shell.js';
import { emptyGuide, type StepTranslator } from './types.js';

export const sysbenchGuide: StepTranslator = (step, ctx) => {
  const guide = emptyGuide();
  if (ctx.wanted(step).length > 0)
    ctx.fail(step, '/capture', "sysbench's summary cannot be read into a shell variable by the guide");
  const connection = ctx.connection(step, String(step.fields.connection));
  const words: string[] = ['sysbench'];
  const password = quote(connection.password);
  if (password !== "''") words.push(`--config-file=<(printf 'mysql-password=%s\\n' ${password})`);
  words.push(
    quote(ctx.word(step, '/workload', step.fields.workload)),
    `--mysql-host=${quote(connection.host)}`,
    `--mysql-port=${quote(connection.port)}`,
    `--mysql-user=${quote(connection.user)}`,
  );
  if (connection.database) words.push(`--mysql-db=${quote(connection.database)}`);
  const options =
    step.fields.options && typeof step.fields.options === 'object'
      ? (step.fields.options as Record<string, unknown>)
      : {};
  for (const [name, value] of Object.entries(options)) {
    const word = quote(ctx.word(step, `/options/${name}`, value));
    words.push(`${quoteText(`--${name}`)}=${word}`);
  }
  words.push(quote(ctx.word(step, '/command', step.fields.command)));
  const line = words.join(' ');
  guide.commands.push(line);
  guide.script.push(line);
  guide.prose.push(
    'sysbench reads the password from a config file made on the fly by `printf`, so it never appears on a command line.',
  );
  return guide;
};
