// A deliberately small AMQP 0-9-1 client that builds and parses frames by hand, for tests that pin
// wire-level behaviour (handshake, framing errors, heartbeats) which a real client library hides.
// It shares no code with src/: a bug in Warren's codec must not be able to hide itself here.
import * as net from 'node:net';

export const FRAME_METHOD = 1;
export const FRAME_HEADER = 2;
export const FRAME_BODY = 3;
export const FRAME_HEARTBEAT = 8;
export const FRAME_END = 0xce;

/** 'AMQP', 0, 0, 9, 1 */
export const PROTOCOL_HEADER = Buffer.from([0x41, 0x4d, 0x51, 0x50, 0, 0, 9, 1]);

// ---------------------------------------------------------------------------------------------
// Field values

/** A value whose AMQP field type is given explicitly (e.g. a 64-bit 'l' or a timestamp 'T'). */
export interface Typed {
  type: string;
  value: unknown;
}
export type FieldValue = boolean | number | bigint | string | Buffer | null | Typed | FieldTable | FieldValue[];
export interface FieldTable {
  [key: string]: FieldValue;
}

export function typed(type: string, value: unknown): Typed {
  return { type, value };
}

function isTyped(v: unknown): v is Typed {
  return typeof v === 'object' && v !== null && !Buffer.isBuffer(v) && !Array.isArray(v) && Object.keys(v).length === 2 && 'type' in v && 'value' in v;
}

// ---------------------------------------------------------------------------------------------
// Encoding

export class Writer {
  private parts: Buffer[] = [];
  private bitByte = -1;
  private bitCount = 0;

  private flushBits(): void {
    if (this.bitCount > 0) {
      this.parts.push(Buffer.from([this.bitByte]));
      this.bitByte = -1;
      this.bitCount = 0;
    }
  }
  private push(b: Buffer): this {
    this.flushBits();
    this.parts.push(b);
    return this;
  }
  raw(b: Buffer): this {
    return this.push(b);
  }
  octet(n: number): this {
    const b = Buffer.alloc(1);
    b.writeUInt8(n);
    return this.push(b);
  }
  short(n: number): this {
    const b = Buffer.alloc(2);
    b.writeUInt16BE(n);
    return this.push(b);
  }
  long(n: number): this {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n);
    return this.push(b);
  }
  longlong(n: bigint | number): this {
    const b = Buffer.alloc(8);
    b.writeBigUInt64BE(BigInt(n));
    return this.push(b);
  }
  shortstr(s: string): this {
    const body = Buffer.from(s, 'utf8');
    if (body.length > 255) throw new RangeError('shortstr longer than 255 bytes');
    return this.octet(body.length).push(body);
  }
  longstr(s: string | Buffer): this {
    const body = typeof s === 'string' ? Buffer.from(s, 'utf8') : s;
    return this.long(body.length).push(body);
  }
  /** Consecutive bits share an octet, as the spec packs them. */
  bit(v: boolean): this {
    if (this.bitCount === 8) this.flushBits();
    if (this.bitCount === 0) this.bitByte = 0;
    if (v) this.bitByte |= 1 << this.bitCount;
    this.bitCount++;
    return this;
  }
  table(t: FieldTable): this {
    return this.longstr(encodeTableBody(t));
  }
  toBuffer(): Buffer {
    this.flushBits();
    return Buffer.concat(this.parts);
  }
}

