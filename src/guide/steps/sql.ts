/** The `sql` step in a guide: the mysql command line with the statement, its `?` parameters written in. */
import type { CompiledStep } from '../../runbook/types.js';
import type { GuideContext } from '../context.js';
import { awkPick, locate, mysqlCommand, statementWord } from './mysql.js';
import { emptyGuide, type StepGuide, type StepTranslator } from './types.js';

export const sqlGuide: StepTranslator = (step, ctx) => {
  const guide = emptyGuide();
  const connection = ctx.connection(step, String(step.fields.connection));
  const query = String(step.fields.query);
  const params = Array.isArray(step.fields.params) ? step.fields.params : [];
  const statement = statementWord(ctx, step, query, params);
  const wanted = ctx.wanted(step);
  if (wanted.length === 0) {
    const command = mysqlCommand(ctx, connection, statement);
    guide.commands.push(command);
    guide.script.push(command);
    return guide;
  }
  readValues(ctx, step, guide, mysqlCommand(ctx, connection, statement, { values: true }), query);
  return guide;
};

/** Commands that leave the step's wanted values in shell variables, and show them to the reader. */
export function readValues(
  ctx: GuideContext,
  step: CompiledStep,
  guide: StepGuide,
  command: string,
  query: string,
): void {
  const wanted = ctx.wanted(step);
  const lines: string[] = [];
  if (wanted.length === 1) {
    const only = wanted[0]!;
    const { row, column } = locate(ctx, step, query, only);
    lines.push(`${only.variable}=$(${command} | ${awkPick(row, column)})`);
  } else {
    const output = ctx.names.name(`output:${step.id}`, `${step.id}_output`);
    lines.push(`${output}=$(${command})`);
    for (const w of wanted) {
      const { row, column } = locate(ctx, step, query, w);
      lines.push(`${w.variable}=$(${awkPick(row, column)} <<<"$${output}")`);
    }
  }
  guide.commands.push(...lines, ...wanted.map((w) => `echo "${label(w)}: $${w.variable}"`));
  guide.script.push(...lines, ...wanted.map((w) => `note ${label(w)} "$${w.variable}"`));
  const note = captureNote(wanted);
  if (note) guide.after.push(note);
}

export function label(wanted: { capture?: string; variable: string }): string {
  return wanted.capture ?? wanted.variable;
}

/** "Note **a**, **b** and **c**: the commands keep them in `$A`, `$B` and `$C` …", for the captured values. */
export function captureNote(wanted: Array<{ capture?: string; variable: string }>): string | undefined {
  const captured = wanted.filter((w) => w.capture);
  if (captured.length === 0) return undefined;
  const names = englishList(captured.map((w) => `**${w.capture}**`));
  const variables = englishList(captured.map((w) => `\`$${w.variable}\``));
  const them = captured.length === 1 ? 'it' : 'them';
  return `Note ${names}: the commands keep ${them} in ${variables} for the steps that follow.`;
}

/** `a`, `a and b`, `a, b and c`. */
function englishList(items: string[]): string {
  return items.length <= 2 ? items.join(' and ') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;
}
