// The store's lowest layer: an append-only log of records over fixed-size segment files in one directory.
//
// Files are named `00000001.seg`, `00000002.seg`, … (at least 8 digits); numbers are never reused within
// a directory: a new segment is max+1. Other files in the directory are ignored.
//
// Segment file = 16-byte header, then records back to back (no padding, no index):
//   header  [8 bytes ASCII "WARRENLG"][u32 LE version = 1][u32 LE flags = 0]
//   record  [u32 LE payload length][u32 LE CRC-32C][u8 type][payload]
// The CRC-32C (Castagnoli) covers the length field, the type byte and the payload, so a damaged length is
// caught as surely as a damaged payload. A record header of eight zero bytes (length 0, CRC 0) is never
// written (the CRC of a zero length and any type is non-zero): it marks a zero-filled tail and ends a scan
// quietly. Anything else that does not check out (short header, length past the end of the file, CRC
// mismatch) is a torn or corrupt record: the scan reports it, truncates the file there and keeps all
// before it. A record never spans segments; one larger than a segment gets a segment of its own.
// RecordRef.offset is the file offset of the payload (the record header is the 9 bytes before it).
//
// Write path (one event loop, no locks): append() copies the record into an in-memory chunk (~1 MiB) and
// returns its ref at once. Once per event-loop turn (setImmediate), as soon as the chunk is full, or when
// the broker calls writeNow() before it sends frames to clients, the chunk goes to the OS with one
// synchronous write (writev when several chunks of one segment are waiting): a write to the page cache
// takes microseconds, and it lets the broker order "on disk" before "told the client". Durability is tracked
// as a byte count over all appends: whenDurable() waits until the count at its call has been written and
// then covered by an fdatasync. One sync round at a time fdatasyncs every segment written since the last
// round (normally one fd) plus the directory fd when a segment was created or deleted: every waiter whose
// bytes were written before the round started is released by it (group commit).
//
// Crash model: bytes handed to write() survive kill -9 (the page cache is the kernel's), so a process crash
// loses only what was still in the chunk; power loss can lose anything after the last completed round, in
// any order, which the scan handles as a torn/zero tail. Records are never rewritten: space is reclaimed by
// deleting whole segments.
import fs from 'node:fs';
import path from 'node:path';
import { crc32c } from './crc32.js';

export interface SegmentLogOptions {
  dir: string; // created if missing
  segmentSize?: number; // default 64 MiB
  sync?: boolean; // default true; false = never fdatasync; whenDurable then fires once the write returned
  onCorruption?: (msg: string) => void; // log sink for torn/corrupt tails found at open/scan
  /** A write or sync failed (EIO, ENOSPC…). The log is then dead: append() throws, waiters never fire.
   *  Without a handler the error is thrown from the fs callback, i.e. the process crashes, which is the only
   *  safe reaction to a failed fdatasync when nobody is listening (the page cache can no longer be trusted). */
  onError?: (err: Error) => void;
  /** Format version of the records, written in every segment header and required on open (default 1). */
  version?: number;
}

export interface RecordRef {
  segment: number;
  offset: number; // payload's offset in the segment file
  length: number; // payload bytes
}

const MAGIC = 'WARRENLG';
const VERSION = 1;
const FILE_HEADER = 16;
const REC_HEADER = 9;
const CHUNK_SIZE = 1 << 20; // write-buffer chunk: a write is issued when one fills
const POOL_MAX = 4; // spare chunks kept for reuse
const WRITEV_MAX = 64; // chunks per writev
const SCAN_BUF = 1 << 20; // scan read buffer (grown only for a record larger than it)
const READ_FDS = 8; // read-only fds kept open for segments not being written
const MERGE_GAP = 64 << 10; // readMany reads across gaps up to this size…
const MERGE_SPAN = 8 << 20; // …and spans up to this size in one read
const NAME = /^(\d{8,})\.seg$/;

function headerBytes(version: number): Buffer {
  const b = Buffer.alloc(FILE_HEADER);
  b.write(MAGIC, 0, 'latin1');
  b.writeUInt32LE(version, 8);
  return b;
}

