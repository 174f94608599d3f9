// The segment log keeps every record it acknowledged, in order, across close/reopen, segment rolls,
// deletions, torn and corrupt tails; group commit shares one fdatasync among many waiters.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import fc from 'fast-check';
import { crc32c } from '../../src/store/crc32.js';
import { SegmentLog, type RecordRef, type SegmentLogOptions } from '../../src/store/segment-log.js';

const FILE_HEADER = 16;
const REC_HEADER = 9;

function tmpDir(t: TestContext): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'warren-seglog-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

interface Rec {
  type: number;
  payload: Buffer;
  segment: number;
  offset: number;
}

function scanAll(log: SegmentLog): Rec[] {
  const out: Rec[] = [];
  // Payloads are views into the scan buffer: copy them.
  log.scan((type, payload, segment, offset) => out.push({ type, payload: Buffer.from(payload), segment, offset }));
  return out;
}

function reopen(opts: SegmentLogOptions): { log: SegmentLog; recs: Rec[]; reports: string[] } {
  const reports: string[] = [];
  const log = SegmentLog.open({ ...opts, onCorruption: (m) => reports.push(m) });
  return { log, recs: scanAll(log), reports };
}

const durable = (log: SegmentLog): Promise<void> => new Promise((resolve) => log.whenDurable(resolve));

/** Deterministic, index-dependent bytes. */
function payloadFor(i: number, size: number): Buffer {
  const b = Buffer.allocUnsafe(size);
  let x = (i * 2654435761) >>> 0 || 1;
  for (let k = 0; k < size; k++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[k] = x & 0xff;
  }
  return b;
}

function segFiles(dir: string): string[] {
  return fs
    .readdirSync(dir)
    .filter((n) => n.endsWith('.seg'))
    .sort();
}

function lastSegFile(dir: string): string {
  const files = segFiles(dir);
  return path.join(dir, files[files.length - 1]);
}

function diskBytes(dir: string): number {
  return segFiles(dir).reduce((n, f) => n + fs.statSync(path.join(dir, f)).size, 0);
}

test('crc32c matches the standard check value and chains', () => {
  assert.equal(crc32c(Buffer.from('123456789')), 0xe3069283);
  const b = payloadFor(7, 1000);
  for (const cut of [0, 1, 7, 8, 9, 500, 999, 1000]) assert.equal(crc32c(b, cut, b.length, crc32c(b, 0, cut)), crc32c(b));
  // A real record header is never all zero: the CRC of a zero length and any type is non-zero.
  for (let type = 0; type < 256; type++) assert.notEqual(crc32c(Buffer.from([0, 0, 0, 0, type])), 0);
});

test('append reads back at once, after the write, and after reopen; types and offsets are kept', async (t) => {
  const dir = tmpDir(t);
  const log = SegmentLog.open({ dir });
  assert.deepEqual(log.segments(), [1]);
  assert.equal(log.currentSegment, 1);
  const refs: RecordRef[] = [];
  const payloads: Buffer[] = [];
  for (let i = 0; i < 50; i++) {
    const p = payloadFor(i, i * 37);
    payloads.push(p);
    // Alternate single buffers and arrays of views.
    refs.push(i % 2 ? log.append(i, p) : log.append(i, [p.subarray(0, 5), p.subarray(5, 5), p.subarray(5)]));
  }
  assert.deepEqual(refs[0], { segment: 1, offset: FILE_HEADER + REC_HEADER, length: 0 });
  // Not yet written: served from the write buffer.
  for (let i = 0; i < 50; i++) assert.deepEqual(log.read(refs[i]), payloads[i]);
  assert.equal(fs.statSync(path.join(dir, '00000001.seg')).size, 0);
  await durable(log);
  for (let i = 0; i < 50; i++) assert.deepEqual(log.read(refs[i]), payloads[i]);
  // The caller's buffer can be reused right after append.
  const scratch = Buffer.from('original');
  const r = log.append(200, scratch);
  scratch.fill(0);
  assert.deepEqual(log.read(r), Buffer.from('original'));
  await log.close();
  assert.throws(() => log.append(1, Buffer.alloc(1)), /closed/);

  const { log: again, recs, reports } = reopen({ dir });
  assert.deepEqual(reports, []);
  assert.equal(recs.length, 51);
  for (let i = 0; i < 50; i++) {
    assert.equal(recs[i].type, i);
    assert.deepEqual(recs[i].payload, payloads[i]);
    assert.equal(recs[i].offset, refs[i].offset);
    assert.equal(recs[i].segment, refs[i].segment);
    assert.deepEqual(again.read(refs[i]), payloads[i]);
  }
  assert.equal(recs[50].type, 200);
  assert.equal(again.bytesOnDisk, diskBytes(dir));
  await again.close();
});

