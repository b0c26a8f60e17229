/** Hostile and broken files become diagnostics: no crash, no hang, no prototype pollution. */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { compileRunbook } from '../../src/runbook/index.js';
import { memoryFiles, repoText, where } from './fixtures.js';

function compile(content: string | Uint8Array) {
  return compileRunbook('lab.yaml', { readFile: memoryFiles({ 'lab.yaml': content }) });
}

function codes(content: string | Uint8Array): string[] {
  return compile(content).diagnostics.map((d) => d.code);
}

const valid = 'name: lab\nsteps:\n  - id: pause\n    type: wait-until\n    duration: 1s\n';

describe('hostile input', () => {
  it('accepts the baseline runbook', () => {
    assert.deepEqual(codes(valid), []);
  });

  it('reports a file that cannot be read', () => {
    const { diagnostics } = compileRunbook('missing.yaml', { readFile: memoryFiles({}) });
    assert.deepEqual(
      diagnostics.map((d) => [d.code, d.file, d.message]),
      [['file-unreadable', 'missing.yaml', 'cannot read the file: no such file']],
    );
  });

  it('reports a directory given as the runbook', () => {
    const { diagnostics } = compileRunbook('test');
    assert.equal(diagnostics[0]!.code, 'file-unreadable');
    assert.match(diagnostics[0]!.message, /directory/);
  });

  it('rejects a file over 1 MiB before parsing it', () => {
    const big = `${valid}# ${'x'.repeat(1024 * 1024)}\n`;
    const started = Date.now();
    assert.deepEqual(codes(big), ['file-too-large']);
    assert.ok(Date.now() - started < 1000);
  });

  it('rejects bytes that are not UTF-8 and says where', () => {
    const bytes = Buffer.concat([
      Buffer.from('name: lab\ntitle: "'),
      Buffer.from([0xff, 0xfe]),
      Buffer.from('"\n'),
    ]);
    const { diagnostics } = compile(bytes);
    assert.deepEqual(
      diagnostics.map((d) => [d.code, where(d)]),
      [['file-not-utf8', '2:9']],
    );
    assert.match(diagnostics[0]!.message, /0xff at byte 18/);
  });

  it('accepts a UTF-8 byte order mark', () => {
    assert.deepEqual(codes(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(valid)])), []);
  });

  it('reports empty and comment-only files', () => {
    assert.deepEqual(codes(''), ['file-empty']);
    assert.deepEqual(codes('\n\n   \n'), ['file-empty']);
    assert.deepEqual(codes('# only a comment\n'), ['file-empty']);
    assert.deepEqual(codes('---\n'), ['file-empty']);
  });

  it('reports a document that is not a mapping', () => {
    assert.deepEqual(codes('- a\n- b\n'), ['not-a-mapping']);
    assert.deepEqual(codes('just text\n'), ['not-a-mapping']);
  });

  it('reports several documents', () => {
    const { diagnostics } = compile(`${valid}---\n${valid}---\n${valid}`);
    assert.deepEqual(
      diagnostics.map((d) => [d.code, where(d)]),
      [['yaml-multi-document', '6:1']],
    );
    assert.match(diagnostics[0]!.message, /3 YAML documents/);
  });

  it('survives extreme flow nesting without parsing it', () => {
    const started = Date.now();
    assert.deepEqual(codes(`name: lab\nsteps: ${'['.repeat(200_000)}${']'.repeat(200_000)}\n`), [
      'yaml-too-deep',
    ]);
    assert.deepEqual(codes(`name: lab\nsteps:\n${'- '.repeat(100_000)}x\n`), ['yaml-too-deep']);
    assert.ok(Date.now() - started < 5000);
  });

  it('reports nesting deeper than 64 levels', () => {
    const { diagnostics } = compile(`name: lab\nsteps: ${'['.repeat(70)}${']'.repeat(70)}\n`);
    assert.deepEqual(
      diagnostics.map((d) => d.code),
      ['yaml-too-deep'],
    );
  });

  it('stops an alias bomb', () => {
    const lines = ['name: lab', 'x:', '  a: &a [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]'];
    for (let i = 1; i < 10; i++)
      lines.push(
        `  l${i}: &l${i} [${Array(10)
          .fill(i === 1 ? '*a' : `*l${i - 1}`)
          .join(', ')}]`,
      );
    const started = Date.now();
    const list = codes(`${lines.join('\n')}\n`);
    assert.ok(list.includes('yaml-alias'), list.join());
    assert.ok(Date.now() - started < 2000);
  });

  it('reports an alias to an unknown anchor', () => {
    const { diagnostics } = compile('name: lab\nsteps: *nope\n');
    assert.ok(
      diagnostics.some((d) => d.code === 'yaml-alias' || d.code === 'yaml-syntax'),
      diagnostics.map((d) => d.message).join(),
    );
  });

  it('expands small aliases normally', () => {
    const text =
      'name: lab\nsteps:\n  - &pause {id: pause, type: wait-until, duration: 1s}\n  - id: again\n    type: wait-until\n    duration: 2s\n';
    const { runbook, diagnostics } = compile(text);
    assert.deepEqual(diagnostics, []);
    assert.equal(runbook!.steps.length, 2);
  });

  it('reports duplicate keys at the second one, naming the first', () => {
    const { diagnostics } = compile(
      'name: lab\nname: lab2\nsteps:\n  - id: pause\n    type: wait-until\n    duration: 1s\n',
    );
    assert.deepEqual(
      diagnostics.map((d) => [d.code, where(d)]),
      [['duplicate-key', '2:1']],
    );
    assert.match(diagnostics[0]!.message, /first defined at line 1, column 1/);
  });

  it('never pollutes prototypes through __proto__ or constructor keys', () => {
    const text =
      'name: lab\n__proto__: {polluted: yes}\nsteps:\n  - id: describe\n    type: aws\n    operation: DescribeDBClusters\n    params:\n      __proto__: {polluted: yes}\n      constructor: {prototype: {polluted: yes}}\n      Filters: [{__proto__: {polluted: yes}}]\n';
    const { diagnostics } = compile(text);
    assert.deepEqual(
      diagnostics.map((d) => [d.code, where(d)]),
      [
        ['unknown-key', '2:1'],
        ['unknown-key', '8:7'],
        ['unknown-key', '9:7'],
        // The filter has neither Name nor Values: the aws model's check says so.
        ['missing-aws-member', '10:17'],
        ['unknown-key', '10:18'],
      ],
    );
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.equal((Object.prototype as Record<string, unknown>).polluted, undefined);
  });

  it('reports a tab used for indentation', () => {
    const { diagnostics } = compile('name: lab\nsteps:\n\t- id: pause\n');
    assert.deepEqual(
      diagnostics.map((d) => [d.code, where(d), d.message]),
      [['yaml-syntax', '3:1', 'tabs cannot be used for indentation']],
    );
  });

  it('reports an unquoted template instead of a confusing mapping error', () => {
    const { diagnostics } = compile(
      'name: lab\nsteps:\n  - id: pause\n    type: wait-until\n    duration: {{inputs.x}}\n',
    );
    assert.equal(diagnostics[0]!.code, 'yaml-syntax');
    assert.equal(diagnostics[0]!.hint, 'write it as "{{inputs.x}}"');
  });

  it('never throws, whatever the bytes', () => {
    const samples = [
      '{',
      '}',
      ']',
      '"',
      "'",
      '&a *a',
      '!!binary x',
      '? [a]: b',
      ':',
      '- - -',
      'a: !!python/object x',
      '%YAML 9.9\n---\na: 1',
      '\u0000',
      'a: b: c',
    ];
    for (const sample of samples) {
      const result = compile(sample);
      assert.ok(Array.isArray(result.diagnostics));
      assert.equal(result.runbook, undefined, sample);
      for (const d of result.diagnostics) assert.ok(d.message.length > 0);
    }
  });

  it('never throws on mangled versions of a real runbook, and every span lies inside its file', function () {
    this.timeout(60_000);
    const seed = repoText('test/fixtures/valid/all-step-types.yaml');
    const lines = seed.split('\n');
    const edit = fc.oneof(
      fc.record({ kind: fc.constant('delete' as const), line: fc.nat(lines.length - 1) }),
      fc.record({ kind: fc.constant('duplicate' as const), line: fc.nat(lines.length - 1) }),
      fc.record({
        kind: fc.constant('replace' as const),
        line: fc.nat(lines.length - 1),
        at: fc.nat(40),
        text: fc.constantFrom(
          '',
          ' ',
          ':',
          '- ',
          '{{',
          '}}',
          '[',
          ']',
          '"',
          '#',
          'x',
          '1',
          'null',
          '{}',
          '[]',
          '&a',
          '*a',
          '\t',
        ),
      }),
    );
    fc.assert(
      fc.property(fc.array(edit, { minLength: 1, maxLength: 4 }), (edits) => {
        const mangled = [...lines];
        for (const e of edits) {
          const line = Math.min(e.line, mangled.length - 1);
          if (e.kind === 'delete') mangled.splice(line, 1);
          else if (e.kind === 'duplicate') mangled.splice(line, 0, mangled[line]!);
          else {
            const text = mangled[line]!;
            const at = Math.min(e.at, text.length);
            mangled[line] = text.slice(0, at) + e.text + text.slice(at + 1);
          }
        }
        const text = mangled.join('\n');
        const result = compileRunbook('lab.yaml', { readFile: memoryFiles({ 'lab.yaml': text }) });
        for (const d of result.diagnostics) {
          assert.ok(d.message.length > 0);
          if (d.span) {
            assert.ok(
              d.span.offset >= 0 && d.span.endOffset <= text.length,
              `${d.code} span outside the file`,
            );
            assert.ok(d.span.start.line >= 1 && d.span.start.line <= mangled.length + 1);
          }
        }
        assert.equal(
          result.runbook === undefined,
          result.diagnostics.some((d) => d.severity === 'error'),
        );
      }),
      { numRuns: Number(process.env.FUZZ_RUNS ?? 300) },
    );
  });
});
