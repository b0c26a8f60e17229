/**
 * JUnit XML from a run record: one testsuite per run, one testcase per step (finally steps included), with
 * failures carrying the message, the span and each failed assertion. CI systems read this format.
 */
import { XMLBuilder } from 'fast-xml-parser';
import type { RunRecord, StepRecord } from './record.js';

export function junitXml(record: RunRecord): string {
  const cases = record.steps.map((step) => testcase(record, step));
  const failures = record.steps.filter((s) => s.status === 'failed' && s.error?.kind === 'assertion').length;
  const errors = record.steps.filter((s) => s.status === 'failed' && s.error?.kind !== 'assertion').length;
  const skipped = record.steps.filter((s) => s.status === 'skipped' || s.status === 'pending').length;
  const seconds = (ms: number | undefined): string => ((ms ?? 0) / 1000).toFixed(3);
  const leaked = record.resources?.leaked ?? [];
  const doc = {
    '?xml': { '@_version': '1.0', '@_encoding': 'UTF-8' },
    testsuites: {
      '@_name': 'labrun',
      '@_tests': record.steps.length,
      '@_failures': failures,
      '@_errors': errors,
      '@_skipped': skipped,
      '@_time': seconds(record.durationMs),
      testsuite: {
        '@_name': record.runbook.name,
        '@_tests': record.steps.length,
        '@_failures': failures,
        '@_errors': errors,
        '@_skipped': skipped,
        '@_time': seconds(record.durationMs),
        '@_timestamp': record.startedAt,
        '@_file': record.runbook.file,
        properties: {
          property: [
            { '@_name': 'runId', '@_value': record.runId },
            { '@_name': 'status', '@_value': record.status },
            ...(record.rerun
              ? [
                  { '@_name': 'continues', '@_value': record.rerun.source },
                  { '@_name': 'from', '@_value': record.rerun.from },
                ]
              : []),
          ],
        },
        testcase: cases,
        ...(leaked.length > 0
          ? {
              'system-err': `resources this run created are still there: ${leaked
                .map((r) => `${r.kind} ${r.id} (${r.state})`)
                .join(', ')}`,
            }
          : {}),
      },
    },
  };
  const builder = new XMLBuilder({
    ignoreAttributes: false,
    attributeNamePrefix: '@_',
    format: true,
    suppressEmptyNode: true,
    processEntities: true,
  });
  return builder.build(doc) as string;
}

function testcase(record: RunRecord, step: StepRecord): Record<string, unknown> {
  const node: Record<string, unknown> = {
    '@_name': step.title ? `${step.id}: ${step.title}` : step.id,
    '@_classname': `${record.runbook.name}.${step.cleanup ? 'finally' : 'steps'}`,
    '@_time': ((step.durationMs ?? 0) / 1000).toFixed(3),
    ...location(step.span),
  };
  if (step.status === 'skipped' || step.status === 'pending') {
    node.skipped = { '@_message': step.reason ?? 'not run' };
  } else if (step.status === 'failed' && step.error) {
    const lines = [`${step.error.span ?? step.span}: step ${step.id}: ${step.error.message}`];
    for (const a of step.assertions.filter((x) => !x.passed)) {
      lines.push(
        `  ${a.message ?? 'assertion failed'}: actual ${JSON.stringify(a.actual)} ${a.operator} ${JSON.stringify(a.expected)}`,
      );
    }
    if (step.error.hint) lines.push(`hint: ${step.error.hint}`);
    const tag = step.error.kind === 'assertion' ? 'failure' : 'error';
    node[tag] = { '@_message': step.error.message, '@_type': step.error.code, '#text': lines.join('\n') };
  }
  if (step.error && step.errorIgnored) {
    node['system-out'] = `ignored error ${step.error.code}: ${step.error.message}`;
  } else if (step.reconciled) {
    node['system-out'] = `resumed after a crash: ${step.reconciled}`;
  }
  if (step.restoredFrom) {
    const restored = `restored from run ${step.restoredFrom} (not run again)`;
    node['system-out'] = node['system-out'] ? `${String(node['system-out'])}\n${restored}` : restored;
  }
  return node;
}

/** `file` and `line` attributes from a `file:line:col` span, as CI systems link them. */
function location(span: string): Record<string, string> {
  const match = /^(.*):(\d+):\d+$/.exec(span);
  return match ? { '@_file': match[1]!, '@_line': match[2]! } : { '@_file': span };
}