test('records roll over many small segments; each segment stays within its size', async (t) => {
  const dir = tmpDir(t);
  const segmentSize = 300;
  const log = SegmentLog.open({ dir, segmentSize });
  const refs: RecordRef[] = [];
  for (let i = 0; i < 200; i++) refs.push(log.append(i & 0xff, payloadFor(i, (i * 13) % 120)));
  assert.ok(log.segments().length > 20);
  assert.equal(log.currentSegment, log.segments()[log.segments().length - 1]);
  await log.close();
  for (const f of segFiles(dir)) assert.ok(fs.statSync(path.join(dir, f)).size <= segmentSize, f);
  const { log: again, recs } = reopen({ dir, segmentSize });
  assert.equal(recs.length, 200);
  recs.forEach((r, i) => {
    assert.equal(r.type, i & 0xff);
    assert.deepEqual(r.payload, payloadFor(i, (i * 13) % 120));
    assert.deepEqual({ segment: r.segment, offset: r.offset }, { segment: refs[i].segment, offset: refs[i].offset });
  });
  assert.equal(again.bytesOnDisk, diskBytes(dir));
  await again.close();
});

test('a record larger than a segment gets a segment of its own (and larger than the write and scan buffers)', async (t) => {
  const dir = tmpDir(t);
  const log = SegmentLog.open({ dir, segmentSize: 1000 });
  const a = log.append(1, payloadFor(1, 100));
  const big = payloadFor(2, 3 * 1024 * 1024 + 5);
  const b = log.append(2, big);
  const c = log.append(3, payloadFor(3, 100));
  assert.deepEqual([a.segment, b.segment, c.segment], [1, 2, 3]);
  assert.deepEqual(log.read(b), big);
  await durable(log);
  assert.deepEqual(log.read(b), big);
  assert.deepEqual(log.readMany([b])[0], big);
  await log.close();
  const { log: again, recs } = reopen({ dir, segmentSize: 1000 });
  assert.deepEqual(
    recs.map((r) => [r.type, r.segment, r.payload.length]),
    [
      [1, 1, 100],
      [2, 2, big.length],
      [3, 3, 100],
    ],
  );
  assert.deepEqual(recs[1].payload, big);
  await again.close();
});

test('deleteSegment removes files; numbering continues after reopen; the current segment is protected', async (t) => {
  const dir = tmpDir(t);
  const log = SegmentLog.open({ dir, segmentSize: 200 });
  for (let i = 0; i < 20; i++) log.append(1, payloadFor(i, 100));
  const segs = log.segments();
  assert.equal(segs.length, 20);
  assert.throws(() => log.deleteSegment(log.currentSegment), /current segment/);
  // Delete while the records are possibly still being written: harmless.
  for (const s of segs.slice(0, -1)) log.deleteSegment(s);
  log.deleteSegment(999); // unknown: ignored
  assert.deepEqual(log.segments(), [20]);
  assert.equal(log.bytesOnDisk, FILE_HEADER + REC_HEADER + 100);
  await log.close();
  assert.deepEqual(segFiles(dir), ['00000020.seg']);
  assert.equal(diskBytes(dir), FILE_HEADER + REC_HEADER + 100);

  const { log: again, recs } = reopen({ dir, segmentSize: 200 });
  assert.equal(recs.length, 1);
  assert.deepEqual(recs[0].payload, payloadFor(19, 100));
  assert.equal(again.currentSegment, 20);
  const r = again.append(1, payloadFor(99, 100));
  assert.equal(r.segment, 21);
  again.deleteSegment(20);
  await again.close();
  const { log: third, recs: recs3 } = reopen({ dir, segmentSize: 200 });
  assert.deepEqual(third.segments(), [21]);
  assert.deepEqual(recs3.map((x) => x.payload), [payloadFor(99, 100)]);
  assert.equal(third.append(1, payloadFor(1, 150)).segment, 22);
  await third.close();
});