function encodeValue(w: Writer, v: FieldValue): void {
  if (v === null) {
    w.octet(0x56); // 'V'
  } else if (typeof v === 'boolean') {
    w.octet(0x74).octet(v ? 1 : 0); // 't'
  } else if (typeof v === 'bigint') {
    const b = Buffer.alloc(8);
    b.writeBigInt64BE(v);
    w.octet(0x6c).raw(b); // 'l'
  } else if (typeof v === 'number') {
    if (Number.isInteger(v) && v >= -0x80000000 && v <= 0x7fffffff) {
      const b = Buffer.alloc(4);
      b.writeInt32BE(v);
      w.octet(0x49).raw(b); // 'I'
    } else if (Number.isInteger(v)) {
      const b = Buffer.alloc(8);
      b.writeBigInt64BE(BigInt(v));
      w.octet(0x6c).raw(b);
    } else {
      const b = Buffer.alloc(8);
      b.writeDoubleBE(v);
      w.octet(0x64).raw(b); // 'd'
    }
  } else if (typeof v === 'string') {
    w.octet(0x53).longstr(v); // 'S'
  } else if (Buffer.isBuffer(v)) {
    w.octet(0x78).longstr(v); // 'x'
  } else if (Array.isArray(v)) {
    const inner = new Writer();
    for (const item of v) encodeValue(inner, item);
    w.octet(0x41).longstr(inner.toBuffer()); // 'A'
  } else if (isTyped(v)) {
    const code = v.type.charCodeAt(0);
    w.octet(code);
    switch (v.type) {
      case 'T':
        w.longlong(v.value as bigint | number);
        break;
      case 'l': {
        const b = Buffer.alloc(8);
        b.writeBigInt64BE(BigInt(v.value as bigint | number));
        w.raw(b);
        break;
      }
      case 's': {
        const b = Buffer.alloc(2);
        b.writeInt16BE(v.value as number);
        w.raw(b);
        break;
      }
      case 'b': {
        const b = Buffer.alloc(1);
        b.writeInt8(v.value as number);
        w.raw(b);
        break;
      }
      case 'f': {
        const b = Buffer.alloc(4);
        b.writeFloatBE(v.value as number);
        w.raw(b);
        break;
      }
      default:
        throw new Error(`typed(): unsupported field type ${v.type}`);
    }
  } else {
    w.octet(0x46).table(v); // 'F'
  }
}

/** A field table's entries without its 4-byte length prefix (which is how AMQPLAIN sends its response). */
export function encodeTableBody(t: FieldTable): Buffer {
  const w = new Writer();
  for (const [k, v] of Object.entries(t)) {
    w.shortstr(k);
    encodeValue(w, v);
  }
  return w.toBuffer();
}

export function frame(type: number, channel: number, payload: Buffer): Buffer {
  const b = Buffer.alloc(7 + payload.length + 1);
  b.writeUInt8(type, 0);
  b.writeUInt16BE(channel, 1);
  b.writeUInt32BE(payload.length, 3);
  payload.copy(b, 7);
  b.writeUInt8(FRAME_END, 7 + payload.length);
  return b;
}

export function methodFrame(channel: number, classId: number, methodId: number, args: Buffer = Buffer.alloc(0)): Buffer {
  return frame(FRAME_METHOD, channel, Buffer.concat([new Writer().short(classId).short(methodId).toBuffer(), args]));
}

export function heartbeatFrame(): Buffer {
  return frame(FRAME_HEARTBEAT, 0, Buffer.alloc(0));
}

export interface BasicProperties {
  contentType?: string;
  deliveryMode?: number;
  headers?: FieldTable;
}

/** A basic content header; only a few properties are supported, which is all the wire tests need. */
export function headerFrame(channel: number, bodySize: number, props: BasicProperties = {}): Buffer {
  let flags = 0;
  const w = new Writer();
  if (props.contentType !== undefined) {
    flags |= 1 << 15;
    w.shortstr(props.contentType);
  }
  if (props.headers !== undefined) {
    flags |= 1 << 13;
    w.table(props.headers);
  }
  if (props.deliveryMode !== undefined) {
    flags |= 1 << 12;
    w.octet(props.deliveryMode);
  }
  const head = new Writer().short(60).short(0).longlong(bodySize).short(flags).toBuffer();
  return frame(FRAME_HEADER, channel, Buffer.concat([head, w.toBuffer()]));
}

export function bodyFrame(channel: number, body: Buffer): Buffer {
  return frame(FRAME_BODY, channel, body);
}