/** The CRC stored in a record header at `at` of `buf` whose payload follows it. */
function recordCrc(buf: Buffer, at: number, length: number): number {
  return crc32c(buf, at + 8, at + REC_HEADER + length, crc32c(buf, at, at + 4));
}

interface Seg {
  num: number;
  file: string;
  size: number; // bytes appended so far, including those not yet written
  fd: number; // -1 when closed
  writable: boolean; // fd is the write fd (pinned) rather than a cached read fd
  pending: number; // sealed chunks not yet written
  dirty: boolean; // written since the current/last sync round started: in dirtySegs
  syncing: boolean; // in the sync round in flight
}

interface Chunk {
  seg: Seg;
  pos: number; // file offset of buf[0]
  buf: Buffer;
  len: number; // bytes used
  end: number; // the log's byte count once this chunk is written
}

export class SegmentLog {
  private readonly dir: string;
  private readonly version: number;
  private readonly header: Buffer;
  private readonly segmentSize: number;
  private readonly sync: boolean;
  private readonly onCorruption: (msg: string) => void;
  private readonly onError: ((err: Error) => void) | undefined;
  private readonly dirFd: number;

  private readonly segs = new Map<number, Seg>();
  private order: number[] = []; // segment numbers, ascending
  private cur!: Seg; // segment being appended to
  private nextNum: number;
  private tailVerified: boolean; // the current segment's end is known good (scanned or created by us)
  private appended = false;
  private total = 0; // bytesOnDisk

  // Write path. Byte counts are over everything appended in this session (headers of new segments too).
  private fill: Chunk | null = null; // chunk being filled by append()
  private readonly queue: Chunk[] = []; // sealed, waiting for the writer
  private inflight: Chunk[] = []; // being written
  private readonly pool: Buffer[] = [];
  private writing = false;
  private flushScheduled = false;
  private appendedBytes = 0;
  private writtenBytes = 0;
  private durableBytes = 0;

  // Sync path.
  private syncing = false;
  private dirtySegs: Seg[] = [];
  private dirDirty = false;
  private syncs = 0;
  private writes = 0;

  // whenDurable waiters: parallel arrays consumed from `head` (no allocation per waiter beyond the slot).
  private wTargets: number[] = [];
  private wCbs: ((() => void) | undefined)[] = [];
  private wHead = 0;
  private fireScheduled = false;

  private readonly zombies = new Set<Seg>(); // deleted segments whose write fd still has work to finish
  private readCache: Seg[] = []; // segments with a cached read fd, oldest first
  private failed: Error | null = null;
  private closing: Promise<void> | null = null;
  private closed = false; // fds closed
  private afterIo: (() => void) | null = null; // close() polls progress through this

  private constructor(opts: SegmentLogOptions) {
    this.dir = opts.dir;
    this.version = opts.version ?? VERSION;
    this.header = headerBytes(this.version);
    this.segmentSize = opts.segmentSize ?? 64 << 20;
    if (!Number.isSafeInteger(this.segmentSize) || this.segmentSize <= 0) throw new RangeError(`segmentSize must be a positive integer, got ${opts.segmentSize}`);
    this.sync = opts.sync ?? true;
    this.onCorruption = opts.onCorruption ?? (() => {});
    this.onError = opts.onError;

    fs.mkdirSync(this.dir, { recursive: true });
    const nums: number[] = [];
    for (const name of fs.readdirSync(this.dir)) {
      const m = NAME.exec(name);
      if (m) nums.push(Number(m[1]));
    }
    nums.sort((a, b) => a - b);
    this.dirFd = fs.openSync(this.dir, 'r');
    try {
      for (let i = 0; i < nums.length; i++) {
        const seg = this.openExisting(nums[i], i === nums.length - 1);
        this.segs.set(seg.num, seg);
        this.order.push(seg.num);
        this.total += seg.size;
      }
    } catch (err) {
      for (const seg of this.segs.values()) if (seg.fd >= 0) fs.closeSync(seg.fd);
      fs.closeSync(this.dirFd);
      throw err;
    }
    this.nextNum = nums.length ? nums[nums.length - 1] + 1 : 1;
    if (nums.length === 0) {
      this.tailVerified = true;
      this.roll();
    } else {
      this.cur = this.segs.get(nums[nums.length - 1])!;
      // Appending after an unscanned tail could bury new records behind a torn one: the first append
      // before scan() therefore starts a new segment instead. A header-only segment needs no scan.
      this.tailVerified = this.cur.size === FILE_HEADER;
    }
  }

