// The slice of AMQP 0-9-1 framing that the bench's raw client and null broker need:
// frame constants, an argument writer, an argument reader and a stream-to-frames splitter.
// Deliberately separate from src/ so the load generator never shares code (or bugs) with the broker it measures.

export const PROTOCOL_HEADER = Buffer.from([0x41, 0x4d, 0x51, 0x50, 0, 0, 9, 1]); // "AMQP" 0-9-1

export const FRAME_METHOD = 1;
export const FRAME_HEADER = 2;
export const FRAME_BODY = 3;
export const FRAME_HEARTBEAT = 8;
export const FRAME_END = 0xce;
/** type (1) + channel (2) + size (4) before the payload, frame-end (1) after it */
export const FRAME_OVERHEAD = 8;

/** class and method ids, named `CLASS_METHOD`, packed as (class << 16) | method so one switch can dispatch */
export const M = {
  CONNECTION_START: (10 << 16) | 10,
  CONNECTION_START_OK: (10 << 16) | 11,
  CONNECTION_TUNE: (10 << 16) | 30,
  CONNECTION_TUNE_OK: (10 << 16) | 31,
  CONNECTION_OPEN: (10 << 16) | 40,
  CONNECTION_OPEN_OK: (10 << 16) | 41,
  CONNECTION_CLOSE: (10 << 16) | 50,
  CONNECTION_CLOSE_OK: (10 << 16) | 51,
  CONNECTION_BLOCKED: (10 << 16) | 60,
  CONNECTION_UNBLOCKED: (10 << 16) | 61,
  CHANNEL_OPEN: (20 << 16) | 10,
  CHANNEL_OPEN_OK: (20 << 16) | 11,
  CHANNEL_FLOW: (20 << 16) | 20,
  CHANNEL_FLOW_OK: (20 << 16) | 21,
  CHANNEL_CLOSE: (20 << 16) | 40,
  CHANNEL_CLOSE_OK: (20 << 16) | 41,
  EXCHANGE_DECLARE: (40 << 16) | 10,
  EXCHANGE_DECLARE_OK: (40 << 16) | 11,
  EXCHANGE_DELETE: (40 << 16) | 20,
  EXCHANGE_DELETE_OK: (40 << 16) | 21,
  EXCHANGE_BIND: (40 << 16) | 30,
  EXCHANGE_BIND_OK: (40 << 16) | 31,
  EXCHANGE_UNBIND: (40 << 16) | 40,
  EXCHANGE_UNBIND_OK: (40 << 16) | 51,
  QUEUE_DECLARE: (50 << 16) | 10,
  QUEUE_DECLARE_OK: (50 << 16) | 11,
  QUEUE_BIND: (50 << 16) | 20,
  QUEUE_BIND_OK: (50 << 16) | 21,
  QUEUE_PURGE: (50 << 16) | 30,
  QUEUE_PURGE_OK: (50 << 16) | 31,
  QUEUE_DELETE: (50 << 16) | 40,
  QUEUE_DELETE_OK: (50 << 16) | 41,
  QUEUE_UNBIND: (50 << 16) | 50,
  QUEUE_UNBIND_OK: (50 << 16) | 51,
  BASIC_QOS: (60 << 16) | 10,
  BASIC_QOS_OK: (60 << 16) | 11,
  BASIC_CONSUME: (60 << 16) | 20,
  BASIC_CONSUME_OK: (60 << 16) | 21,
  BASIC_CANCEL: (60 << 16) | 30,
  BASIC_CANCEL_OK: (60 << 16) | 31,
  BASIC_PUBLISH: (60 << 16) | 40,
  BASIC_RETURN: (60 << 16) | 50,
  BASIC_DELIVER: (60 << 16) | 60,
  BASIC_ACK: (60 << 16) | 80,
  BASIC_NACK: (60 << 16) | 120,
  CONFIRM_SELECT: (85 << 16) | 10,
  CONFIRM_SELECT_OK: (85 << 16) | 11,
} as const;

export const BASIC_CLASS = 60;

/** Grows a buffer while method arguments are appended; only used off the hot path or to build templates. */
export class ArgWriter {
  private buf = Buffer.allocUnsafe(256);
  private len = 0;