/** Method frames the tests send. Each returns a complete frame. */
export const M = {
  startOk(o: { clientProperties?: FieldTable; mechanism?: string; response: Buffer | string; locale?: string }): Buffer {
    const args = new Writer()
      .table(o.clientProperties ?? defaultClientProperties())
      .shortstr(o.mechanism ?? 'PLAIN')
      .longstr(o.response)
      .shortstr(o.locale ?? 'en_US')
      .toBuffer();
    return methodFrame(0, 10, 11, args);
  },
  tuneOk(channelMax: number, frameMax: number, heartbeat: number): Buffer {
    return methodFrame(0, 10, 31, new Writer().short(channelMax).long(frameMax).short(heartbeat).toBuffer());
  },
  connectionOpen(vhost = '/'): Buffer {
    return methodFrame(0, 10, 40, new Writer().shortstr(vhost).shortstr('').bit(false).toBuffer());
  },
  connectionClose(code = 200, text = 'bye', classId = 0, methodId = 0): Buffer {
    return methodFrame(0, 10, 50, new Writer().short(code).shortstr(text).short(classId).short(methodId).toBuffer());
  },
  connectionCloseOk(): Buffer {
    return methodFrame(0, 10, 51);
  },
  channelOpen(channel: number): Buffer {
    return methodFrame(channel, 20, 10, new Writer().shortstr('').toBuffer());
  },
  channelClose(channel: number, code = 200, text = 'bye', classId = 0, methodId = 0): Buffer {
    return methodFrame(channel, 20, 40, new Writer().short(code).shortstr(text).short(classId).short(methodId).toBuffer());
  },
  channelCloseOk(channel: number): Buffer {
    return methodFrame(channel, 20, 41);
  },
  queueDeclare(
    channel: number,
    queue: string,
    o: { passive?: boolean; durable?: boolean; exclusive?: boolean; autoDelete?: boolean; arguments?: FieldTable } = {},
  ): Buffer {
    const args = new Writer()
      .short(0)
      .shortstr(queue)
      .bit(o.passive ?? false)
      .bit(o.durable ?? false)
      .bit(o.exclusive ?? false)
      .bit(o.autoDelete ?? false)
      .bit(false) // no-wait
      .table(o.arguments ?? {})
      .toBuffer();
    return methodFrame(channel, 50, 10, args);
  },
  queueDelete(channel: number, queue: string): Buffer {
    return methodFrame(channel, 50, 40, new Writer().short(0).shortstr(queue).bit(false).bit(false).bit(false).toBuffer());
  },
  basicPublish(channel: number, exchange: string, routingKey: string, mandatory = false): Buffer {
    return methodFrame(channel, 60, 40, new Writer().short(0).shortstr(exchange).shortstr(routingKey).bit(mandatory).bit(false).toBuffer());
  },
  basicGet(channel: number, queue: string, noAck = true): Buffer {
    return methodFrame(channel, 60, 70, new Writer().short(0).shortstr(queue).bit(noAck).toBuffer());
  },
};

export function defaultClientProperties(): FieldTable {
  return {
    product: 'warren-raw-test-client',
    platform: `Node.js ${process.version}`,
    capabilities: { authentication_failure_close: true, 'basic.nack': true, publisher_confirms: true },
  };
}

export function plainResponse(user: string, pass: string): Buffer {
  return Buffer.from(`\0${user}\0${pass}`, 'utf8');
}

export function amqplainResponse(user: string, pass: string): Buffer {
  return encodeTableBody({ LOGIN: user, PASSWORD: pass });
}

// ---------------------------------------------------------------------------------------------
// Decoding

export class Reader {
  pos = 0;
  private bitByte = 0;
  private bitIndex = 8;
  constructor(readonly buf: Buffer) {}

  private take(n: number): Buffer {
    if (this.pos + n > this.buf.length) throw new RangeError(`read past end (${this.pos}+${n} > ${this.buf.length})`);
    this.bitIndex = 8;
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }
  octet(): number {
    return this.take(1).readUInt8(0);
  }
  short(): number {
    return this.take(2).readUInt16BE(0);
  }
  long(): number {
    return this.take(4).readUInt32BE(0);
  }
  longlong(): bigint {
    return this.take(8).readBigUInt64BE(0);
  }
  shortstr(): string {
    return this.take(this.octet()).toString('utf8');
  }
  longstr(): Buffer {
    return this.take(this.long());
  }
  bit(): boolean {
    if (this.bitIndex === 8) {
      this.bitByte = this.take(1).readUInt8(0);
      this.bitIndex = 0;
    }
    return ((this.bitByte >> this.bitIndex++) & 1) === 1;
  }
  table(): FieldTable {
    return decodeTableBody(this.longstr());
  }
  atEnd(): boolean {
    return this.pos === this.buf.length;
  }
}

/** Decoded field values keep their wire type, so tests can assert e.g. that capabilities are booleans. */
export interface DecodedField {
  type: string;
  value: unknown;
}

