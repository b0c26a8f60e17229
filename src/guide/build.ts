/**
 * A runbook as a guide: sections (an included step group, a step's `guide.section`, and "Clean up" for
 * `finally`), each step translated by its type's translator into prose, the commands a person types and the
 * lines the script runs. Steps are numbered 1, 2, 3 ... in each section.
 */
import { basename } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { CompiledRunbook, CompiledStep, Diagnostic } from '../runbook/types.js';
import { GuideContext, GuideError, type GuideFormat } from './context.js';
import { guideInputs, type GuideInput, type GuideTarget } from './inputs.js';
import { ShellNames } from './names.js';
import { stepTranslators } from './steps/registry.js';
import type { StepGuide } from './steps/types.js';

export interface GuideStep {
  step: CompiledStep;
  number: number;
  title: string;
  guide: StepGuide;
}

export interface GuideSection {
  title: string;
  description?: string;
  steps: GuideStep[];
  cleanup: boolean;
}

export interface Guide {
  format: GuideFormat;
  runbook: CompiledRunbook;
  inputs: GuideInput[];
  sections: GuideSection[];
  context: GuideContext;
  /** Whether the guide was written for a target (real values) or with placeholders. */
  targeted: boolean;
  /** Whether that target is the local sandbox. */
  sandbox: boolean;
}

export function buildGuide(
  runbook: CompiledRunbook,
  format: GuideFormat,
  target: GuideTarget & { targeted: boolean },
): Guide {
  const names = new ShellNames();
  const { inputs, diagnostics } = guideInputs(runbook.inputs, target, names);
  if (diagnostics.some((d) => d.severity === 'error')) throw new GuideInputError(diagnostics);
  const context = new GuideContext(format, runbook, inputs, names, target.targeted ? (target.env ?? {}) : {});
  const sections: GuideSection[] = [];
  let previousUse: string | undefined;
  for (const step of runbook.steps) {
    // A section per use of a group: the group the runbook includes (nested groups stay in it), and a
    // group included twice in a row gives two sections.
    const file = step.include?.file ?? step.span.file;
    const use = step.include ? `${step.include.index} ${file}` : file;
    const entersGroup = use !== previousUse && file !== runbook.file;
    if (step.guide?.section || entersGroup || sections.length === 0) {
      const group = entersGroup ? groupHeading(runbook, file) : undefined;
      const section: GuideSection = {
        title:
          step.guide?.section ?? group?.title ?? (file === runbook.file ? 'Steps' : humanize(basename(file))),
        steps: [],
        cleanup: false,
      };
      const description =
        step.guide?.sectionDescription ?? (step.guide?.section ? undefined : group?.description);
      if (description) section.description = description.trim();
      sections.push(section);
    }
    previousUse = use;
    sections[sections.length - 1]!.steps.push(
      translate(step, context, sections[sections.length - 1]!.steps.length + 1),
    );
  }
  if (runbook.finally.length > 0) {
    const cleanup: GuideSection = {
      title: 'Clean up',
      description: 'Run these whether or not the steps above worked: they remove what the lab created.',
      steps: [],
      cleanup: true,
    };
    runbook.finally.forEach((step, i) => cleanup.steps.push(translate(step, context, i + 1)));
    sections.push(cleanup);
  }
  return {
    format,
    runbook,
    inputs: [...inputs.values()],
    sections,
    context,
    targeted: target.targeted,
    sandbox: target.targeted && target.sandbox === true,
  };
}

/** Inputs given with --set that do not fit, or name no input. */
export class GuideInputError extends Error {
  constructor(readonly diagnostics: Diagnostic[]) {
    super(diagnostics[0]?.message ?? 'invalid inputs');
    this.name = 'GuideInputError';
  }
}

function translate(step: CompiledStep, ctx: GuideContext, number: number): GuideStep {
  const title = stepTitle(step, ctx);
  let guide: StepGuide;
  if (step.guide?.commands) {
    const lines = step.guide.commands.replace(/\n+$/, '').split('\n');
    guide = { prose: [], commands: lines, after: [], script: lines };
  } else {
    if (step.if !== undefined) {
      const known = ctx.known(step.if);
      if (!known) ctx.fail(step, '/if', 'its `if` is known only at run time');
    }
    guide = stepTranslators[step.type](step, ctx);
  }
  if (step.guide?.text) guide.prose.unshift(step.guide.text.trim());
  return { step, number, title, guide };
}

function stepTitle(step: CompiledStep, ctx: GuideContext): string {
  if (step.title) {
    const known = ctx.known(step.title);
    return typeof known?.value === 'string' ? known.value : step.title;
  }
  return humanize(step.id);
}

/** A group file's `title` and `description`, read from its text. */
function groupHeading(
  runbook: CompiledRunbook,
  file: string,
): { title?: string; description?: string } | undefined {
  const source = runbook.sources[file];
  if (source === undefined) return undefined;
  try {
    const data = parseYaml(source) as Record<string, unknown> | null;
    if (!data || typeof data !== 'object') return undefined;
    return {
      ...(typeof data.title === 'string' ? { title: data.title } : {}),
      ...(typeof data.description === 'string' ? { description: data.description } : {}),
    };
  } catch {
    return undefined;
  }
}

/** `clone.steps.yaml` -> "Clone", `clone-matches-source` -> "Clone matches source". */
export function humanize(name: string): string {
  const words = name
    .replace(/\.steps\.ya?ml$|\.ya?ml$/, '')
    .replace(/[-_.]+/g, ' ')
    .trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** The translation's error, whether the step's or a connection's, as a diagnostic. */
export function guideDiagnostic(error: GuideError, file: string): Diagnostic {
  return {
    code: 'guide-untranslatable',
    severity: 'error',
    message: error.message,
    file: error.span?.file ?? file,
    ...(error.span ? { span: error.span } : {}),
    ...(error.hint ? { hint: error.hint } : {}),
  };
}
