// Frames are recovered whole however the byte stream is cut into reads, and bad framing is a FrameError.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { FrameError, FrameReader, type FrameSink } from '../../src/amqp/frame-reader.js';

interface Frame {
  type: number;
  channel: number;
  payload: Buffer;
}

function frameBytes(f: Frame): Buffer {
  const b = Buffer.alloc(8 + f.payload.length);
  b[0] = f.type;
  b.writeUInt16BE(f.channel, 1);
  b.writeUInt32BE(f.payload.length, 3);
  f.payload.copy(b, 7);
  b[b.length - 1] = 0xce;
  return b;
}

function collector(): { sink: FrameSink; frames: Frame[] } {
  const frames: Frame[] = [];
  return {
    frames,
    sink: {
      onFrame(type, channel, buf, start, end) {
        frames.push({ type, channel, payload: Buffer.from(buf.subarray(start, end)) });
      },
    },
  };
}

const frameArb = fc.record({
  type: fc.constantFrom(1, 2, 3, 8),
  channel: fc.integer({ min: 0, max: 65535 }),
  payload: fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
});

test('frames split and coalesced arbitrarily across reads come out whole and in order', () => {
  fc.assert(
    fc.property(fc.array(frameArb, { maxLength: 20 }), fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1 }), (frames, cuts) => {
      const stream = Buffer.concat(frames.map(frameBytes));
      const { sink, frames: got } = collector();
      const reader = new FrameReader(sink, 4096);
      let off = 0;
      for (let i = 0; off < stream.length; i++) {
        const n = cuts[i % cuts.length];
        reader.push(stream.subarray(off, off + n));
        off += n;
      }
      assert.deepEqual(got, frames.map((f) => ({ type: f.type, channel: f.channel, payload: f.payload })));
    }),
    { numRuns: 300 },
  );
});

test('one byte at a time still yields the frames', () => {
  const frames: Frame[] = [
    { type: 1, channel: 1, payload: Buffer.from('method') },
    { type: 3, channel: 1, payload: Buffer.alloc(1000, 7) },
  ];
  const stream = Buffer.concat(frames.map(frameBytes));
  const { sink, frames: got } = collector();
  const reader = new FrameReader(sink, 131072);
  for (let i = 0; i < stream.length; i++) reader.push(stream.subarray(i, i + 1));
  assert.deepEqual(got, frames);
});

test('a frame larger than frame_max is a FrameError before its payload is read', () => {
  const { sink } = collector();
  const reader = new FrameReader(sink, 4096);
  const header = Buffer.from([1, 0, 1, 0, 0, 0x20, 0]); // payload size 8192
  assert.throws(() => reader.push(header), FrameError);
});

test('a frame without the 0xCE end octet is a FrameError', () => {
  const { sink } = collector();
  const reader = new FrameReader(sink, 4096);
  const bad = frameBytes({ type: 1, channel: 0, payload: Buffer.from('xy') });
  bad[bad.length - 1] = 0;
  assert.throws(() => reader.push(bad), FrameError);
});

test('random bytes never escape as anything but FrameError', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 2000 }), (bytes) => {
      const { sink } = collector();
      const reader = new FrameReader(sink, 4096);
      try {
        reader.push(Buffer.from(bytes));
      } catch (err) {
        assert.ok(err instanceof FrameError);
      }
    }),
    { numRuns: 500 },
  );
});