  /** Opens (synchronously: this runs at broker start) and scans nothing yet. */
  static open(opts: SegmentLogOptions): SegmentLog {
    return new SegmentLog(opts);
  }

  /** Checks the header of an existing segment file; the last one keeps a write fd. */
  private openExisting(num: number, last: boolean): Seg {
    const file = this.fileOf(num);
    const fd = fs.openSync(file, last ? 'r+' : 'r');
    try {
      const size = fs.fstatSync(fd).size;
      const head = Buffer.alloc(FILE_HEADER);
      const got = fs.readSync(fd, head, 0, FILE_HEADER, 0);
      const magicOk = got >= 8 && head.toString('latin1', 0, 8) === MAGIC;
      if (magicOk && got === FILE_HEADER) {
        const version = head.readUInt32LE(8);
        if (version !== this.version) throw new Error(`${file}: unsupported segment version ${version} (expected ${this.version})`);
      } else {
        // Short or zeroed header: the segment was being created when the process or machine died (several
        // segments can be created in one turn before their first write, so this need not be the last one).
        // Only worth a report when bytes past the header are thrown away.
        for (let i = 0; i < got; i++) {
          if (head[i] !== 0 && head[i] !== this.header[i]) throw new Error(`${file}: not a Warren segment file`);
        }
        if (size > FILE_HEADER) this.onCorruption(`${file}: torn segment header (file of ${size} bytes), reset to an empty segment`);
        if (!last) {
          fs.closeSync(fd);
          const wfd = fs.openSync(file, 'r+');
          this.resetHeader(wfd);
          fs.closeSync(wfd);
          return { num, file, size: FILE_HEADER, fd: -1, writable: false, pending: 0, dirty: false, syncing: false };
        }
        this.resetHeader(fd);
        return { num, file, size: FILE_HEADER, fd, writable: true, pending: 0, dirty: false, syncing: false };
      }
      if (!last) {
        fs.closeSync(fd);
        return { num, file, size, fd: -1, writable: false, pending: 0, dirty: false, syncing: false };
      }
      return { num, file, size, fd, writable: true, pending: 0, dirty: false, syncing: false };
    } catch (err) {
      try {
        fs.closeSync(fd);
      } catch {
        // already closed
      }
      throw err;
    }
  }

  private resetHeader(fd: number): void {
    fs.ftruncateSync(fd, 0);
    fs.writeSync(fd, this.header, 0, FILE_HEADER, 0);
    if (this.sync) fs.fdatasyncSync(fd);
  }

  private fileOf(num: number): string {
    return path.join(this.dir, `${String(num).padStart(8, '0')}.seg`);
  }

  /** The segment being appended to (never deleted). */
  get currentSegment(): number {
    return this.cur.num;
  }

  /** Total bytes in all segment files (including appended bytes still on their way to the file). */
  get bytesOnDisk(): number {
    return this.total;
  }

  /** Number of fdatasync/fsync calls issued (group-commit observability). */
  get syncCount(): number {
    return this.syncs;
  }

  /** Number of write/writev calls issued. */
  get writeCount(): number {
    return this.writes;
  }

  /** Bytes appended but not yet written to the OS (for back-pressure if the disk falls behind). */
  get pendingBytes(): number {
    return this.appendedBytes - this.writtenBytes;
  }

  /** Segment numbers that exist, ascending. */
  segments(): number[] {
    return this.order.slice();
  }

  // ------------------------------------------------------------------ recovery

  /** Recovery: every valid record of every segment in order. Must come before the first append(). */
  scan(cb: (type: number, payload: Buffer, segment: number, offset: number) => void): void {
    this.checkOpen();
    if (this.appended) throw new Error('SegmentLog.scan() must be called before the first append()');
    let buf: Buffer = Buffer.allocUnsafe(SCAN_BUF);
    for (const num of this.order.slice()) buf = this.scanSegment(this.segs.get(num)!, buf, cb);
    this.tailVerified = true;
  }

