import assert from 'node:assert/strict';
import {
  TemplateError,
  checkTemplate,
  isTemplate,
  isTruthy,
  looselyEqual,
  renderDeep,
  renderTemplate,
  templateReferences,
} from '../../src/runbook/index.js';

const scope = {
  inputs: { clusterName: 'lab', tableSize: 1000000, flag: false },
  captures: { afterDrop: '2026-11-23T09:20:01.734512Z', checksum: 3141592653, empty: '' },
  steps: { 'count-tables': { result: { rows: [{ n: 0 }] } } },
  result: {
    DBClusters: [{ Status: 'available', Endpoint: 'lab-clone.cluster.local' }],
    rows: [] as unknown[],
  },
  env: { HOME: '/root' },
};

function templateError(fn: () => unknown): TemplateError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof TemplateError, `expected a TemplateError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected the template to fail');
}

describe('templates', () => {
  describe('raw values', () => {
    it('returns the raw value of a whole-expression template', () => {
      assert.equal(renderTemplate('{{inputs.tableSize}}', scope), 1000000);
      assert.equal(renderTemplate('{{inputs.flag}}', scope), false);
      assert.deepEqual(renderTemplate('{{result.DBClusters}}', scope), scope.result.DBClusters);
      assert.equal(renderTemplate('{{captures.checksum}}', scope), 3141592653);
    });

    it('renders mixed text to a string', () => {
      assert.equal(renderTemplate('{{inputs.clusterName}}-clone', scope), 'lab-clone');
      assert.equal(renderTemplate('n={{inputs.tableSize}} ok={{inputs.flag}}', scope), 'n=1000000 ok=false');
      assert.equal(renderTemplate(' {{inputs.tableSize}}', scope), ' 1000000');
    });

    it('reads list items by index and keys with dashes', () => {
      assert.equal(renderTemplate('{{result.DBClusters.0.Status}}', scope), 'available');
      assert.equal(renderTemplate('{{steps.count-tables.result.rows.0.n}}', scope), 0);
    });

    it('reads a final numeric segment as a list index, keeping offsets', () => {
      assert.deepEqual(renderTemplate('{{result.DBClusters.0}}', scope), scope.result.DBClusters[0]);
      assert.equal(
        renderTemplate('{{json steps.count-tables.result.rows.0}} v1.0 }', scope),
        '{"n":0} v1.0 }',
      );
      const error = templateError(() => renderTemplate('ab {{result.rows.0}}', scope));
      assert.equal(error.offset, 3);
      assert.deepEqual(
        templateReferences('x {{result.rows.0}} {{captures.a}}').map((r) => r.offset),
        [2, 20],
      );
    });

    it('leaves text without {{ alone, and does not HTML-escape', () => {
      assert.equal(renderTemplate('SELECT 1 < 2', scope), 'SELECT 1 < 2');
      assert.equal(renderTemplate('{{json captures}}', { captures: { a: '<&>' } }), '{"a":"<&>"}');
      assert.equal(isTemplate('plain'), false);
      assert.equal(isTemplate('{{x}}'), true);
    });

    it('supports #if and #unless blocks', () => {
      assert.equal(renderTemplate('{{#if inputs.flag}}yes{{else}}no{{/if}}', scope), 'no');
      assert.equal(renderTemplate('{{#unless inputs.flag}}yes{{/unless}}', scope), 'yes');
    });
  });

  describe('strictness', () => {
    it('fails on an unknown reference, naming it and the offset of its {{', () => {
      const error = templateError(() => renderTemplate('host={{captures.cloneEndpoint}}', scope));
      assert.equal(error.code, 'unknown-reference');
      assert.equal(error.reference, 'captures.cloneEndpoint');
      assert.equal(error.offset, 5);
      assert.match(error.message, /captures\.cloneEndpoint/);
      assert.match(error.message, /captures has no "cloneEndpoint"/);
    });

    it('suggests a close key', () => {
      const error = templateError(() => renderTemplate('{{captures.afterDorp}}', scope));
      assert.equal(error.hint, 'did you mean "afterDrop"?');
    });

    it('says when a list is empty', () => {
      const error = templateError(() => renderTemplate('{{result.rows.0.Checksum}}', scope));
      assert.match(error.message, /result\.rows is an empty list/);
    });

    it('is strict inside helper arguments too', () => {
      const error = templateError(() => renderTemplate('{{isoSecond captures.nope}}', scope));
      assert.equal(error.code, 'unknown-reference');
      assert.equal(error.reference, 'captures.nope');
    });

    it('lets default supply a fallback for a missing value', () => {
      assert.equal(renderTemplate('{{default captures.nope "fallback"}}', scope), 'fallback');
      assert.equal(renderTemplate('{{default captures.empty 7}}', scope), 7);
      assert.equal(renderTemplate('{{default inputs.clusterName "x"}}', scope), 'lab');
    });

    it('never resolves prototype members', () => {
      for (const text of [
        '{{inputs.constructor}}',
        '{{inputs.__proto__}}',
        '{{inputs.toString}}',
        '{{inputs.hasOwnProperty}}',
        '{{captures.constructor.name}}',
      ]) {
        const error = templateError(() => renderTemplate(text, scope));
        assert.ok(['unknown-reference', 'template-syntax'].includes(error.code), text);
      }
      assert.equal(({} as Record<string, unknown>).polluted, undefined);
    });

    it('reports a syntax error at its {{', () => {
      const error = templateError(() => renderTemplate('a {{inputs.clusterName}} b {{inputs.x', scope));
      assert.equal(error.code, 'template-syntax');
      assert.equal(error.offset, 27);
      assert.match(error.message, /not closed/);
    });

    it('reports an unknown helper with a suggestion', () => {
      const error = templateError(() => renderTemplate('{{isoSeconds captures.afterDrop}}', scope));
      assert.match(error.message, /unknown helper "isoSeconds"/);
      assert.equal(error.hint, 'did you mean "isoSecond"?');
    });

    it('reports a failing helper', () => {
      const error = templateError(() => renderTemplate('{{isoSecond inputs.clusterName}}', scope));
      assert.equal(error.code, 'template-helper');
      assert.match(error.message, /not an ISO-8601 instant/);
    });
  });

  describe('helpers', () => {
    it('isoSecond (addSeconds instant 1) truncates to the second after adding', () => {
      assert.equal(
        renderTemplate('{{isoSecond (addSeconds "2026-11-23T09:20:01.734512Z" 1)}}', {}),
        '2026-11-23T09:20:02Z',
      );
      assert.equal(
        renderTemplate('{{isoSecond (addSeconds captures.afterDrop 1)}}', scope),
        '2026-11-23T09:20:02Z',
      );
    });

    it('addSeconds keeps microseconds and accepts numeric strings and negative numbers', () => {
      assert.equal(
        renderTemplate('{{addSeconds captures.afterDrop 1}}', scope),
        '2026-11-23T09:20:02.734512Z',
      );
      assert.equal(
        renderTemplate('{{addSeconds captures.afterDrop "-2"}}', scope),
        '2026-11-23T09:19:59.734512Z',
      );
      assert.equal(
        renderTemplate('{{addSeconds "2026-12-31T23:59:59.5Z" 0.5}}', {}),
        '2027-01-01T00:00:00.000000Z',
      );
    });

    it('iso normalises offsets and MySQL DATETIME text to UTC with microseconds', () => {
      assert.equal(renderTemplate('{{iso "2026-11-23T10:20:01+01:00"}}', {}), '2026-11-23T09:20:01.000000Z');
      assert.equal(renderTemplate('{{iso "2026-11-23 09:20:01.734512"}}', {}), '2026-11-23T09:20:01.734512Z');
      assert.equal(renderTemplate('{{isoSecond "2026-11-23T09:20:01.999999Z"}}', {}), '2026-11-23T09:20:01Z');
    });

    it('now uses the injected clock', () => {
      const now = () => new Date('2026-11-23T09:00:00.000Z');
      assert.equal(renderTemplate('{{now}}', {}, { now }), '2026-11-23T09:00:00.000Z');
    });

    it('json, eq and not', () => {
      assert.equal(
        renderTemplate('{{json result.DBClusters.0}}', scope),
        '{"Status":"available","Endpoint":"lab-clone.cluster.local"}',
      );
      assert.equal(renderTemplate('{{eq inputs.tableSize "1000000"}}', scope), true);
      assert.equal(renderTemplate('{{eq inputs.clusterName "other"}}', scope), false);
      assert.equal(renderTemplate('{{not inputs.flag}}', scope), true);
    });

    it('checks argument counts before running', () => {
      const [problem] = checkTemplate('{{isoSecond (addSeconds captures.afterDrop)}}');
      assert.ok(problem);
      assert.match(problem.message, /"addSeconds" takes 2 arguments, got 1/);
      assert.equal(problem.offset, 0);
    });
  });

  describe('renderDeep', () => {
    it('renders every string inside objects and lists', () => {
      const params = {
        DBClusterIdentifier: '{{inputs.clusterName}}-clone',
        VpcSecurityGroupIds: ['{{inputs.clusterName}}-sg'],
        BacktrackWindow: '{{inputs.tableSize}}',
        SkipFinalSnapshot: true,
      };
      assert.deepEqual(renderDeep(params, scope), {
        DBClusterIdentifier: 'lab-clone',
        VpcSecurityGroupIds: ['lab-sg'],
        BacktrackWindow: 1000000,
        SkipFinalSnapshot: true,
      });
    });

    it('gives the pointer of the failing string', () => {
      const error = templateError(() => renderDeep({ a: [{ b: 'x' }, { c: '{{captures.nope}}' }] }, scope));
      assert.equal(error.pointer, '/a/1/c');
    });
  });

  describe('templateReferences', () => {
    it('lists references, not helper names, with the offset of their {{', () => {
      const refs = templateReferences(
        'at {{isoSecond (addSeconds captures.afterDrop 1)}} on {{inputs.clusterName}}',
      );
      assert.deepEqual(
        refs.map((r) => [r.path.join('.'), r.offset]),
        [
          ['captures.afterDrop', 3],
          ['inputs.clusterName', 54],
        ],
      );
    });

    it('marks the first argument of default as optional', () => {
      const [ref] = templateReferences('{{default captures.maybe "x"}}');
      assert.equal(ref?.optional, true);
    });

    it('finds references inside blocks, on later lines', () => {
      const refs = templateReferences('a\n{{#if inputs.flag}}\n{{captures.x}}{{/if}}');
      assert.deepEqual(
        refs.map((r) => [r.path.join('.'), r.offset]),
        [
          ['inputs.flag', 2],
          ['captures.x', 22],
        ],
      );
    });
  });

  describe('truthiness and equality', () => {
    it('treats "false", "0", "" and [] as false', () => {
      for (const value of [false, 0, '', 'false', '0', ' FALSE ', null, undefined, []])
        assert.equal(isTruthy(value), false, String(value));
      for (const value of [true, 1, 'yes', 'available', [0], {}])
        assert.equal(isTruthy(value), true, String(value));
    });

    it('compares numeric strings and numbers as numbers', () => {
      assert.equal(looselyEqual('3141592653', 3141592653), true);
      assert.equal(looselyEqual('1.0', 1), true);
      assert.equal(looselyEqual('abc', 'abd'), false);
      assert.equal(looselyEqual('', 0), false);
    });
  });
});
