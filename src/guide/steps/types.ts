/** What a step type's translator gives the guide: prose and commands for the reader, lines for the script. */
import type { CompiledStep } from '../../runbook/types.js';
import type { GuideContext } from '../context.js';

export interface StepGuide {
  /** Paragraphs (Markdown) before the commands. */
  prose: string[];
  /** The commands a person types, one block. Empty for a step with nothing to type. */
  commands: string[];
  /** Paragraphs after the commands: what to look for. */
  after: string[];
  /** What the script runs for the step. */
  script: string[];
}

export type StepTranslator = (step: CompiledStep, ctx: GuideContext) => StepGuide;

export const emptyGuide = (): StepGuide => ({ prose: [], commands: [], after: [], script: [] });
