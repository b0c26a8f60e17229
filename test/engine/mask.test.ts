import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Masker } from '../../src/engine/mask.js';

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
    const masker = new Masker(['abc', 'abcdef']);
    assert.equal(masker.text('xx abcdef yy abc'), 'xx **** yy ****');
  });

  it('masks numbers equal to a secret and ignores empty secrets', () => {
    const masker = new Masker(['', 12345, undefined]);
    assert.equal(masker.size, 1);
    assert.deepEqual(masker.deep({ pin: 12345, other: 1 }), { pin: '****', other: 1 });
  });

  it('never leaves a secret in any string (property)', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.array(fc.string()), (secret, parts) => {
        const masker = new Masker([secret]);
        const text = parts.join(secret);
        // Masking may create a new occurrence only when the mask itself forms one.
        const out = masker.text(text);
        return !out.includes(secret) || '****'.includes(secret) || secret.includes('*');
      }),
    );
  });
});
