/**
 * The `assert` step in a guide: "you should see ..." with the relation spelled out and a check line that
 * prints `ok` or `NOT OK`; in the script, a `check` per assertion (labrun's semantics: numbers and numeric
 * strings compare as numbers) and a non-zero exit naming the failed check.
 */
import type { CompiledStep } from '../../runbook/types.js';
import { ASSERT_OPERATORS } from '../../steps/assert/schema.js';
import { capturedNamesOf } from '../../steps/statics.js';
import type { GuideContext } from '../context.js';
import { normalize, quote, quoteText, type Word } from '../shell.js';
import { emptyGuide, type StepTranslator } from './types.js';

const OPERATORS = ASSERT_OPERATORS;
type Operator = (typeof OPERATORS)[number];

const RELATION: Record<Operator, string> = {
  equals: 'equals',
  notEquals: 'differs from',
  oneOf: 'is one of',
  matches: 'matches the regular expression',
  contains: 'contains',
  greaterThan: 'is greater than',
  lessThan: 'is less than',
  exists: 'exists',
};

export const assertGuide: StepTranslator = (step, ctx) => {
  const guide = emptyGuide();
  const checks = Array.isArray(step.fields.that) ? (step.fields.that as Array<Record<string, unknown>>) : [];
  const sentences: string[] = [];
  checks.forEach((check, i) => {
    const operator = OPERATORS.find((op) => op in check);
    if (!operator) return;
    const base = `/that/${i}`;
    const actual = ctx.word(step, `${base}/actual`, check.actual);
    const expectedValue = check[operator];
    const expected: Word[] =
      operator === 'oneOf' && Array.isArray(expectedValue)
        ? expectedValue.map((v, j) => ctx.word(step, `${base}/oneOf/${j}`, v))
        : [ctx.word(step, `${base}/${operator}`, expectedValue)];
    if (operator === 'matches') regexForBash(ctx, step, `${base}/matches`, expected[0]!);
    const message = typeof check.message === 'string' ? check.message : `${step.id} #${i + 1}`;

    const actualText = describe(ctx, actual);
    const sentence =
      operator === 'exists'
        ? `${actualText} ${ctx.known(expectedValue)?.value === false ? 'does not exist' : 'exists'}`
        : `${actualText} ${RELATION[operator]} ${expected.map((w) => describe(ctx, w)).join(', ')}`;
    sentences.push(`- ${sentence}: ${message}`);
    guide.commands.push(
      checkLine(operator, actual, expected, message, ctx.known(expectedValue)?.value === false),
    );
    guide.script.push(
      `check ${quoteText(message)} ${quote(actual)} ${operator} ${expected.map(quote).join(' ')}`,
    );
  });
  guide.script.push(`checks_done ${step.id}`);
  guide.prose.push(`You should see that:\n\n${sentences.join('\n')}`);
  guide.after.push('Each line should start with `ok`.');
  return guide;
};

/** How a value reads in a sentence: a capture by name, anything else as written. */
function describe(ctx: GuideContext, word: Word): string {
  const parts = normalize(word);
  if (parts.length === 1 && parts[0]!.kind === 'var') {
    const name = parts[0]!.name;
    const capture = [...ctx.runbook.steps, ...ctx.runbook.finally]
      .flatMap((s) => [...Object.keys(s.capture ?? {}), ...capturedNamesOf(s).map((c) => String(c.value))])
      .find((c) => ctx.captureVariable(c) === name);
    return capture ? `**${capture}** (\`$${name}\`)` : `\`$${name}\``;
  }
  return `\`${quote(word)}\``;
}

function checkLine(
  operator: Operator,
  actual: Word,
  expected: Word[],
  message: string,
  absent: boolean,
): string {
  const a = quote(actual);
  const e = expected.map(quote);
  let test: string;
  switch (operator) {
    case 'equals':
      test = `[ ${a} = ${e[0]} ]`;
      break;
    case 'notEquals':
      test = `[ ${a} != ${e[0]} ]`;
      break;
    case 'oneOf':
      test = `{ ${e.map((v) => `[ ${a} = ${v} ]`).join(' || ')}; }`;
      break;
    case 'matches':
      // A quoted right side of =~ is matched as plain text: the expression goes through a variable.
      test = `{ re=${e[0]}; [[ ${a} =~ $re ]]; }`;
      break;
    case 'contains':
      test = `[[ ${a} == *${e[0]}* ]]`;
      break;
    case 'greaterThan':
      test = `[ ${a} -gt ${e[0]} ]`;
      break;
    case 'lessThan':
      test = `[ ${a} -lt ${e[0]} ]`;
      break;
    case 'exists':
      test = absent ? `[ -z ${a} ]` : `[ -n ${a} ]`;
      break;
  }
  return `${test} && echo ${quoteText(`ok: ${message}`)} || echo ${quoteText(`NOT OK: ${message}`)}`;
}

/** bash's =~ reads POSIX extended expressions: JavaScript-only syntax is refused. */
function regexForBash(ctx: GuideContext, step: CompiledStep, pointer: string, word: Word): void {
  const literal = normalize(word);
  const source = literal.map((p) => (p.kind === 'text' ? p.text : '')).join('');
  if (/\\[dDsSwWbB]|\(\?|\\u|\\x/.test(source)) {
    ctx.fail(
      step,
      pointer,
      `the regular expression ${JSON.stringify(source)} uses JavaScript syntax that bash's =~ does not read`,
    );
  }
}