test('whenDurable callbacks fire in call order, each once its records are in the file', async (t) => {
  const dir = tmpDir(t);
  const log = SegmentLog.open({ dir, segmentSize: 4096 });
  const fired: number[] = [];
  const checks: Promise<void>[] = [];
  let n = 0;
  // Waiters spread over several event-loop turns and segment rolls; one waiter with nothing pending.
  for (let turn = 0; turn < 5; turn++) {
    for (let k = 0; k < 20; k++) {
      const i = n++;
      const ref = log.append(i & 0xff, payloadFor(i, 200));
      checks.push(
        new Promise<void>((resolve) =>
          log.whenDurable(() => {
            fired.push(i);
            // A separate read of the file sees the record and its header.
            const file = path.join(dir, `${String(ref.segment).padStart(8, '0')}.seg`);
            const bytes = fs.readFileSync(file);
            assert.ok(bytes.length >= ref.offset + ref.length);
            assert.equal(bytes.readUInt32LE(ref.offset - REC_HEADER), 200);
            assert.deepEqual(bytes.subarray(ref.offset, ref.offset + ref.length), payloadFor(i, 200));
            resolve();
          }),
        ),
      );
    }
    await new Promise((r) => setImmediate(r));
  }
  await Promise.all(checks);
  assert.deepEqual(
    fired,
    Array.from({ length: n }, (_, i) => i),
  );
  const order: string[] = [];
  log.whenDurable(() => order.push('a'));
  log.whenDurable(() => order.push('b'));
  assert.deepEqual(order, []); // never called synchronously
  await durable(log);
  assert.deepEqual(order, ['a', 'b']);
  await log.close();
});

test('group commit: 1000 waiters need far fewer syncs, and never two fdatasyncs at once', async (t) => {
  const dir = tmpDir(t);
  const real = fs.fdatasync;
  let inFlight = 0;
  let maxInFlight = 0;
  let calls = 0;
  (fs as { fdatasync: typeof fs.fdatasync }).fdatasync = ((fd: number, cb: (err: NodeJS.ErrnoException | null) => void) => {
    calls++;
    maxInFlight = Math.max(maxInFlight, ++inFlight);
    real(fd, (err) => {
      inFlight--;
      cb(err);
    });
  }) as typeof fs.fdatasync;
  t.after(() => {
    (fs as { fdatasync: typeof fs.fdatasync }).fdatasync = real;
  });

  const log = SegmentLog.open({ dir, segmentSize: 64 * 1024 });
  // 1000 appends with a waiter each, all in one turn.
  let done = 0;
  for (let i = 0; i < 1000; i++) {
    log.append(1, payloadFor(i, 1024));
    log.whenDurable(() => done++);
  }
  await durable(log);
  assert.equal(done, 1000);
  const oneTurn = log.syncCount;
  // Segments rolled ~16 times: each written segment is synced, plus the directory; still far below 1000.
  assert.ok(oneTurn < 60, `syncs for one turn: ${oneTurn}`);
  // 1000 appends spread over 200 turns, each with a waiter.
  const before = log.syncCount;
  const all: Promise<void>[] = [];
  for (let turn = 0; turn < 200; turn++) {
    for (let k = 0; k < 5; k++) {
      log.append(2, payloadFor(k, 1024));
      all.push(durable(log));
    }
    await new Promise((r) => setImmediate(r));
  }
  await Promise.all(all);
  const spread = log.syncCount - before;
  assert.ok(spread < 500, `syncs for 1000 waiters over 200 turns: ${spread}`);
  await log.close();
  assert.equal(maxInFlight, 1);
  assert.ok(calls > 0 && calls <= log.syncCount);
  t.diagnostic(`one turn: ${oneTurn} syncs; 200 turns: ${spread} syncs`);
});

