import assert from 'node:assert/strict';
import fc from 'fast-check';
import { UsageError } from '../../src/core/errors.js';
import { Masker, secretForms } from '../../src/engine/mask.js';

/** Secrets with the characters that JSON, URLs and shells escape. */
const AWKWARD = [
  'My"Secret9',
  'back\\slash',
  'tab\there',
  "it's-mine",
  '$HOME-pw',
  'with some spaces',
  'a"b\\c\td\'e$f g',
];

describe('Masker', () => {
  it('hides every occurrence of each secret deep inside values, leaving keys alone', () => {
    const masker = new Masker(['Password1', 'AKIASECRET']);
    const masked = masker.deep({
      argv: ['--mysql-password=Password1', 'x'],
      nested: { message: 'Access denied for Password1 and AKIASECRET' },
      Password1: 'key too',
    });
    assert.deepEqual(masked, {
      argv: ['--mysql-password=****', 'x'],
      nested: { message: 'Access denied for **** and ****' },
      Password1: 'key too',
    });
  });

  it('masks the longer secret first when one contains another', () => {
    const masker = new Masker(['abcd', 'abcdefgh']);
    assert.equal(masker.text('xx abcdefgh yy abcd'), 'xx **** yy ****');
  });

  it('masks numbers equal to a secret and ignores empty secrets', () => {
    const masker = new Masker(['', 12345, undefined]);
    assert.equal(masker.size, 1);
    assert.deepEqual(masker.deep({ pin: 12345, other: 1 }), { pin: '****', other: 1 });
  });

  it('never leaves a secret in any string (property)', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 4 }), fc.array(fc.string()), (secret, parts) => {
        const masker = new Masker([secret]);
        const text = parts.join(secret);
        // Masking may create a new occurrence only when the mask itself forms one.
        const out = masker.text(text);
        return !out.includes(secret) || '****'.includes(secret) || secret.includes('*');
      }),
    );
  });

  it('hides JSON-escaped, URL-encoded and shell-quoted forms of a secret', () => {
    for (const secret of AWKWARD) {
      const masker = new Masker([secret]);
      const shown: Record<string, string> = {
        'the json helper': JSON.stringify({ token: secret }),
        'JSON inside JSON': JSON.stringify(JSON.stringify({ token: secret })),
        'an assertion message': `expected ${JSON.stringify(secret)} to equal "x"`,
        'a URL query': `https://example.test/?Password=${encodeURIComponent(secret)}&x=1`,
        'a form body': new URLSearchParams({ Action: 'X', MasterUserPassword: secret }).toString(),
        'single quotes': `mysql -p'${secret.replaceAll("'", `'\\''`)}' -e 'select 1'`,
        'double quotes': `export DBPASS="${secret.replace(/[\\"$`]/g, '\\$&')}"`,
        backslashes: `sysbench --mysql-password=${secret.replace(/[^\w@%+=:,./-]/g, '\\$&')} run`,
      };
      for (const [where, text] of Object.entries(shown)) {
        const out = masker.text(text);
        assert.ok(out.includes('****'), `${JSON.stringify(secret)} in ${where}: ${out}`);
        for (const form of secretForms(secret))
          assert.ok(!out.includes(form), `${JSON.stringify(secret)} in ${where} left ${form}: ${out}`);
      }
    }
    const masker = new Masker(AWKWARD);
    const record = masker.deep({ error: { message: `actual ${JSON.stringify(AWKWARD)}` } });
    assert.equal(record.error.message, `actual ["****","****","****","****","****","****","****"]`);
  });

  it('never leaves any form of a secret in a string (property)', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 4, unit: 'binary' }).filter((s) => !s.includes('*')),
        fc.string(),
        fc.string(),
        (secret, before, after) => {
          const masker = new Masker([secret]);
          return secretForms(secret).every((form) => {
            const out = masker.text(`${before}${form}${after}`);
            return out.includes('****') && !out.includes(form);
          });
        },
      ),
    );
  });

  it('refuses a secret shorter than 4 characters instead of masking it letter by letter', () => {
    for (const short of ['x', 'ab', 'abc', 123, '💥💥💥']) {
      assert.throws(
        () => new Masker().add(short, 'secret input dbPassword'),
        (error: unknown) =>
          error instanceof UsageError &&
          /^secret input dbPassword is too short to mask: \d characters?, at least 4 needed$/.test(
            error.message,
          ),
        String(short),
      );
    }
    const masker = new Masker(['abcd', 1234]);
    assert.equal(masker.size, 2);
    assert.equal(masker.text('a b c d abcd 1234'), 'a b c d **** ****');
  });
});
