import assert from 'node:assert/strict';
import { formatDiagnostic, formatDiagnostics } from '../../src/runbook/index.js';
import type { Diagnostic } from '../../src/runbook/index.js';

const source = 'name: lab\nsteps:\n  - id: one\n    type: sqll\n';
const diagnostic: Diagnostic = {
  code: 'schema',
  severity: 'error',
  message: 'unknown step type "sqll"',
  file: 'runbooks/lab.yaml',
  span: {
    file: 'runbooks/lab.yaml',
    start: { line: 4, col: 11 },
    end: { line: 4, col: 15 },
    offset: 36,
    endOffset: 40,
  },
  hint: 'did you mean "sql"?',
};

describe('formatDiagnostic', () => {
  it('prints the position, a code frame with a caret under the span, and the hint', () => {
    assert.equal(
      formatDiagnostic(diagnostic, { source }),
      [
        'runbooks/lab.yaml:4:11: error: unknown step type "sqll"',
        '4 |     type: sqll',
        '  |           ^^^^',
        'hint: did you mean "sql"?',
      ].join('\n'),
    );
  });

  it('prints only the message when there is no span or no source', () => {
    const { span: _span, hint: _hint, ...bare } = diagnostic;
    assert.equal(formatDiagnostic(bare), 'runbooks/lab.yaml: error: unknown step type "sqll"');
    assert.equal(formatDiagnostic({ ...diagnostic, file: '/nonexistent/x.yaml' }).split('\n').length, 2);
  });

  it('keeps tabs so the caret lines up, and marks at least one column', () => {
    const text = formatDiagnostic(
      {
        ...diagnostic,
        span: { file: 'x', start: { line: 1, col: 2 }, end: { line: 1, col: 2 }, offset: 1, endOffset: 1 },
        hint: undefined,
      },
      { source: '\tx: 1\n' },
    );
    assert.equal(text.split('\n')[2], '  | \t^');
  });

  it('colours only when asked', () => {
    const escape = String.fromCharCode(27);
    assert.ok(!formatDiagnostic(diagnostic, { source }).includes(escape));
    const coloured = formatDiagnostic(diagnostic, { source, color: true });
    assert.ok(coloured.includes(escape));
    assert.equal(
      coloured.replace(new RegExp(`${escape}\\[[0-9;]*m`, 'g'), ''),
      formatDiagnostic(diagnostic, { source }),
    );
  });

  it('separates several diagnostics with a blank line and uses the sources map', () => {
    const text = formatDiagnostics([diagnostic, { ...diagnostic, severity: 'warning' }], {
      sources: { 'runbooks/lab.yaml': source },
    });
    assert.equal(text.split('\n\n').length, 2);
    assert.match(text, /4:11: warning: /);
  });
});