test('a torn tail is reported and cut off; appends continue after the last good record and survive reopen', async (t) => {
  const dir = tmpDir(t);
  const log = SegmentLog.open({ dir, segmentSize: 1 << 20 });
  for (let i = 0; i < 10; i++) log.append(i, payloadFor(i, 100));
  await log.close();
  const file = lastSegFile(dir);
  const size = fs.statSync(file).size;
  fs.truncateSync(file, size - 50); // the last record loses half its payload

  const { log: again, recs, reports } = reopen({ dir, segmentSize: 1 << 20 });
  assert.equal(recs.length, 9);
  assert.equal(reports.length, 1);
  assert.match(reports[0], /claims 100 payload bytes/);
  assert.equal(fs.statSync(file).size, size - REC_HEADER - 100);
  const r = again.append(42, payloadFor(42, 77));
  assert.equal(r.segment, 1);
  assert.equal(r.offset, size - 100);
  await again.close();

  const third = reopen({ dir });
  assert.deepEqual(third.reports, []);
  assert.deepEqual(
    third.recs.map((x) => x.type),
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 42],
  );
  assert.deepEqual(third.recs[9].payload, payloadFor(42, 77));
  await third.log.close();
});

test('a bit flipped in the last record is caught by its checksum', async (t) => {
  const dir = tmpDir(t);
  const log = SegmentLog.open({ dir });
  const refs: RecordRef[] = [];
  for (let i = 0; i < 10; i++) refs.push(log.append(i, payloadFor(i, 100)));
  await log.close();
  const file = lastSegFile(dir);
  const bytes = fs.readFileSync(file);
  bytes[refs[9].offset + 33] ^= 0x10;
  fs.writeFileSync(file, bytes);

  const { log: again, recs, reports } = reopen({ dir });
  assert.equal(recs.length, 9);
  assert.equal(reports.length, 1);
  assert.match(reports[0], /checksum mismatch/);
  assert.throws(() => again.read(refs[9]), /outside the segment/);
  const r = again.append(50, payloadFor(50, 10));
  assert.equal(r.offset, refs[9].offset);
  await again.close();
  const third = reopen({ dir });
  assert.deepEqual(third.reports, []);
  assert.equal(third.recs.length, 10);
  assert.deepEqual(third.recs[9].payload, payloadFor(50, 10));
  await third.log.close();
});

test('corruption inside an earlier segment truncates that segment only; later segments are kept', async (t) => {
  const dir = tmpDir(t);
  const log = SegmentLog.open({ dir, segmentSize: 500 });
  const refs: RecordRef[] = [];
  for (let i = 0; i < 12; i++) refs.push(log.append(i, payloadFor(i, 100)));
  await log.close();
  // Segment 1 holds records 0..3; damage record 1's length.
  assert.equal(refs[3].segment, 1);
  const file = path.join(dir, '00000001.seg');
  const bytes = fs.readFileSync(file);
  bytes.writeUInt32LE(101, refs[1].offset - REC_HEADER);
  fs.writeFileSync(file, bytes);
  const { log: again, recs, reports } = reopen({ dir, segmentSize: 500 });
  assert.equal(reports.length, 1);
  assert.deepEqual(
    recs.map((r) => r.type),
    [0, 4, 5, 6, 7, 8, 9, 10, 11],
  );
  assert.equal(fs.statSync(file).size, refs[1].offset - REC_HEADER);
  await again.close();
});

