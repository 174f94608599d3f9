// Primitive AMQP 0-9-1 encoding: a cursor that reads in place from a received frame, and a writer
// that appends into a slab. The generated spec.ts builds methods and properties from these.
import { isUtf8 } from 'node:buffer';
import type { Decimal, Field, FieldTable } from './field-table.js';

/** Thrown when a frame's payload does not decode; the connection answers with a hard error. */
export class DecodeError extends Error {}

const TWO_32 = 0x100000000;

/**
 * Reads fields from buf[pos, end). One instance is reused per connection: decoding allocates only the
 * values it returns (strings, tables), never the cursor.
 */
export class Reader {
  buf: Buffer = Buffer.alloc(0);
  pos = 0;
  end = 0;
  private bitByte = 0;
  private bitMask = 0;

  reset(buf: Buffer, pos: number, end: number): this {
    this.buf = buf;
    this.pos = pos;
    this.end = end;
    this.bitMask = 0;
    return this;
  }

  private need(n: number): void {
    if (this.pos + n > this.end) throw new DecodeError('frame payload ends before its fields do');
  }

  octet(): number {
    this.bitMask = 0;
    this.need(1);
    return this.buf[this.pos++];
  }

  short(): number {
    this.bitMask = 0;
    this.need(2);
    const v = this.buf.readUInt16BE(this.pos);
    this.pos += 2;
    return v;
  }

  long(): number {
    this.bitMask = 0;
    this.need(4);
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  /** Unsigned 64-bit as a number: exact up to 2^53, which delivery tags and sizes never reach. */
  longlong(): number {
    this.bitMask = 0;
    this.need(8);
    const v = this.buf.readUInt32BE(this.pos) * TWO_32 + this.buf.readUInt32BE(this.pos + 4);
    this.pos += 8;
    return v;
  }

  timestamp(): number {
    return this.longlong();
  }

  /** Consecutive bit fields share octets, least significant bit first. */
  bit(): boolean {
    if (this.bitMask === 0 || this.bitMask === 0x100) {
      this.need(1);
      this.bitByte = this.buf[this.pos++];
      this.bitMask = 1;
    }
    const v = (this.bitByte & this.bitMask) !== 0;
    this.bitMask <<= 1;
    return v;
  }

  shortstr(): string {
    this.bitMask = 0;
    this.need(1);
    const len = this.buf[this.pos++];
    if (len === 0) return '';
    this.need(len);
    const s = this.buf.toString('utf8', this.pos, this.pos + len);
    this.pos += len;
    return s;
  }

  /** Long strings stay bytes: they carry SASL responses and arbitrary data. */
  longstr(): Buffer {
    this.bitMask = 0;
    const len = this.long();
    this.need(len);
    const b = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return b;
  }

  table(): FieldTable {
    this.bitMask = 0;
    const len = this.long();
    this.need(len);
    const end = this.pos + len;
    const t: FieldTable = new Map();
    while (this.pos < end) {
      const key = this.shortstr();
      t.set(key, this.fieldValue(end));
    }
    if (this.pos !== end) throw new DecodeError('field table overruns its declared length');
    return t;
  }

  private fieldValue(limit: number): Field {
    const savedEnd = this.end;
    this.end = limit;
    try {
      this.need(1);
      const tag = String.fromCharCode(this.buf[this.pos++]);
      const b = this.buf;
      switch (tag) {
        case 't':
          this.need(1);
          return { type: 't', value: b[this.pos++] !== 0 };
        case 'b':
          this.need(1);
          return { type: 'b', value: b.readInt8(this.pos++) };
        case 'B':
          this.need(1);
          return { type: 'B', value: b[this.pos++] };
        case 's': {
          this.need(2);
          const v = b.readInt16BE(this.pos);
          this.pos += 2;
          return { type: 's', value: v };
        }
        case 'u': {
          this.need(2);
          const v = b.readUInt16BE(this.pos);
          this.pos += 2;
          return { type: 'u', value: v };
        }
        case 'I': {
          this.need(4);
          const v = b.readInt32BE(this.pos);
          this.pos += 4;
          return { type: 'I', value: v };
        }
        case 'i': {
          this.need(4);
          const v = b.readUInt32BE(this.pos);
          this.pos += 4;
          return { type: 'i', value: v };
        }
        case 'l': {
          this.need(8);
          const v = b.readBigInt64BE(this.pos);
          this.pos += 8;
          return { type: 'l', value: v };
        }
        case 'f': {
          this.need(4);
          const v = b.readFloatBE(this.pos);
          this.pos += 4;
          return { type: 'f', value: v };
        }
        case 'd': {
          this.need(8);
          const v = b.readDoubleBE(this.pos);
          this.pos += 8;
          return { type: 'd', value: v };
        }
        case 'D': {
          this.need(5);
          const scale = b[this.pos];
          const value = b.readInt32BE(this.pos + 1);
          this.pos += 5;
          return { type: 'D', value: { scale, value } };
        }
        case 'S': {
          const bytes = this.longstr();
          // Bytes that are not UTF-8 stay bytes, so re-encoding gives back exactly what came in.
          return { type: 'S', value: isUtf8(bytes) ? bytes.toString('utf8') : Buffer.from(bytes) };
        }
        case 'x': {
          const bytes = this.longstr();
          return { type: 'x', value: Buffer.from(bytes) };
        }
        case 'T':
          this.need(8);
          return { type: 'T', value: this.longlong() };
        case 'F':
          return { type: 'F', value: this.table() };
        case 'A': {
          const len = this.long();
          this.need(len);
          const end = this.pos + len;
          const items: Field[] = [];
          while (this.pos < end) items.push(this.fieldValue(end));
          if (this.pos !== end) throw new DecodeError('field array overruns its declared length');
          return { type: 'A', value: items };
        }
        case 'V':
          return { type: 'V', value: null };
        default:
          throw new DecodeError(`unknown field type '${tag}' (0x${tag.charCodeAt(0).toString(16)})`);
      }
    } finally {
      this.end = savedEnd;
    }
  }
}

// Small enough to come from Node's shared buffer pool: an idle connection holds no slab of its own.
const MIN_SLAB = 1024;

/** Whether a Buffer spans its whole ArrayBuffer (not a slice of Node's shared pool). */
function ownsBuffer(b: Buffer): boolean {
  return b.byteOffset === 0 && b.length === b.buffer.byteLength;
}
const MAX_SLAB = 256 * 1024;

/**
 * Appends encoded frames into a slab. Regions handed out by take() are never written again (the
 * socket may still hold them), so the slab works as a bump allocator: no per-frame Buffer.
 */
/** Strings up to this many code units are tried as ASCII in JavaScript before the UTF-8 encoder. */
const SHORT_ASCII_MAX = 64;

export class Writer {
  buf: Buffer;
  pos = 0;
  /** Start of the bytes not yet taken. */
  start = 0;
  private bitPos = -1;
  private bitMask = 0;
  /** Where the frame being written began (relative to start), or -1 between frames. */
  private openFrame = -1;

