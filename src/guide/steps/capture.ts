/** The `capture` step in a guide: the server clock read with the mysql client, or a value kept in a variable. */
import { mysqlCommand } from './mysql.js';
import { emptyGuide, type StepTranslator } from './types.js';
import { text } from '../shell.js';
import { quote } from '../shell.js';

/** The server clock in the form labrun captures it: UTC, ISO-8601 with microseconds and Z. */
const SERVER_TIME = "SELECT DATE_FORMAT(UTC_TIMESTAMP(6), '%Y-%m-%dT%H:%i:%s.%fZ')";

export const captureGuide: StepTranslator = (step, ctx) => {
  const guide = emptyGuide();
  const name = String(step.fields.name);
  const variable = ctx.captureVariable(name);
  if (typeof step.fields.serverTime === 'string') {
    const connection = ctx.connection(step, step.fields.serverTime);
    const line = `${variable}=$(${mysqlCommand(ctx, connection, text(SERVER_TIME), { values: true })})`;
    guide.commands.push(line, `echo "${name}: $${variable}"`);
    guide.script.push(line, `note ${name} "$${variable}"`);
    guide.after.push(
      `Note the time shown (the database server's clock, UTC): it is **${name}**, kept in \`$${variable}\` for the steps that follow.`,
    );
    return guide;
  }
  const line = `${variable}=${quote(ctx.word(step, '/value', step.fields.value))}`;
  guide.commands.push(line, `echo "${name}: $${variable}"`);
  guide.script.push(line, `note ${name} "$${variable}"`);
  guide.after.push(`Note the value shown: it is **${name}**, kept in \`$${variable}\`.`);
  return guide;
};
