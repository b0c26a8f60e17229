/**
 * The runbook JSON Schema (2020-12), assembled from the keys every step shares and each step type's
 * fragment. One schema serves both runbooks and `kind: steps` groups, so editors validate either with
 * the same `$schema` line. schemas/runbook.schema.json is this object, written by scripts/gen-schema.ts.
 */
import { stepSchemas } from '../../steps/schemas.js';
import { DURATION_PATTERN } from '../duration.js';
import type { StepTypeName } from '../types.js';
import type { JsonSchema, StepSchemaFragment } from './fragment.js';

export const SCHEMA_ID = 'https://labrun.dev/schemas/runbook.schema.json';

export const STEP_ID_PATTERN = '^[a-z][a-z0-9-]*$';
/** An include's `as`: kebab-case words, so that both <as>-<id> and <as><Name> (camel-cased) are valid names. */
export const INCLUDE_AS_PATTERN = '^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$';
export const NAME_PATTERN = '^[A-Za-z_][A-Za-z0-9_]*$';
export const CONNECTION_NAME_PATTERN = '^[A-Za-z_][A-Za-z0-9_-]*$';

/** Keys every step has, whatever its type. */
export const COMMON_STEP_KEYS = [
  'id',
  'type',
  'title',
  'if',
  'timeout',
  'retry',
  'capture',
  'ignoreErrors',
  'onResume',
  'guide',
] as const;

const commonStepProperties: Record<(typeof COMMON_STEP_KEYS)[number], JsonSchema> = {
  id: { $ref: '#/$defs/stepId' },
  type: { enum: Object.keys(stepSchemas), description: 'The step type.' },
  title: { type: 'string', description: 'A human title shown in progress output.' },
  if: { type: ['string', 'boolean'], description: 'A template; the step runs only when it renders truthy.' },
  timeout: { $ref: '#/$defs/duration', description: 'Limit for one attempt of the step.' },
  retry: { $ref: '#/$defs/retry' },
  capture: {
    type: 'object',
    description: "Capture name -> template evaluated with `result` bound to this step's result.",
    propertyNames: { $ref: '#/$defs/captureName' },
    additionalProperties: { type: 'string' },
  },
  ignoreErrors: {
    type: 'array',
    items: { type: 'string' },
    description: 'Error codes or names that do not fail the step.',
  },
  onResume: {
    enum: ['rerun', 'skip'],
    description:
      'What `labrun resume` does when this step was cut off mid-way: run it again or record it as skipped. Without it, resuming refuses a changing step that was cut off.',
  },
  guide: {
    type: 'object',
    description: 'How `labrun guide` presents this step in the lab guide it writes.',
    properties: {
      section: {
        type: 'string',
        minLength: 1,
        description: 'Start a new section of the guide at this step, with this heading.',
      },
      sectionDescription: { type: 'string', description: "The new section's introduction (Markdown)." },
      text: { type: 'string', description: "Prose shown under the step's title (Markdown)." },
      commands: {
        type: 'string',
        minLength: 1,
        description:
          'Shell commands the guide shows and its script runs for this step, instead of the generated ones (for a step the guide cannot translate). Captures are the shell variables the guide names.',
      },
    },
    additionalProperties: false,
  },
};

function stepTypeDef(type: StepTypeName): JsonSchema {
  const schema: StepSchemaFragment = stepSchemas[type].schema;
  const allowed: Record<string, unknown> = {};
  for (const key of COMMON_STEP_KEYS) allowed[key] = true;
  return {
    type: 'object',
    properties: { ...allowed, ...schema.properties },
    ...(schema.required ? { required: schema.required } : {}),
    additionalProperties: false,
    ...(schema.constraints ?? {}),
  };
}

function stepDefName(type: StepTypeName): string {
  return `${type.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase())}Step`;
}

