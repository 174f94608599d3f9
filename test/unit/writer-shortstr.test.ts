// Writer.shortstr copies short ASCII names itself and hands the rest to the UTF-8 encoder: both paths
// must write the same bytes, a length byte then the UTF-8 of the string, and refuse more than 255 bytes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Writer } from '../../src/amqp/codec.js';

function written(s: string): Buffer {
  const w = new Writer();
  w.shortstr(s);
  return Buffer.from(w.take());
}

test('shortstr writes a length byte and the UTF-8 bytes, for ASCII and non-ASCII strings of any length up to 255 bytes', () => {
  const upTo255 = (s: string) => Buffer.byteLength(s) <= 255;
  fc.assert(
    fc.property(fc.oneof(fc.string({ maxLength: 100 }), fc.string({ unit: 'grapheme', maxLength: 80 }), fc.string({ unit: 'binary', maxLength: 80 })).filter(upTo255), (s) => {
      const utf8 = Buffer.from(s, 'utf8');
      assert.deepEqual(written(s), Buffer.concat([Buffer.from([utf8.length]), utf8]));
    }),
    { numRuns: 2000 },
  );
  // the edges of the ASCII path: its longest string, one over, a non-ASCII character last
  for (const s of ['', 'a'.repeat(64), 'b'.repeat(65), `${'c'.repeat(63)}é`, 'amq.gen-Xy_1', 'x'.repeat(255)]) {
    const utf8 = Buffer.from(s, 'utf8');
    assert.deepEqual(written(s), Buffer.concat([Buffer.from([utf8.length]), utf8]), JSON.stringify(s));
  }
});

test('shortstr refuses a string over 255 bytes', () => {
  assert.throws(() => written('x'.repeat(256)), RangeError);
  assert.throws(() => written('é'.repeat(128)), RangeError);
});