  private room(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.len + n));
    this.buf.copy(bigger, 0, 0, this.len);
    this.buf = bigger;
  }

  u8(v: number): this {
    this.room(1);
    this.buf.writeUInt8(v, this.len);
    this.len += 1;
    return this;
  }

  u16(v: number): this {
    this.room(2);
    this.buf.writeUInt16BE(v, this.len);
    this.len += 2;
    return this;
  }

  u32(v: number): this {
    this.room(4);
    this.buf.writeUInt32BE(v, this.len);
    this.len += 4;
    return this;
  }

  u64(v: number): this {
    this.room(8);
    this.buf.writeBigUInt64BE(BigInt(v), this.len);
    this.len += 8;
    return this;
  }

  shortstr(s: string): this {
    const bytes = Buffer.from(s, 'utf8');
    if (bytes.length > 255) throw new RangeError(`shortstr too long: ${s.slice(0, 40)}…`);
    this.u8(bytes.length);
    return this.bytes(bytes);
  }

  longstr(s: string | Buffer): this {
    const bytes = typeof s === 'string' ? Buffer.from(s, 'utf8') : s;
    this.u32(bytes.length);
    return this.bytes(bytes);
  }

  /** A field table holding only string values: all the bench ever sends (client/server properties). */
  stringTable(entries: Record<string, string>): this {
    const inner = new ArgWriter();
    for (const [key, value] of Object.entries(entries)) inner.shortstr(key).u8(0x53 /* 'S' */).longstr(value);
    return this.longstr(inner.toBuffer());
  }

  bytes(b: Buffer): this {
    this.room(b.length);
    b.copy(this.buf, this.len);
    this.len += b.length;
    return this;
  }

  toBuffer(): Buffer {
    return this.buf.subarray(0, this.len);
  }
}

/** Reads method arguments in order from a frame payload; never copies the payload. */
export class ArgReader {
  constructor(
    private readonly buf: Buffer,
    private pos: number,
  ) {}

  u8(): number {
    return this.buf[this.pos++]!;
  }

  u16(): number {
    const v = this.buf.readUInt16BE(this.pos);
    this.pos += 2;
    return v;
  }

  u32(): number {
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  /** Delivery tags fit a double for any run the bench can make (2^53 messages). */
  u64(): number {
    const v = this.buf.readUInt32BE(this.pos) * 0x1_0000_0000 + this.buf.readUInt32BE(this.pos + 4);
    this.pos += 8;
    return v;
  }

  shortstr(): string {
    const n = this.u8();
    const s = this.buf.toString('utf8', this.pos, this.pos + n);
    this.pos += n;
    return s;
  }

  skipShortstr(): void {
    this.pos += 1 + this.buf[this.pos]!;
  }

  longstr(): string {
    const n = this.u32();
    const s = this.buf.toString('utf8', this.pos, this.pos + n);
    this.pos += n;
    return s;
  }

  /** Tables are length-prefixed, so skipping one needs no parsing of its contents. */
  skipTable(): void {
    this.pos += 4 + this.buf.readUInt32BE(this.pos);
  }
}

/** Builds a whole method frame around the given argument bytes. */
export function methodFrame(channel: number, method: number, args: Buffer = Buffer.alloc(0)): Buffer {
  const frame = Buffer.allocUnsafe(FRAME_OVERHEAD + 4 + args.length);
  frame.writeUInt8(FRAME_METHOD, 0);
  frame.writeUInt16BE(channel, 1);
  frame.writeUInt32BE(4 + args.length, 3);
  frame.writeUInt32BE(method, 7);
  args.copy(frame, 11);
  frame.writeUInt8(FRAME_END, frame.length - 1);
  return frame;
}

/** Writes a frame header (type, channel, payload size) at `at`; the caller fills the payload and the end octet. */
export function writeFrameHeader(buf: Buffer, at: number, type: number, channel: number, payloadSize: number): void {
  buf[at] = type;
  buf.writeUInt16BE(channel, at + 1);
  buf.writeUInt32BE(payloadSize, at + 3);
}

export type FrameHandler = (type: number, channel: number, buf: Buffer, payloadStart: number, payloadEnd: number) => void;

/**
 * Cuts a TCP byte stream into frames. Frames wholly inside a chunk are handed over as offsets into it,
 * so the common case allocates nothing; only a frame split across chunks is copied together.
 */
export class FrameSplitter {
  private partial: Buffer | null = null;

  constructor(private readonly onFrame: FrameHandler) {}

  push(chunk: Buffer): void {
    let buf = chunk;
    if (this.partial) {
      buf = Buffer.concat([this.partial, chunk]);
      this.partial = null;
    }
    let pos = 0;
    const end = buf.length;
    while (end - pos >= FRAME_OVERHEAD) {
      const size = buf.readUInt32BE(pos + 3);
      const frameEnd = pos + 7 + size + 1;
      if (frameEnd > end) break;
      if (buf[frameEnd - 1] !== FRAME_END) throw new Error(`bad frame end octet at ${frameEnd - 1}`);
      this.onFrame(buf[pos]!, buf.readUInt16BE(pos + 1), buf, pos + 7, pos + 7 + size);
      pos = frameEnd;
    }
    if (pos < end) this.partial = buf.subarray(pos);
  }
}