  /** Streams one segment through `buf` (returned, possibly grown); truncates it after its last good record. */
  private scanSegment(seg: Seg, buf: Buffer, cb: (type: number, payload: Buffer, segment: number, offset: number) => void): Buffer {
    const fd = this.readFd(seg);
    const size = seg.size;
    let base = FILE_HEADER; // file offset of buf[0]
    let have = 0; // valid bytes in buf
    let at = 0; // next record's index in buf
    let eof = base >= size;
    // Makes `need` bytes available from buf[at]; false when the file ends first.
    const ensure = (need: number): boolean => {
      if (have - at >= need) return true;
      if (at > 0) {
        buf.copy(buf, 0, at, have);
        base += at;
        have -= at;
        at = 0;
      }
      if (need > buf.length) {
        const bigger = Buffer.allocUnsafe(Math.max(need, buf.length * 2));
        buf.copy(bigger, 0, 0, have);
        buf = bigger;
      }
      while (have < need && !eof) {
        const n = fs.readSync(fd, buf, have, buf.length - have, base + have);
        if (n === 0) eof = true;
        have += n;
        if (base + have >= size) eof = true;
      }
      return have >= need;
    };
    let problem: string | null = null;
    for (;;) {
      if (!ensure(REC_HEADER)) {
        if (have - at > 0 && !isZero(buf, at, have)) problem = `torn record header (${have - at} bytes)`;
        break;
      }
      const len = buf.readUInt32LE(at);
      const crc = buf.readUInt32LE(at + 4);
      const pos = base + at;
      if (len === 0 && crc === 0) {
        if (!this.zeroToEnd(fd, pos, size)) problem = 'zeroed record header followed by non-zero bytes';
        break;
      }
      if (pos + REC_HEADER + len > size) {
        problem = `record claims ${len} payload bytes, only ${size - pos - REC_HEADER} remain`;
        break;
      }
      if (!ensure(REC_HEADER + len)) {
        problem = 'file shrank during the scan';
        break;
      }
      if (recordCrc(buf, at, len) !== crc) {
        problem = `checksum mismatch on a record of ${len} bytes`;
        break;
      }
      cb(buf[at + 8], buf.subarray(at + REC_HEADER, at + REC_HEADER + len), seg.num, pos + REC_HEADER);
      at += REC_HEADER + len;
    }
    const end = base + at;
    if (end < size) {
      if (problem !== null) this.onCorruption(`${seg.file}: ${problem} at offset ${end}; truncated ${size - end} bytes, keeping ${end}`);
      const wfd = seg.writable ? seg.fd : fs.openSync(seg.file, 'r+');
      try {
        fs.ftruncateSync(wfd, end);
        if (this.sync) fs.fdatasyncSync(wfd);
      } finally {
        if (wfd !== seg.fd) fs.closeSync(wfd);
      }
      this.total -= size - end;
      seg.size = end;
    }
    return buf;
  }

  /** True when the file holds only zero bytes from `from` to `size`. */
  private zeroToEnd(fd: number, from: number, size: number): boolean {
    const b = Buffer.allocUnsafe(Math.min(64 << 10, size - from));
    for (let pos = from; pos < size; ) {
      const n = fs.readSync(fd, b, 0, Math.min(b.length, size - pos), pos);
      if (n === 0) break;
      if (!isZero(b, 0, n)) return false;
      pos += n;
    }
    return true;
  }

  // ------------------------------------------------------------------ appending