function decodeValue(r: Reader): DecodedField {
  const type = String.fromCharCode(r.octet());
  const b = (n: number): Buffer => {
    const out = Buffer.from(r.buf.subarray(r.pos, r.pos + n));
    r.pos += n;
    return out;
  };
  switch (type) {
    case 't':
      return { type, value: r.octet() !== 0 };
    case 'b':
      return { type, value: b(1).readInt8(0) };
    case 'B':
      return { type, value: b(1).readUInt8(0) };
    case 's':
      return { type, value: b(2).readInt16BE(0) };
    case 'u':
      return { type, value: b(2).readUInt16BE(0) };
    case 'I':
      return { type, value: b(4).readInt32BE(0) };
    case 'i':
      return { type, value: b(4).readUInt32BE(0) };
    case 'l':
      return { type, value: b(8).readBigInt64BE(0) };
    case 'f':
      return { type, value: b(4).readFloatBE(0) };
    case 'd':
      return { type, value: b(8).readDoubleBE(0) };
    case 'D': {
      const scale = r.octet();
      return { type, value: { scale, value: b(4).readUInt32BE(0) } };
    }
    case 'S':
      return { type, value: r.longstr().toString('utf8') };
    case 'x':
      return { type, value: Buffer.from(r.longstr()) };
    case 'T':
      return { type, value: r.longlong() };
    case 'F':
      return { type, value: decodeTableTyped(r.longstr()) };
    case 'A': {
      const inner = new Reader(r.longstr());
      const items: DecodedField[] = [];
      while (!inner.atEnd()) items.push(decodeValue(inner));
      return { type, value: items };
    }
    case 'V':
      return { type, value: null };
    default:
      throw new Error(`unknown field type ${JSON.stringify(type)}`);
  }
}

export interface TypedTable {
  [key: string]: DecodedField;
}

export function decodeTableTyped(body: Buffer): TypedTable {
  const r = new Reader(body);
  const out: TypedTable = {};
  while (!r.atEnd()) {
    const key = r.shortstr();
    out[key] = decodeValue(r);
  }
  return out;
}

function untype(f: DecodedField): FieldValue {
  if (f.type === 'F') {
    const t: FieldTable = {};
    for (const [k, v] of Object.entries(f.value as TypedTable)) t[k] = untype(v);
    return t;
  }
  if (f.type === 'A') return (f.value as DecodedField[]).map(untype);
  return f.value as FieldValue;
}

export function decodeTableBody(body: Buffer): FieldTable {
  const t: FieldTable = {};
  for (const [k, v] of Object.entries(decodeTableTyped(body))) t[k] = untype(v);
  return t;
}

export interface Frame {
  type: number;
  channel: number;
  payload: Buffer;
}

export interface MethodFrame extends Frame {
  classId: number;
  methodId: number;
  /** positioned at the method's arguments */
  args: Reader;
}

export function asMethod(f: Frame): MethodFrame {
  if (f.type !== FRAME_METHOD) throw new Error(`expected a method frame, got frame type ${f.type}`);
  const args = new Reader(f.payload);
  const classId = args.short();
  const methodId = args.short();
  return { ...f, classId, methodId, args };
}

export interface ConnectionStart {
  versionMajor: number;
  versionMinor: number;
  serverProperties: TypedTable;
  mechanisms: string[];
  locales: string[];
}

export function parseStart(m: MethodFrame): ConnectionStart {
  expectIds(m, 10, 10);
  const versionMajor = m.args.octet();
  const versionMinor = m.args.octet();
  const serverProperties = decodeTableTyped(m.args.longstr());
  const mechanisms = m.args.longstr().toString('utf8').split(' ').filter(Boolean);
  const locales = m.args.longstr().toString('utf8').split(' ').filter(Boolean);
  return { versionMajor, versionMinor, serverProperties, mechanisms, locales };
}

export interface Tune {
  channelMax: number;
  frameMax: number;
  heartbeat: number;
}

export function parseTune(m: MethodFrame): Tune {
  expectIds(m, 10, 30);
  return { channelMax: m.args.short(), frameMax: m.args.long(), heartbeat: m.args.short() };
}

export interface GetOk {
  deliveryTag: bigint;
  redelivered: boolean;
  exchange: string;
  routingKey: string;
  messageCount: number;
}

export function parseGetOk(m: MethodFrame): GetOk {
  expectIds(m, 60, 71);
  return {
    deliveryTag: m.args.longlong(),
    redelivered: m.args.bit(),
    exchange: m.args.shortstr(),
    routingKey: m.args.shortstr(),
    messageCount: m.args.long(),
  };
}

export interface Close {
  replyCode: number;
  replyText: string;
  classId: number;
  methodId: number;
}