export function buildRunbookSchema(): JsonSchema {
  const types = Object.keys(stepSchemas) as StepTypeName[];
  const stepDefs: Record<string, JsonSchema> = {};
  for (const type of types) stepDefs[stepDefName(type)] = stepTypeDef(type);

  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: SCHEMA_ID,
    title: 'labrun runbook',
    description: 'A labrun runbook, or a shared step group (kind: steps) that runbooks include.',
    type: 'object',
    if: { properties: { kind: { const: 'steps' } }, required: ['kind'] },
    then: { $ref: '#/$defs/stepsFile' },
    else: { $ref: '#/$defs/runbookFile' },
    $defs: {
      runbookFile: {
        type: 'object',
        properties: {
          name: {
            type: 'string',
            pattern: STEP_ID_PATTERN,
            description: 'Kebab-case identifier of the runbook.',
            'x-message': { pattern: 'a runbook name must be kebab-case: lowercase letters, digits and -' },
          },
          title: { type: 'string' },
          description: { type: 'string' },
          kind: { enum: ['runbook', 'steps'], default: 'runbook' },
          extends: {
            type: 'string',
            minLength: 1,
            description:
              'Path (relative to this file) of a runbook whose inputs, connections, steps and finally are inherited.',
          },
          inputs: {
            type: 'object',
            propertyNames: { $ref: '#/$defs/inputName' },
            additionalProperties: { $ref: '#/$defs/input' },
          },
          connections: {
            type: 'object',
            propertyNames: { $ref: '#/$defs/connectionName' },
            additionalProperties: { $ref: '#/$defs/connection' },
          },
          disposable: {
            type: 'object',
            description:
              'Clusters and instances (identifiers, templates allowed) that destructive aws steps may act on besides those the run creates.',
            properties: {
              clusters: { type: 'array', items: { type: 'string', minLength: 1 } },
              instances: { type: 'array', items: { type: 'string', minLength: 1 } },
            },
            additionalProperties: false,
          },
          steps: { $ref: '#/$defs/stepList', minItems: 1 },
          finally: { $ref: '#/$defs/stepList' },
        },
        required: ['name'],
        anyOf: [{ required: ['steps'] }, { required: ['extends'] }],
        additionalProperties: false,
        'x-message': { anyOf: 'a runbook needs `steps`, or `extends` to inherit them' },
      },
      stepsFile: {
        type: 'object',
        properties: {
          kind: { const: 'steps' },
          title: { type: 'string' },
          description: { type: 'string' },
          requires: {
            type: 'object',
            description: 'What the including runbook must define.',
            properties: {
              inputs: { type: 'array', items: { $ref: '#/$defs/inputName' } },
              connections: { type: 'array', items: { $ref: '#/$defs/connectionName' } },
            },
            additionalProperties: false,
          },
          params: {
            type: 'object',
            description:
              'Parameters an include gives under `with:`, read in the steps as {{params.name}}; one without a default must be given.',
            propertyNames: { $ref: '#/$defs/inputName' },
            additionalProperties: { $ref: '#/$defs/param' },
          },
          steps: { $ref: '#/$defs/stepList', minItems: 1 },
        },
        required: ['kind', 'steps'],
        additionalProperties: false,
      },
      input: {
        type: 'object',
        properties: {
          type: { enum: ['string', 'integer', 'number', 'boolean'], default: 'string' },
          description: { type: 'string' },
          stackOutput: { type: 'string', minLength: 1, description: 'A CloudFormation stack output key.' },
          env: { type: 'string', minLength: 1, description: 'An environment variable name.' },
          default: { type: ['string', 'number', 'boolean'] },
          secret: { type: 'boolean', default: false, description: 'Mask the value in every output.' },
        },
        additionalProperties: false,
      },
      param: {
        type: 'object',
        properties: {
          type: { enum: ['string', 'integer', 'number', 'boolean'], default: 'string' },
          description: { type: 'string' },
          default: { type: ['string', 'number', 'boolean'] },
        },
        additionalProperties: false,
      },
      connection: {
        type: 'object',
        properties: {
          host: { type: 'string', minLength: 1 },
          port: { type: ['integer', 'string'], default: 3306 },
          user: { type: 'string', minLength: 1 },
          password: { type: 'string' },
          database: { type: 'string' },
          disposable: {
            type: 'boolean',
            default: false,
            description:
              'true: destructive SQL (DROP, TRUNCATE, DELETE, ALTER ...) and sysbench cleanup may run here.',
          },
        },
        required: ['host', 'user'],
        additionalProperties: false,
      },
      retry: {
        type: 'object',
        properties: {
          attempts: { type: 'integer', minimum: 1, description: 'Total attempts, the first included.' },
          interval: { $ref: '#/$defs/duration', description: 'Wait before the second attempt.' },
          backoff: { type: 'number', minimum: 1, description: 'Interval multiplier per attempt.' },
          maxInterval: { $ref: '#/$defs/duration' },
          on: {
            type: 'array',
            items: { type: 'string' },
            description: 'Error codes that are retried (default: any).',
          },
        },
        required: ['attempts'],
        additionalProperties: false,
      },
      stepList: {
        type: 'array',
        items: {
          if: { type: 'object', required: ['include'] },
          then: { $ref: '#/$defs/include' },
          else: { $ref: '#/$defs/step' },
        },
      },
      include: {
        type: 'object',
        properties: {
          include: {
            type: 'string',
            minLength: 1,
            description: 'Path (relative to this file) of a kind: steps file.',
          },
          as: {
            type: 'string',
            pattern: INCLUDE_AS_PATTERN,
            description:
              'Names this use of the group: its step ids become <as>-<id> and its captures <as><Name>, camel-cased (as: after-drop gives after-drop-wait and afterDropEndpoint).',
            'x-message': {
              pattern:
                '`as` "{value}" must be kebab-case: lowercase letters and digits, words joined by single -',
            },
          },
          with: {
            type: 'object',
            description: "Values of the group's `params`, literals or templates.",
            propertyNames: { $ref: '#/$defs/inputName' },
            additionalProperties: { type: ['string', 'number', 'boolean'] },
          },
        },
        required: ['include'],
        additionalProperties: false,
      },
      step: {
        type: 'object',
        properties: commonStepProperties,
        required: ['id', 'type'],
        allOf: types.map((type) => ({
          if: { properties: { type: { const: type } }, required: ['type'] },
          then: { $ref: `#/$defs/${stepDefName(type)}` },
        })),
      },
      ...stepDefs,
      stepId: {
        type: 'string',
        pattern: STEP_ID_PATTERN,
        'x-message': {
          pattern: 'step id "{value}" must start with a lowercase letter and hold only a-z, 0-9 and -',
        },
      },
      inputName: {
        type: 'string',
        pattern: NAME_PATTERN,
        'x-message': { pattern: 'input name "{value}" must be an identifier (letters, digits and _)' },
      },
      captureName: {
        type: 'string',
        pattern: NAME_PATTERN,
        'x-message': { pattern: 'capture name "{value}" must be an identifier (letters, digits and _)' },
      },
      connectionName: {
        type: 'string',
        pattern: CONNECTION_NAME_PATTERN,
        'x-message': {
          pattern: 'connection name "{value}" must be an identifier (letters, digits, _ and -)',
        },
      },
      duration: {
        type: 'string',
        pattern: DURATION_PATTERN,
        description: 'A duration such as 500ms, 10s, 5m, 1h30m, or a template.',
      },
    },
  };
}