  /** Appends a record; the payload bytes are copied. The ref can be read back at once. */
  append(type: number, payload: Buffer | readonly Buffer[]): RecordRef {
    this.checkOpen();
    if (this.closing !== null) throw new Error('SegmentLog is closing');
    if ((type & 0xff) !== type) throw new RangeError(`record type must be 0..255, got ${type}`);
    let len = 0;
    const single = Buffer.isBuffer(payload);
    if (single) len = payload.length;
    else for (let i = 0; i < payload.length; i++) len += payload[i].length;
    if (len > 0xffffffff - REC_HEADER) throw new RangeError(`record of ${len} bytes is too large`);
    const rec = REC_HEADER + len;
    this.appended = true;
    if (!this.tailVerified || (this.cur.size > FILE_HEADER && this.cur.size + rec > this.segmentSize)) this.roll();
    let c = this.fill;
    if (c === null || c.len + rec > c.buf.length) c = this.newFill(rec);
    const b = c.buf;
    const at = c.len;
    b.writeUInt32LE(len, at);
    b[at + 8] = type;
    if (single) payload.copy(b, at + REC_HEADER);
    else for (let i = 0, o = at + REC_HEADER; i < payload.length; o += payload[i].length, i++) payload[i].copy(b, o);
    b.writeUInt32LE(recordCrc(b, at, len), at + 4);
    this.advance(c, rec);
    this.scheduleFlush();
    return { segment: this.cur.num, offset: c.pos + at + REC_HEADER, length: len };
  }