  /** Size of the next slab: small for idle connections, growing while a connection writes a lot. */
  private slabSize: number;
  /**
   * With recycling (a connection's writer): how many taken regions of each slab are still out (handed
   * to the socket and not yet written), and full-size slabs free for reuse. A slab is reused only once
   * the writer has moved past it and every region of it has been released, so a busy connection stops
   * allocating slabs — fresh ArrayBuffers are what drive V8's external-memory garbage collections.
   */
  private readonly outstanding: Map<ArrayBufferLike, number> | null;
  private readonly free: Buffer[] = [];

  constructor(size = MIN_SLAB, recycle = false) {
    this.slabSize = size;
    this.buf = Buffer.allocUnsafe(size);
    this.outstanding = recycle ? new Map() : null;
  }

  /** A new slab of at least size bytes: a released one when there is one that fits. */
  private nextSlab(size: number): Buffer {
    const reused = this.free.length > 0 && this.free[this.free.length - 1].length >= size ? this.free.pop() : undefined;
    // the slab being left is free at once if nothing taken from it is still out
    if (this.outstanding !== null && !this.outstanding.has(this.buf.buffer)) this.recycle(this.buf);
    return reused ?? Buffer.allocUnsafe(size);
  }

  private recycle(slab: Buffer): void {
    if (ownsBuffer(slab) && slab.length >= this.slabSize && this.free.length < 4) this.free.push(slab);
  }