test('a zero-filled tail ends the scan quietly; zeros followed by garbage are reported', async (t) => {
  const dir = tmpDir(t);
  const log = SegmentLog.open({ dir });
  for (let i = 0; i < 5; i++) log.append(i, payloadFor(i, 100));
  await log.close();
  const file = lastSegFile(dir);
  const size = fs.statSync(file).size;
  fs.appendFileSync(file, Buffer.alloc(8192));
  const { log: again, recs, reports } = reopen({ dir });
  assert.deepEqual(reports, []);
  assert.equal(recs.length, 5);
  assert.equal(fs.statSync(file).size, size);
  again.append(9, payloadFor(9, 3));
  await again.close();
  // A partially zero header at the very end (shorter than a record header) is quiet too.
  fs.appendFileSync(file, Buffer.alloc(5));
  const z = reopen({ dir });
  assert.deepEqual(z.reports, []);
  assert.equal(z.recs.length, 6);
  await z.log.close();
  // Zeros, then something that is not zero: reported (and cut at the zeros).
  fs.appendFileSync(file, Buffer.concat([Buffer.alloc(100), Buffer.from([1, 2, 3])]));
  const g = reopen({ dir });
  assert.equal(g.reports.length, 1);
  assert.match(g.reports[0], /non-zero/);
  assert.equal(g.recs.length, 6);
  await g.log.close();
});

test('segment headers: a foreign file is refused, a torn header on the last segment is repaired quietly', async (t) => {
  const dir = tmpDir(t);
  const log = SegmentLog.open({ dir, segmentSize: 200 });
  for (let i = 0; i < 3; i++) log.append(i, payloadFor(i, 150));
  await log.close();
  assert.deepEqual(segFiles(dir), ['00000001.seg', '00000002.seg', '00000003.seg']);
  // The process died between creating segment 4 and writing its header.
  fs.writeFileSync(path.join(dir, '00000004.seg'), Buffer.from('WARR'));
  const { log: again, recs, reports } = reopen({ dir, segmentSize: 200 });
  assert.deepEqual(reports, []);
  assert.equal(recs.length, 3);
  assert.equal(again.currentSegment, 4);
  assert.equal(again.append(7, payloadFor(7, 10)).segment, 4);
  await again.close();
  assert.equal(reopen({ dir }).recs.length, 4);

  // Segments created in the turn before a crash, never written: empty, quietly made valid, numbering kept.
  fs.writeFileSync(path.join(dir, '00000005.seg'), '');
  fs.writeFileSync(path.join(dir, '00000006.seg'), Buffer.alloc(9));
  const empties = reopen({ dir });
  assert.deepEqual(empties.reports, []);
  assert.deepEqual(empties.log.segments(), [1, 2, 3, 4, 5, 6]);
  assert.equal(empties.recs.length, 4);
  await empties.log.close();
  assert.equal(fs.statSync(path.join(dir, '00000005.seg')).size, FILE_HEADER);
  // A zeroed header in front of data: reported, reset.
  fs.writeFileSync(path.join(dir, '00000005.seg'), Buffer.concat([Buffer.alloc(16), payloadFor(1, 40)]));
  const zeroed = reopen({ dir });
  assert.equal(zeroed.reports.length, 1);
  assert.match(zeroed.reports[0], /00000005\.seg: torn segment header/);
  assert.equal(zeroed.recs.length, 4);
  await zeroed.log.close();

  fs.writeFileSync(path.join(dir, '00000009.seg'), 'not a segment at all');
  assert.throws(() => SegmentLog.open({ dir }), /not a Warren segment file/);
  const v2 = Buffer.alloc(16);
  v2.write('WARRENLG', 0, 'latin1');
  v2.writeUInt32LE(2, 8);
  fs.writeFileSync(path.join(dir, '00000009.seg'), v2);
  assert.throws(() => SegmentLog.open({ dir }), /unsupported segment version 2/);
  fs.unlinkSync(path.join(dir, '00000009.seg'));
  fs.writeFileSync(path.join(dir, 'notes.txt'), 'ignored');
  const ok = reopen({ dir });
  assert.equal(ok.recs.length, 4);
  await ok.log.close();
});