  /** One write per event-loop turn: setImmediate runs after this turn's I/O callbacks have appended. */
  private scheduleFlush(): void {
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(this.onTurn);
    }
  }

  private advance(c: Chunk, n: number): void {
    c.len += n;
    this.cur.size += n;
    this.total += n;
    this.appendedBytes += n;
    c.end = this.appendedBytes;
  }

  /** Seals the current fill chunk and starts a fresh one with room for `need` bytes. */
  private newFill(need: number): Chunk {
    this.seal();
    const buf = need <= CHUNK_SIZE ? (this.pool.pop() ?? Buffer.allocUnsafe(CHUNK_SIZE)) : Buffer.allocUnsafe(need);
    const c: Chunk = { seg: this.cur, pos: this.cur.size, buf, len: 0, end: this.appendedBytes };
    this.fill = c;
    return c;
  }

  /** Hands the fill chunk to the writer. */
  private seal(): void {
    const c = this.fill;
    if (c === null) return;
    this.fill = null;
    if (c.len === 0) {
      this.recycle(c);
      return;
    }
    c.seg.pending++;
    this.queue.push(c);
    this.kick();
  }

  /** Starts a new segment; its header goes out through the ordinary write path. */
  private roll(): void {
    this.seal();
    const old = this.cur as Seg | undefined;
    const num = this.nextNum++;
    const file = this.fileOf(num);
    const fd = fs.openSync(file, 'wx+');
    const seg: Seg = { num, file, size: 0, fd, writable: true, pending: 0, dirty: false, syncing: false };
    this.segs.set(num, seg);
    this.order.push(num);
    this.cur = seg;
    this.tailVerified = true;
    this.dirDirty = true; // the new directory entry must be durable with the records in it
    const c = this.newFill(FILE_HEADER);
    this.header.copy(c.buf, c.len);
    this.advance(c, FILE_HEADER);
    this.scheduleFlush();
    if (old !== undefined) this.retire(old);
  }

  private readonly onTurn = (): void => {
    this.flushScheduled = false;
    if (!this.writing) this.seal(); // else the write's completion takes the fill chunk (double buffering)
  };

  /** Starts the next write if none is in flight. */
  private kick(): void {
    if (this.writing || this.failed !== null || this.closed) return;
    if (this.queue.length === 0) {
      if (this.fill !== null && this.fill.len > 0) this.seal(); // recurses into kick with a queued chunk
      return;
    }
    const first = this.queue[0];
    let n = 1;
    let next = first.pos + first.len;
    while (n < this.queue.length && n < WRITEV_MAX && this.queue[n].seg === first.seg && this.queue[n].pos === next) {
      next += this.queue[n].len;
      n++;
    }
    this.inflight = this.queue.splice(0, n);
    this.writing = true;
    const bufs: Buffer[] = [];
    for (const c of this.inflight) bufs.push(c.buf.subarray(0, c.len));
    this.writeOut(first.seg.fd, bufs, first.pos);
  }

  /**
   * Writes synchronously: a write() to the page cache takes microseconds, and doing it at once lets
   * the broker put records in the OS before it tells a client about them (writeNow), which is what
   * makes them survive a crash of the process. Only fdatasync, which waits for the device, is async.
   */
  private writeOut(fd: number, bufs: Buffer[], pos: number): void {
    let total = 0;
    for (const b of bufs) total += b.length;
    this.writes++;
    let written: number;
    try {
      written = bufs.length === 1 ? fs.writeSync(fd, bufs[0], 0, bufs[0].length, pos) : fs.writevSync(fd, bufs, pos);
    } catch (err) {
      return this.fail(err as Error);
    }
    if (written < total) {
      // A short write (disk full is reported on the retry): continue after what was taken.
      const rest: Buffer[] = [];
      let skip = written;
      for (const b of bufs) {
        if (skip >= b.length) skip -= b.length;
        else {
          rest.push(skip > 0 ? b.subarray(skip) : b);
          skip = 0;
        }
      }
      return this.writeOut(fd, rest, pos + written);
    }
    this.onWritten();
  }

  /** Hands everything appended so far to the OS now (a crash of the process can no longer lose it). */
  writeNow(): void {
    if (this.failed !== null || this.closed || this.fill === null || this.fill.len === 0) return;
    this.seal();
  }

  private onWritten(): void {
    const batch = this.inflight;
    this.inflight = [];
    this.writing = false;
    for (const c of batch) {
      const seg = c.seg;
      seg.pending--;
      if (this.sync && !seg.dirty) {
        seg.dirty = true;
        this.dirtySegs.push(seg);
      }
      this.writtenBytes = c.end;
      this.recycle(c);
      this.retire(seg);
    }
    if (!this.sync) {
      this.durableBytes = this.writtenBytes;
      this.fireWaiters();
    }
    this.kick(); // whatever was appended during this write goes next
    this.maybeSync();
    this.afterIo?.();
  }

  private recycle(c: Chunk): void {
    if (c.buf.length === CHUNK_SIZE && this.pool.length < POOL_MAX) this.pool.push(c.buf);
  }

  /** Closes the write fd of a segment that is no longer appended to, once it is written and synced. */
  private retire(seg: Seg): void {
    if (seg === this.cur || !seg.writable || seg.pending > 0 || seg.dirty || seg.syncing) return;
    seg.writable = false;
    if (seg.fd >= 0) fs.closeSync(seg.fd);
    seg.fd = -1;
    this.zombies.delete(seg);
  }

  // ------------------------------------------------------------------ durability

  /** Calls done() once every record appended before this call is written and fdatasync'd. */
  whenDurable(done: () => void): void {
    this.checkOpen();
    if (this.failed !== null) throw this.failed;
    this.wTargets.push(this.appendedBytes);
    this.wCbs.push(done);
    if (this.appendedBytes <= this.durableBytes) {
      if (!this.fireScheduled) {
        this.fireScheduled = true;
        process.nextTick(this.fireLater);
      }
    } else this.maybeSync(); // already written but not synced: no need to wait for another write
  }

  private readonly fireLater = (): void => {
    this.fireScheduled = false;
    this.fireWaiters();
  };

  private fireWaiters(): void {
    const targets = this.wTargets;
    const cbs = this.wCbs;
    while (this.wHead < targets.length && targets[this.wHead] <= this.durableBytes) {
      const cb = cbs[this.wHead]!;
      cbs[this.wHead] = undefined;
      this.wHead++;
      cb();
    }
    if (this.wHead === targets.length) {
      targets.length = 0;
      cbs.length = 0;
      this.wHead = 0;
    } else if (this.wHead > 4096 && this.wHead * 2 > targets.length) {
      targets.splice(0, this.wHead);
      cbs.splice(0, this.wHead);
      this.wHead = 0;
    }
  }

  /** Starts a sync round if a waiter's bytes are written and none is in flight. */
  private maybeSync(): void {
    if (!this.sync || this.syncing || this.failed !== null || this.closed) return;
    if (this.wHead < this.wTargets.length && this.wTargets[this.wHead] <= this.writtenBytes) this.startSync();
  }

  /** One sync round: fdatasync each segment written since the last round, then the directory if it changed. */
  private startSync(): void {
    this.syncing = true;
    const target = this.writtenBytes;
    const segs = this.dirtySegs;
    this.dirtySegs = [];
    for (const s of segs) {
      s.dirty = false;
      s.syncing = true;
    }
    let dir = this.dirDirty;
    this.dirDirty = false;
    let i = 0;
    const step = (err: NodeJS.ErrnoException | null): void => {
      if (err) return this.fail(err);
      if (i < segs.length) {
        this.syncs++;
        fs.fdatasync(segs[i++].fd, step);
        return;
      }
      if (dir) {
        dir = false;
        this.syncs++;
        fs.fsync(this.dirFd, step);
        return;
      }
      this.syncing = false;
      for (const s of segs) {
        s.syncing = false;
        this.retire(s);
      }
      if (target > this.durableBytes) this.durableBytes = target;
      this.fireWaiters();
      this.maybeSync(); // appends that were written during this round
      this.afterIo?.();
    };
    step(null);
  }

  private fail(err: Error): void {
    if (this.failed !== null) return;
    this.failed = err;
    this.afterIo?.();
    if (this.onError) this.onError(err);
    else throw err;
  }

  // ------------------------------------------------------------------ reading

  /** Reads one record's payload back (a Buffer the caller owns). */
  read(ref: RecordRef): Buffer {
    this.checkOpen();
    const mem = this.fromMemory(ref);
    if (mem !== null) return mem;
    const seg = this.segOf(ref);
    const b = Buffer.allocUnsafe(REC_HEADER + ref.length);
    this.readAt(seg, b, ref.offset - REC_HEADER);
    this.verify(seg, b, 0, ref);
    return b.subarray(REC_HEADER);
  }

  /** Reads records of one segment, sorted by offset, with one read per run of nearby records. */
  readMany(refs: readonly RecordRef[]): Buffer[] {
    this.checkOpen();
    const out: Buffer[] = new Array<Buffer>(refs.length);
    if (refs.length === 0) return out;
    const seg = this.segOf(refs[0]);
    for (let k = 1; k < refs.length; k++) {
      if (refs[k].segment !== seg.num) throw new Error('readMany: refs must all be in one segment');
      this.segOf(refs[k]);
      if (refs[k].offset < refs[k - 1].offset + refs[k - 1].length + REC_HEADER) throw new Error('readMany: refs must be sorted and distinct');
    }
    let i = 0;
    while (i < refs.length) {
      const mem = this.fromMemory(refs[i]);
      if (mem !== null) {
        out[i++] = mem;
        continue;
      }
      // Extend the run while records are near each other and still on disk.
      const start = refs[i].offset - REC_HEADER;
      let j = i + 1;
      let end = refs[i].offset + refs[i].length;
      while (
        j < refs.length &&
        refs[j].offset - REC_HEADER - end <= MERGE_GAP &&
        refs[j].offset + refs[j].length - start <= MERGE_SPAN &&
        this.fromMemoryChunk(refs[j]) === null
      ) {
        end = refs[j].offset + refs[j].length;
        j++;
      }
      const b = Buffer.allocUnsafe(end - start);
      this.readAt(seg, b, start);
      for (; i < j; i++) {
        const at = refs[i].offset - REC_HEADER - start;
        this.verify(seg, b, at, refs[i]);
        out[i] = b.subarray(at + REC_HEADER, at + REC_HEADER + refs[i].length);
      }
    }
    return out;
  }

  private segOf(ref: RecordRef): Seg {
    const seg = this.segs.get(ref.segment);
    if (seg === undefined) throw new Error(`segment ${ref.segment} does not exist`);
    if (ref.offset < FILE_HEADER + REC_HEADER || ref.offset + ref.length > seg.size) throw new Error(`record ref ${ref.segment}:${ref.offset}+${ref.length} is outside the segment`);
    return seg;
  }

  private verify(seg: Seg, b: Buffer, at: number, ref: RecordRef): void {
    if (b.readUInt32LE(at) !== ref.length || b.readUInt32LE(at + 4) !== recordCrc(b, at, ref.length)) {
      throw new Error(`${seg.file}: record at offset ${ref.offset} (${ref.length} bytes) failed its check`);
    }
  }

  /** The chunk still holding a record that is not yet written, if any. */
  private fromMemoryChunk(ref: RecordRef): Chunk | null {
    const has = (c: Chunk | null): boolean =>
      c !== null && c.seg.num === ref.segment && ref.offset >= c.pos && ref.offset + ref.length <= c.pos + c.len;
    if (has(this.fill)) return this.fill;
    for (const c of this.inflight) if (has(c)) return c;
    for (const c of this.queue) if (has(c)) return c;
    return null;
  }

  private fromMemory(ref: RecordRef): Buffer | null {
    const c = this.fromMemoryChunk(ref);
    if (c === null) return null;
    const out = Buffer.allocUnsafe(ref.length);
    c.buf.copy(out, 0, ref.offset - c.pos, ref.offset - c.pos + ref.length);
    return out;
  }

  private readAt(seg: Seg, b: Buffer, pos: number): void {
    const fd = this.readFd(seg);
    for (let got = 0; got < b.length; ) {
      const n = fs.readSync(fd, b, got, b.length - got, pos + got);
      if (n === 0) throw new Error(`${seg.file}: unexpected end of file at ${pos + got}`);
      got += n;
    }
  }

  /** An fd to read `seg` through: its write fd, or a cached read-only one. */
  private readFd(seg: Seg): number {
    if (seg.fd >= 0) return seg.fd;
    seg.fd = fs.openSync(seg.file, 'r');
    this.readCache.push(seg);
    if (this.readCache.length > READ_FDS) {
      const old = this.readCache.shift()!;
      if (!old.writable && old.fd >= 0) {
        fs.closeSync(old.fd);
        old.fd = -1;
      }
    }
    return seg.fd;
  }

  // ------------------------------------------------------------------ housekeeping

  /** Deletes a whole segment file (not the current one). Unknown numbers are ignored. The deletion is
   *  made durable by the next sync round (the directory fd is fsync'd with it) or by close(). */
  deleteSegment(segment: number): void {
    this.checkOpen();
    const seg = this.segs.get(segment);
    if (seg === undefined) return;
    if (seg === this.cur) throw new Error(`segment ${segment} is the current segment and cannot be deleted`);
    fs.unlinkSync(seg.file);
    this.segs.delete(segment);
    this.order.splice(this.order.indexOf(segment), 1);
    this.total -= seg.size;
    this.dirDirty = true;
    if (seg.writable) this.zombies.add(seg);
    else if (seg.fd >= 0) {
      // A read fd: close it now. A write fd still has writes/syncs to finish (harmless on an unlinked
      // file) and is closed by retire().
      fs.closeSync(seg.fd);
      seg.fd = -1;
      this.readCache.splice(this.readCache.indexOf(seg), 1);
    }
  }

  /** Flushes and syncs what is pending (directory included), then closes fds. */
  close(): Promise<void> {
    if (this.closing !== null) return this.closing;
    this.closing = new Promise<void>((resolve, reject) => {
      const step = (): void => {
        if (this.closed) return;
        if (this.failed === null) {
          if (this.writing || this.syncing) return; // afterIo calls step again
          if (this.queue.length > 0 || (this.fill !== null && this.fill.len > 0)) return this.kick();
          if (this.sync && (this.dirtySegs.length > 0 || this.dirDirty)) return this.startSync();
          this.durableBytes = this.writtenBytes;
          this.fireWaiters();
        }
        this.closed = true;
        this.afterIo = null;
        for (const seg of this.segs.values()) if (seg.fd >= 0) fs.closeSync(seg.fd);
        for (const seg of this.zombies) if (seg.fd >= 0) fs.closeSync(seg.fd);
        fs.closeSync(this.dirFd);
        if (this.failed !== null) reject(this.failed);
        else resolve();
      };
      this.afterIo = step;
      step();
    });
    return this.closing;
  }

  private checkOpen(): void {
    if (this.closed) throw new Error('SegmentLog is closed');
  }
}

function isZero(b: Buffer, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (b[i] !== 0) return false;
  return true;
}
