// The connection writer reuses its slabs once the socket has written them. A region handed out by
// take() must keep its bytes until it is released, however much is written meanwhile.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Writer } from '../../src/amqp/codec.js';

test('regions taken from a recycling writer keep their bytes until released, through many slabs', () => {
  fc.assert(
    fc.property(
      fc.array(fc.record({ size: fc.integer({ min: 1, max: 70_000 }), releaseNow: fc.boolean(), releaseOld: fc.nat(5) }), { minLength: 1, maxLength: 120 }),
      (steps) => {
        const w = new Writer(undefined, true);
        const held: { region: Buffer; copy: Buffer }[] = [];
        let fill = 0;
        for (const step of steps) {
          const bytes = Buffer.alloc(step.size, fill++ & 0xff);
          w.bytes(bytes);
          const region = w.take();
          assert.ok(region.equals(bytes));
          if (step.releaseNow) w.release(region);
          else held.push({ region, copy: Buffer.from(region) });
          // release some older regions, as socket writes complete out of step with new frames
          for (let i = 0; i < step.releaseOld && held.length > 0; i++) w.release(held.shift()!.region);
          for (const h of held) assert.ok(h.region.equals(h.copy), 'a held region was overwritten');
        }
      },
    ),
    { numRuns: 60 },
  );
});

test('a busy writer stops allocating: released full-size slabs come back', () => {
  const w = new Writer(undefined, true);
  const body = Buffer.alloc(1024, 1);
  const seen = new Set<ArrayBufferLike>();
  for (let i = 0; i < 5000; i++) {
    w.bytes(body);
    const region = w.take();
    seen.add(region.buffer);
    w.release(region);
  }
  // slabs grow to 256 KiB and are then reused: a handful of distinct buffers, not thousands
  assert.ok(seen.size < 12, `${seen.size} slabs for 5 MB written`);
});

test('a recycling writer never writes over other Buffers that share Node\'s pool with its small slabs', () => {
  const w = new Writer(undefined, true);
  const neighbours: { buf: Buffer; fill: number }[] = [];
  for (let i = 0; i < 2000; i++) {
    const fill = i & 0xff;
    neighbours.push({ buf: Buffer.allocUnsafe(48).fill(fill), fill }); // slices of the shared pool
    w.bytes(Buffer.alloc(200 + (i % 700), 0xee));
    w.release(w.take());
  }
  for (const n of neighbours) assert.ok(n.buf.every((b) => b === n.fill), 'a pooled Buffer was overwritten');
});