test('appending before scan starts a new segment (the old tail is unverified); scan after append is refused', async (t) => {
  const dir = tmpDir(t);
  const log = SegmentLog.open({ dir });
  log.append(1, Buffer.from('a'));
  await log.close();
  fs.appendFileSync(lastSegFile(dir), Buffer.from([9, 9, 9])); // a torn tail nobody scanned yet
  const reports: string[] = [];
  const again = SegmentLog.open({ dir, onCorruption: (m) => reports.push(m) });
  const r = again.append(2, Buffer.from('b'));
  assert.equal(r.segment, 2);
  assert.throws(() => again.scan(() => {}), /before the first append/);
  await again.close();
  const third = reopen({ dir });
  assert.equal(third.reports.length, 1);
  assert.deepEqual(
    third.recs.map((x) => [x.segment, x.payload.toString()]),
    [
      [1, 'a'],
      [2, 'b'],
    ],
  );
  await third.log.close();
});

test('sync: false never calls fdatasync, and whenDurable still fires in order once written', async (t) => {
  const dir = tmpDir(t);
  const log = SegmentLog.open({ dir, sync: false, segmentSize: 4096 });
  const fired: number[] = [];
  for (let i = 0; i < 100; i++) {
    log.append(i, payloadFor(i, 100));
    log.whenDurable(() => fired.push(i));
  }
  await durable(log);
  assert.deepEqual(
    fired,
    Array.from({ length: 100 }, (_, i) => i),
  );
  assert.equal(fs.readFileSync(path.join(dir, '00000001.seg')).readUInt32LE(FILE_HEADER), 100);
  await log.close();
  assert.equal(log.syncCount, 0);
  const { log: again, recs } = reopen({ dir, sync: false });
  assert.equal(recs.length, 100);
  await again.close();
});

test('readMany returns what read returns, across gaps, for written and still-buffered records', async (t) => {
  const dir = tmpDir(t);
  const log = SegmentLog.open({ dir, segmentSize: 1 << 20 });
  const refs: RecordRef[] = [];
  for (let i = 0; i < 300; i++) refs.push(log.append(i & 0xff, payloadFor(i, i % 5 === 0 ? 70_000 : i % 300)));
  await durable(log);
  for (let i = 300; i < 320; i++) refs.push(log.append(1, payloadFor(i, 50))); // still in memory
  const seg1 = refs.filter((r) => r.segment === refs[0].segment);
  const every3 = seg1.filter((_, i) => i % 3 === 0);
  for (const pick of [seg1, every3, seg1.slice(-25), [seg1[4]]]) {
    const many = log.readMany(pick);
    assert.equal(many.length, pick.length);
    pick.forEach((r, k) => assert.deepEqual(many[k], log.read(r)));
  }
  assert.deepEqual(log.readMany([]), []);
  assert.throws(() => log.readMany([seg1[2], seg1[1]]), /sorted/);
  await log.close();
});

test('read detects a damaged record instead of returning wrong bytes', async (t) => {
  const dir = tmpDir(t);
  const log = SegmentLog.open({ dir });
  const a = log.append(1, payloadFor(1, 100));
  const b = log.append(1, payloadFor(2, 100));
  await durable(log);
  const fd = fs.openSync(path.join(dir, '00000001.seg'), 'r+');
  fs.writeSync(fd, Buffer.from([0xff]), 0, 1, b.offset + 10);
  fs.closeSync(fd);
  assert.deepEqual(log.read(a), payloadFor(1, 100));
  assert.throws(() => log.read(b), /failed its check/);
  assert.throws(() => log.readMany([a, b]), /failed its check/);
  assert.throws(() => log.read({ ...a, length: 99 }), /failed its check/);
  assert.throws(() => log.read({ segment: 7, offset: 25, length: 1 }), /does not exist/);
  await log.close();
});

