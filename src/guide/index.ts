/**
 * `labrun guide` as a library: a compiled runbook -> the lab guide a person follows (Markdown) or a bash
 * script that does the same lab with the aws CLI, the mysql client and sysbench. A step that has no faithful
 * translation is a `guide-untranslatable` diagnostic at its line.
 */
import type { CompiledRunbook, Diagnostic } from '../runbook/types.js';
import { buildGuide, guideDiagnostic, GuideInputError } from './build.js';
import { GuideError, type GuideFormat } from './context.js';
import { exampleLines, type ExampleRun } from './example.js';
import type { GuideTarget } from './inputs.js';
import { renderMarkdown } from './markdown.js';
import { renderScript } from './script.js';

export { ExampleError, readExampleRun, type ExampleRun } from './example.js';
export type { GuideFormat } from './context.js';
export type { GuideTarget } from './inputs.js';

export interface GuideOptions {
  format: GuideFormat;
  /** Stack outputs, environment and --set values; without stack outputs and env, placeholders. */
  target?: GuideTarget;
  example?: ExampleRun;
}

export type GuideResult = { text: string; diagnostics: [] } | { text?: undefined; diagnostics: Diagnostic[] };

export function writeGuide(runbook: CompiledRunbook, options: GuideOptions): GuideResult {
  const target = options.target ?? {};
  const targeted = target.stackOutputs !== undefined || target.env !== undefined;
  try {
    const guide = buildGuide(runbook, options.format, { ...target, targeted });
    if (options.format === 'sh') return { text: renderScript(guide), diagnostics: [] };
    const examples = options.example ? exampleLines(options.example, guide.context) : undefined;
    return {
      text: renderMarkdown(guide, {
        ...(examples ? { examples } : {}),
        ...(options.example ? { exampleFrom: options.example.runId } : {}),
      }),
      diagnostics: [],
    };
  } catch (error) {
    if (error instanceof GuideError) return { diagnostics: [guideDiagnostic(error, runbook.file)] };
    if (error instanceof GuideInputError) return { diagnostics: error.diagnostics };
    throw error;
  }
}