  /** The socket has written a region returned by take() (recycling writers only). */
  release(region: Buffer): void {
    const map = this.outstanding!;
    const ab = region.buffer;
    const n = map.get(ab);
    if (n === undefined) return;
    if (n > 1) map.set(ab, n - 1);
    else {
      map.delete(ab);
      // the current slab is still being filled; one the writer has left can be reused now
      if (ab !== this.buf.buffer) this.recycle(Buffer.from(ab as ArrayBuffer, 0, ab.byteLength));
    }
  }

  get pendingBytes(): number {
    return this.pos - this.start;
  }

  /** Makes room for n more bytes, moving the untaken bytes to a fresh slab when needed. */
  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const pending = this.pos - this.start;
    if (this.slabSize < MAX_SLAB) this.slabSize *= 2;
    const size = Math.max(this.slabSize, (pending + n) * 2);
    const next = this.nextSlab(size);
    this.buf.copy(next, 0, this.start, this.pos);
    if (this.bitPos >= 0) this.bitPos -= this.start;
    this.buf = next;
    this.start = 0;
    this.pos = pending;
  }

  /** The bytes written since the last take(), as a view; the writer moves past them. */
  take(): Buffer {
    const out = this.buf.subarray(this.start, this.pos);
    // Only slabs with an ArrayBuffer of their own are counted and reused: a small slab is a slice of
    // Node's shared pool, whose other slices belong to other Buffers.
    if (this.outstanding !== null && ownsBuffer(this.buf)) {
      const ab = this.buf.buffer;
      this.outstanding.set(ab, (this.outstanding.get(ab) ?? 0) + 1);
    }
    this.start = this.pos;
    if (this.buf.length - this.pos < this.buf.length >>> 3) {
      // a connection that keeps filling slabs gets bigger ones (reusable once they have their own memory)
      if (this.slabSize < MAX_SLAB) this.slabSize *= 2;
      this.buf = this.nextSlab(this.slabSize);
      this.start = this.pos = 0;
    }
    return out;
  }

  /**
   * Reserves a 32-bit length and returns where it is, relative to start: ensure() may move the
   * untaken bytes to a new slab, and a position relative to start survives that move.
   */
  reserveLength(): number {
    this.ensure(4);
    const mark = this.pos - this.start;
    this.pos += 4;
    return mark;
  }

  /** Writes the number of bytes written after the reserved length into it. */
  fillLength(mark: number): void {
    const at = this.start + mark;
    this.buf.writeUInt32BE(this.pos - at - 4, at);
  }

  /** Starts a frame: type, channel, and a reserved size; endFrame() completes it. */
  beginFrame(type: number, channel: number): number {
    this.bitMask = 0;
    this.ensure(7);
    this.openFrame = this.pos - this.start;
    this.buf[this.pos] = type;
    this.buf.writeUInt16BE(channel, this.pos + 1);
    this.pos += 3;
    return this.reserveLength();
  }

  endFrame(mark: number): void {
    this.bitMask = 0;
    this.fillLength(mark);
    this.ensure(1);
    this.buf[this.pos++] = 0xce;
    this.openFrame = -1;
  }

  /**
   * Drops a frame whose encoding failed part way (a name over 255 bytes), so that what follows it on
   * the connection is still well framed.
   */
  discardOpenFrame(): void {
    if (this.openFrame < 0) return;
    this.pos = this.start + this.openFrame;
    this.openFrame = -1;
    this.bitMask = 0;
    this.bitPos = -1;
  }

  octet(v: number): void {
    this.bitMask = 0;
    this.ensure(1);
    this.buf[this.pos++] = v;
  }

  short(v: number): void {
    this.bitMask = 0;
    this.ensure(2);
    this.buf.writeUInt16BE(v, this.pos);
    this.pos += 2;
  }

  long(v: number): void {
    this.bitMask = 0;
    this.ensure(4);
    this.buf.writeUInt32BE(v >>> 0, this.pos);
    this.pos += 4;
  }

  longlong(v: number): void {
    this.bitMask = 0;
    this.ensure(8);
    this.buf.writeUInt32BE(Math.floor(v / TWO_32) >>> 0, this.pos);
    this.buf.writeUInt32BE(v >>> 0, this.pos + 4);
    this.pos += 8;
  }

