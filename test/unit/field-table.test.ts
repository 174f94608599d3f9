// Field tables decode and re-encode with every value's wire type kept, byte for byte.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { DecodeError, Reader, Writer } from '../../src/amqp/codec.js';
import { tablesEqual, type Field, type FieldTable } from '../../src/amqp/field-table.js';

const key = fc.string({ maxLength: 20 }).filter((s) => Buffer.byteLength(s) <= 255);

const field: fc.Memo<Field> = fc.memo((depth) => {
  const leaves: fc.Arbitrary<Field>[] = [
    fc.boolean().map((value) => ({ type: 't', value }) as Field),
    fc.integer({ min: -128, max: 127 }).map((value) => ({ type: 'b', value }) as Field),
    fc.integer({ min: 0, max: 255 }).map((value) => ({ type: 'B', value }) as Field),
    fc.integer({ min: -32768, max: 32767 }).map((value) => ({ type: 's', value }) as Field),
    fc.integer({ min: 0, max: 65535 }).map((value) => ({ type: 'u', value }) as Field),
    fc.integer().map((value) => ({ type: 'I', value }) as Field),
    fc.integer({ min: 0, max: 0xffffffff }).map((value) => ({ type: 'i', value }) as Field),
    fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map((value) => ({ type: 'l', value }) as Field),
    fc.float({ noNaN: true }).map((value) => ({ type: 'f', value: Math.fround(value) }) as Field),
    fc.double({ noNaN: true }).map((value) => ({ type: 'd', value }) as Field),
    fc.record({ scale: fc.integer({ min: 0, max: 255 }), value: fc.integer() }).map((value) => ({ type: 'D', value }) as Field),
    fc.string().map((value) => ({ type: 'S', value }) as Field),
    fc.uint8Array({ maxLength: 32 }).map((a) => ({ type: 'x', value: Buffer.from(a) }) as Field),
    fc.integer({ min: 0, max: 2 ** 40 }).map((value) => ({ type: 'T', value }) as Field),
    fc.constant({ type: 'V', value: null } as Field),
  ];
  if (depth <= 1) return fc.oneof(...leaves);
  return fc.oneof(
    ...leaves,
    fc.array(field(depth - 1), { maxLength: 4 }).map((value) => ({ type: 'A', value }) as Field),
    table(depth - 1).map((value) => ({ type: 'F', value }) as Field),
  );
});

function table(depth: number): fc.Arbitrary<FieldTable> {
  return fc.uniqueArray(fc.tuple(key, field(depth)), { selector: ([k]) => k, maxLength: 6 }).map((entries) => new Map(entries));
}

function encode(t: FieldTable): Buffer {
  const w = new Writer(16); // tiny slab: forces the moves between slabs that nested lengths must survive
  w.table(t);
  return Buffer.from(w.take());
}

test('every field type round-trips with its type and value kept', () => {
  fc.assert(
    fc.property(table(3), (t) => {
      const bytes = encode(t);
      const decoded = new Reader().reset(bytes, 0, bytes.length).table();
      assert.ok(tablesEqual(decoded, t));
    }),
    { numRuns: 500 },
  );
});

test('re-encoding a decoded table gives back the same bytes', () => {
  fc.assert(
    fc.property(table(3), (t) => {
      const bytes = encode(t);
      const again = encode(new Reader().reset(bytes, 0, bytes.length).table());
      assert.ok(again.equals(bytes));
    }),
    { numRuns: 500 },
  );
});

test('a long string that is not UTF-8 survives as bytes', () => {
  const raw = Buffer.from([0xff, 0xfe, 0x00, 0x80]);
  const t: FieldTable = new Map([['k', { type: 'S', value: raw }]]);
  const bytes = encode(t);
  const back = new Reader().reset(bytes, 0, bytes.length).table();
  assert.ok(encode(back).equals(bytes));
});

test('truncated or garbled tables fail with DecodeError, never anything else', () => {
  fc.assert(
    fc.property(table(2), fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 8 }), (t, cut, noise) => {
      const bytes = encode(t);
      const damaged = Buffer.concat([bytes.subarray(0, cut % (bytes.length + 1)), Buffer.from(noise)]);
      try {
        new Reader().reset(damaged, 0, damaged.length).table();
      } catch (err) {
        assert.ok(err instanceof DecodeError, `unexpected ${String(err)}`);
      }
    }),
    { numRuns: 1000 },
  );
});