test('random records and segment sizes round-trip through close, reopen and scan', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.record({ type: fc.integer({ min: 0, max: 255 }), size: fc.integer({ min: 0, max: 3000 }), turn: fc.boolean() }), { maxLength: 60 }),
      fc.integer({ min: 1, max: 5000 }),
      fc.boolean(),
      async (specs, segmentSize, sync) => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'warren-seglog-prop-'));
        try {
          const log = SegmentLog.open({ dir, segmentSize, sync });
          const refs: RecordRef[] = [];
          for (let i = 0; i < specs.length; i++) {
            refs.push(log.append(specs[i].type, payloadFor(i, specs[i].size)));
            if (specs[i].turn) await new Promise((r) => setImmediate(r)); // let some writes happen midway
          }
          refs.forEach((r, i) => assert.deepEqual(log.read(r), payloadFor(i, specs[i].size)));
          await log.close();
          const { log: again, recs, reports } = reopen({ dir, segmentSize, sync });
          assert.deepEqual(reports, []);
          assert.equal(recs.length, specs.length);
          recs.forEach((r, i) => {
            assert.equal(r.type, specs[i].type);
            assert.deepEqual(r.payload, payloadFor(i, specs[i].size));
            assert.deepEqual({ segment: r.segment, offset: r.offset, length: r.payload.length }, refs[i]);
            assert.deepEqual(again.read(refs[i]), r.payload);
          });
          for (const f of segFiles(dir)) {
            const size = fs.statSync(path.join(dir, f)).size;
            const inIt = refs.filter((r) => `${String(r.segment).padStart(8, '0')}.seg` === f);
            assert.ok(size <= Math.max(segmentSize, FILE_HEADER) || inIt.length === 1, `${f}: ${size} bytes, ${inIt.length} records`);
          }
          assert.equal(again.bytesOnDisk, diskBytes(dir));
          await again.close();
        } finally {
          fs.rmSync(dir, { recursive: true, force: true });
        }
      },
    ),
    { numRuns: 60 },
  );
});

test('a cut anywhere in the last segment keeps exactly the whole records before it', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.integer({ min: 0, max: 600 }), { minLength: 1, maxLength: 20 }),
      fc.double({ min: 0, max: 1, noNaN: true }),
      async (sizes, where) => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'warren-seglog-cut-'));
        try {
          const log = SegmentLog.open({ dir });
          const refs = sizes.map((s, i) => log.append(i, payloadFor(i, s)));
          await log.close();
          const file = lastSegFile(dir);
          const size = fs.statSync(file).size;
          const cut = FILE_HEADER + Math.floor(where * (size - FILE_HEADER));
          fs.truncateSync(file, cut);
          const kept = refs.filter((r) => r.offset + r.length <= cut).length;
          const atBoundary = cut === FILE_HEADER || refs.some((r) => r.offset + r.length === cut);
          const { log: again, recs, reports } = reopen({ dir });
          assert.equal(recs.length, kept);
          if (atBoundary) assert.deepEqual(reports, []);
          const lastEnd = kept ? refs[kept - 1].offset + refs[kept - 1].length : FILE_HEADER;
          const tornBytes = fs.readFileSync(file).length; // already truncated by the scan
          assert.equal(tornBytes, lastEnd);
          const extra = again.append(99, payloadFor(99, 10));
          assert.equal(extra.offset, lastEnd + REC_HEADER);
          await again.close();
          const third = reopen({ dir });
          assert.deepEqual(third.reports, []);
          assert.equal(third.recs.length, kept + 1);
          assert.deepEqual(third.recs[kept].payload, payloadFor(99, 10));
          await third.log.close();
        } finally {
          fs.rmSync(dir, { recursive: true, force: true });
        }
      },
    ),
    { numRuns: 100 },
  );
});

test('close flushes, syncs and is idempotent; bytesOnDisk matches the files', async (t) => {
  const dir = tmpDir(t);
  const log = SegmentLog.open({ dir, segmentSize: 1000 });
  for (let i = 0; i < 30; i++) log.append(3, payloadFor(i, 90));
  const expected = log.bytesOnDisk;
  const p1 = log.close();
  const p2 = log.close();
  assert.equal(p1, p2);
  await p1;
  assert.equal(diskBytes(dir), expected);
  assert.throws(() => log.read({ segment: 1, offset: 25, length: 90 }), /closed/);
});