  timestamp(v: number): void {
    this.longlong(v);
  }

  bit(v: boolean): void {
    if (this.bitMask === 0 || this.bitMask === 0x100) {
      this.ensure(1);
      this.bitPos = this.pos;
      this.buf[this.pos++] = 0;
      this.bitMask = 1;
    }
    if (v) this.buf[this.bitPos] |= this.bitMask;
    this.bitMask <<= 1;
  }

  shortstr(s: string): void {
    this.bitMask = 0;
    // Short strings are at most 255 bytes; a longer one is a bug in the caller, not a client's fault.
    this.ensure(256);
    // Names on the delivery path (consumer tag, exchange, routing key) are short and ASCII: copying
    // their code units here is cheaper than a call into the UTF-8 encoder, once per name per delivery.
    const n = s.length;
    if (n <= SHORT_ASCII_MAX) {
      const buf = this.buf;
      const start = this.pos + 1;
      let i = 0;
      for (; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c > 0x7f) break;
        buf[start + i] = c;
      }
      if (i === n) {
        buf[this.pos] = n;
        this.pos = start + n;
        return;
      }
    }
    const len = this.buf.write(s, this.pos + 1, 255, 'utf8');
    // A string cut short stops within 3 bytes of the limit (a character is at most 4 bytes).
    if (len >= 252 && Buffer.byteLength(s) > 255) throw new RangeError(`short string too long: ${s.slice(0, 40)}…`);
    this.buf[this.pos] = len;
    this.pos += 1 + len;
  }

  longstr(v: Buffer | string): void {
    this.bitMask = 0;
    if (typeof v === 'string') {
      const len = Buffer.byteLength(v);
      this.ensure(4 + len);
      this.buf.writeUInt32BE(len, this.pos);
      this.buf.write(v, this.pos + 4, len, 'utf8');
      this.pos += 4 + len;
    } else {
      this.ensure(4 + v.length);
      this.buf.writeUInt32BE(v.length, this.pos);
      this.buf.set(v, this.pos + 4);
      this.pos += 4 + v.length;
    }
  }

  bytes(v: Buffer): void {
    this.bitMask = 0;
    this.ensure(v.length);
    this.buf.set(v, this.pos); // TypedArray.set: no per-call argument handling as in Buffer.copy
    this.pos += v.length;
  }

  table(t: FieldTable | undefined): void {
    this.bitMask = 0;
    const mark = this.reserveLength();
    if (t) {
      for (const [k, f] of t) {
        this.shortstr(k);
        this.field(f);
      }
    }
    this.fillLength(mark);
  }

  field(f: Field): void {
    this.ensure(9);
    const b = this.buf;
    b[this.pos++] = f.type.charCodeAt(0);
    switch (f.type) {
      case 't':
        b[this.pos++] = f.value ? 1 : 0;
        return;
      case 'b':
        b.writeInt8(f.value, this.pos++);
        return;
      case 'B':
        b[this.pos++] = f.value;
        return;
      case 's':
        b.writeInt16BE(f.value, this.pos);
        this.pos += 2;
        return;
      case 'u':
        b.writeUInt16BE(f.value, this.pos);
        this.pos += 2;
        return;
      case 'I':
        b.writeInt32BE(f.value, this.pos);
        this.pos += 4;
        return;
      case 'i':
        b.writeUInt32BE(f.value, this.pos);
        this.pos += 4;
        return;
      case 'l':
        b.writeBigInt64BE(f.value, this.pos);
        this.pos += 8;
        return;
      case 'f':
        b.writeFloatBE(f.value, this.pos);
        this.pos += 4;
        return;
      case 'd':
        b.writeDoubleBE(f.value, this.pos);
        this.pos += 8;
        return;
      case 'D': {
        const d: Decimal = f.value;
        b[this.pos] = d.scale;
        b.writeInt32BE(d.value, this.pos + 1);
        this.pos += 5;
        return;
      }
      case 'T':
        this.longlong(f.value);
        return;
      case 'S':
      case 'x':
        this.longstr(f.value);
        return;
      case 'F':
        this.table(f.value);
        return;
      case 'A': {
        const mark = this.reserveLength();
        for (const item of f.value) this.field(item);
        this.fillLength(mark);
        return;
      }
      case 'V':
        return;
    }
  }
}