/** connection.close (10,50) or channel.close (20,40) */
export function parseClose(m: MethodFrame): Close {
  return { replyCode: m.args.short(), replyText: m.args.shortstr(), classId: m.args.short(), methodId: m.args.short() };
}

function expectIds(m: MethodFrame, classId: number, methodId: number): void {
  if (m.classId !== classId || m.methodId !== methodId) {
    const extra = m.classId === 10 && m.methodId === 50 ? ` ${JSON.stringify(parseClose(m))}` : '';
    throw new Error(`expected method ${classId}.${methodId}, got ${m.classId}.${m.methodId}${extra}`);
  }
}

// ---------------------------------------------------------------------------------------------
// The client

export class SocketClosedError extends Error {
  constructor(readonly pending: number) {
    super(`socket closed (${pending} unread bytes)`);
  }
}

export interface HandshakeOptions {
  user?: string;
  pass?: string;
  mechanism?: 'PLAIN' | 'AMQPLAIN';
  clientProperties?: FieldTable;
  /** what the client answers in tune-ok; defaults to what the server proposed */
  channelMax?: number;
  frameMax?: number;
  heartbeat?: number;
  vhost?: string;
}

export interface Handshake {
  start: ConnectionStart;
  tune: Tune;
}

export class RawClient {
  readonly socket: net.Socket;
  /** resolves when the socket has closed (for any reason) */
  readonly closed: Promise<void>;
  private buf: Buffer = Buffer.alloc(0);
  private ended = false;
  private wake: (() => void) | null = null;
  /** heartbeat frames skipped by nextMethod() */
  heartbeatsSeen = 0;
  /** credentials and vhost used by handshake() unless overridden; taken from the URL by connect() */
  user = 'guest';
  pass = 'guest';
  vhost = '/';

  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.setNoDelay(true);
    socket.on('data', (d: Buffer) => {
      this.buf = this.buf.length === 0 ? d : Buffer.concat([this.buf, d]);
      this.notify();
    });
    socket.on('error', () => {
      // surfaced through `closed` and SocketClosedError; a reset by the peer is an expected outcome here
    });
    this.closed = new Promise((resolve) => {
      socket.on('close', () => {
        this.ended = true;
        this.notify();
        resolve();
      });
    });
  }

  static async connect(url: string): Promise<RawClient> {
    const u = new URL(url);
    const port = u.port ? Number(u.port) : 5672;
    const c = await RawClient.connectTo(u.hostname, port);
    if (u.username) c.user = decodeURIComponent(u.username);
    if (u.password) c.pass = decodeURIComponent(u.password);
    if (u.pathname.length > 1) c.vhost = decodeURIComponent(u.pathname.slice(1));
    return c;
  }

  static connectTo(host: string, port: number): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host, port });
      const onError = (err: Error): void => reject(err);
      socket.once('error', onError);
      socket.once('connect', () => {
        socket.off('error', onError);
        resolve(new RawClient(socket));
      });
    });
  }

  private notify(): void {
    const w = this.wake;
    this.wake = null;
    if (w) w();
  }

  private async need(n: number): Promise<void> {
    while (this.buf.length < n) {
      if (this.ended) throw new SocketClosedError(this.buf.length);
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
    }
  }

  /** bytes received and not yet consumed */
  get pending(): number {
    return this.buf.length;
  }

  get isClosed(): boolean {
    return this.ended;
  }

  write(b: Buffer | string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.socket.write(b, (err) => (err ? reject(err) : resolve()));
    });
  }

  /** Writes `b` one byte per socket write, waiting for each to be handed to the kernel (Nagle is off). */
  async writeBytewise(b: Buffer): Promise<void> {
    for (let i = 0; i < b.length; i++) await this.write(b.subarray(i, i + 1));
  }

  async readBytes(n: number): Promise<Buffer> {
    await this.need(n);
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    return Buffer.from(out);
  }

  async nextFrame(): Promise<Frame> {
    await this.need(7);
    const size = this.buf.readUInt32BE(3);
    await this.need(7 + size + 1);
    const type = this.buf.readUInt8(0);
    const channel = this.buf.readUInt16BE(1);
    const end = this.buf.readUInt8(7 + size);
    if (end !== FRAME_END) throw new Error(`bad frame end 0x${end.toString(16)}`);
    const payload = Buffer.from(this.buf.subarray(7, 7 + size));
    this.buf = this.buf.subarray(8 + size);
    return { type, channel, payload };
  }

  /** The next method frame; heartbeat frames before it are counted and skipped. */
  async nextMethod(): Promise<MethodFrame> {
    for (;;) {
      const f = await this.nextFrame();
      if (f.type === FRAME_HEARTBEAT) {
        this.heartbeatsSeen++;
        continue;
      }
      return asMethod(f);
    }
  }

  async expectMethod(classId: number, methodId: number): Promise<MethodFrame> {
    const m = await this.nextMethod();
    expectIds(m, classId, methodId);
    return m;
  }

  /**
   * Expects the server to close the connection with connection.close, answers close-ok and waits for
   * the socket to close. Returns what the server said.
   */
  async expectConnectionClose(): Promise<Close> {
    const m = await this.expectMethod(10, 50);
    if (m.channel !== 0) throw new Error(`connection.close on channel ${m.channel}`);
    const close = parseClose(m);
    await this.write(M.connectionCloseOk()).catch(() => {});
    await this.closed;
    return close;
  }

  async expectChannelClose(channel: number): Promise<Close> {
    const m = await this.expectMethod(20, 40);
    if (m.channel !== channel) throw new Error(`channel.close on channel ${m.channel}, expected ${channel}`);
    return parseClose(m);
  }

  /** Protocol header, start/start-ok, tune/tune-ok, open/open-ok. */
  async handshake(o: HandshakeOptions = {}): Promise<Handshake> {
    const start = await this.startAndLogin(o);
    const tune = parseTune(await this.nextMethod());
    await this.write(
      M.tuneOk(o.channelMax ?? tune.channelMax, o.frameMax ?? tune.frameMax, o.heartbeat ?? tune.heartbeat),
    );
    await this.write(M.connectionOpen(o.vhost ?? this.vhost));
    await this.expectMethod(10, 41);
    return { start, tune };
  }

  /** Protocol header, connection.start, start-ok; stops before tune. */
  async startAndLogin(o: HandshakeOptions = {}): Promise<ConnectionStart> {
    await this.write(PROTOCOL_HEADER);
    const start = parseStart(await this.nextMethod());
    const user = o.user ?? this.user;
    const pass = o.pass ?? this.pass;
    const mechanism = o.mechanism ?? 'PLAIN';
    const response = mechanism === 'PLAIN' ? plainResponse(user, pass) : amqplainResponse(user, pass);
    await this.write(M.startOk({ clientProperties: o.clientProperties, mechanism, response }));
    return start;
  }

  /**
   * Reads a content header and its body frames on `channel` (after basic.get-ok or basic.deliver) and
   * returns the reassembled body.
   */
  async readContent(channel: number): Promise<{ bodySize: number; body: Buffer; frameSizes: number[] }> {
    const h = await this.nextFrame();
    if (h.type !== FRAME_HEADER || h.channel !== channel) {
      throw new Error(`expected a content header on channel ${channel}, got type ${h.type} on ${h.channel}`);
    }
    const r = new Reader(h.payload);
    r.short(); // class
    r.short(); // weight
    const bodySize = Number(r.longlong());
    const parts: Buffer[] = [];
    const frameSizes: number[] = [];
    let got = 0;
    while (got < bodySize) {
      const b = await this.nextFrame();
      if (b.type !== FRAME_BODY || b.channel !== channel) {
        throw new Error(`expected a content body on channel ${channel}, got type ${b.type} on ${b.channel}`);
      }
      parts.push(b.payload);
      frameSizes.push(b.payload.length);
      got += b.payload.length;
    }
    return { bodySize, body: Buffer.concat(parts), frameSizes };
  }

  /** Reads every frame until the server closes the socket. */
  async drainUntilClosed(): Promise<Frame[]> {
    const frames: Frame[] = [];
    for (;;) {
      try {
        frames.push(await this.nextFrame());
      } catch (err) {
        if (err instanceof SocketClosedError) return frames;
        throw err;
      }
    }
  }

  async openChannel(channel: number): Promise<void> {
    await this.write(M.channelOpen(channel));
    const m = await this.expectMethod(20, 11);
    if (m.channel !== channel) throw new Error(`channel.open-ok on channel ${m.channel}`);
  }

  /** Polite shutdown: connection.close, wait for close-ok, then the socket. */
  async close(): Promise<void> {
    if (this.ended) return;
    await this.write(M.connectionClose());
    await this.expectMethod(10, 51);
    this.socket.end();
    await this.closed;
  }

  destroy(): void {
    this.socket.destroy();
  }
}
