/**
 * The CloudFormation operations a runbook needs to read its inputs: DescribeStacks and ListStacks over the
 * sandbox's one stack. CloudFormation's model has no list element names, so items are `<member>`.
 */
import type { StackRecord } from '../control/model.js';
import type { ActionHandler } from './rds-actions.js';
import { xmlList, type XmlObject } from './xml-response.js';

export const CLOUDFORMATION_ACTIONS = {
  async DescribeStacks(params, control) {
    const stacks = control.describeStacks(params.string('StackName') || undefined);
    return { Stacks: xmlList('member', stacks.map(stackXml)) };
  },

  async ListStacks(params, control) {
    const wanted = params.list('StackStatusFilter', 'member');
    const stacks = control
      .describeStacks()
      .filter((stack) => !wanted || wanted.length === 0 || wanted.includes(stack.status));
    return {
      StackSummaries: xmlList(
        'member',
        stacks.map((stack) => ({
          StackId: stack.id,
          StackName: stack.name,
          TemplateDescription: stack.description,
          CreationTime: new Date(stack.createdAt),
          StackStatus: stack.status,
        })),
      ),
    };
  },
} satisfies Record<string, ActionHandler>;

function stackXml(stack: StackRecord): XmlObject {
  return {
    StackId: stack.id,
    StackName: stack.name,
    Description: stack.description,
    Parameters: {},
    CreationTime: new Date(stack.createdAt),
    StackStatus: stack.status,
    DisableRollback: false,
    NotificationARNs: {},
    Capabilities: {},
    Outputs: xmlList(
      'member',
      stack.outputs.map((output) => ({
        OutputKey: output.key,
        OutputValue: output.value,
        Description: output.description,
      })),
    ),
    Tags: {},
    EnableTerminationProtection: false,
    DriftInformation: { StackDriftStatus: 'NOT_CHECKED' },
  };
}
