// One client connection: the protocol handshake, frame dispatch to channels, heartbeats, error
// escalation (soft errors close a channel, hard errors the connection), and the output path, which
// batches every frame produced in one turn of the event loop into a single socket write.
import type { Socket } from 'node:net';
import { DecodeError, Reader, Writer } from '../amqp/codec.js';
import { tableOf, type FieldTable } from '../amqp/field-table.js';
import { erlangBinary } from '../amqp/erlang-format.js';
import { FrameError, FrameReader, type FrameSink } from '../amqp/frame-reader.js';
import {
  FRAME_BODY,
  FRAME_HEADER,
  FRAME_HEARTBEAT,
  FRAME_METHOD,
  FRAME_MIN_SIZE,
  METHOD_NAMES,
  MethodId,
  PROTOCOL_HEADER,
  ReplyCode,
  decodeMethod,
  encodeBasicDeliver,
  encodeChannelClose,
  encodeChannelCloseOk,
  encodeChannelOpenOk,
  encodeConnectionBlocked,
  encodeConnectionClose,
  encodeConnectionCloseOk,
  encodeConnectionUpdateSecretOk,
  encodeConnectionOpenOk,
  encodeConnectionStart,
  encodeConnectionTune,
  encodeConnectionUnblocked,
  type Method,
} from '../amqp/spec.js';
import type { Broker } from '../broker/broker.js';
import { AmqpError, channelError, commandInvalid, frameError, internalError, notAllowed, unexpectedFrame } from '../broker/errors.js';
import type { Message } from '../broker/message.js';
import type { MessageStorage } from '../broker/message-storage.js';
import type { FlowWaiter, Queue } from '../broker/queue.js';
import type { VHost } from '../broker/vhost.js';
import { AccessCheck } from './access-check.js';
import { MECHANISMS, isKnownMechanism, parseCredentials } from './auth.js';
import { Channel, type ChannelSnapshot } from './channel.js';
import type { Logger } from './logger.js';

export interface ConnectionLimits {
  channelMax: number;
  frameMax: number;
  heartbeat: number;
}

export const DEFAULT_LIMITS: ConnectionLimits = { channelMax: 2047, frameMax: 131072, heartbeat: 60 };

/** Socket bytes buffered for the client beyond which deliveries wait for 'drain'. */
const WRITE_BUFFER_LIMIT = 1024 * 1024;
/** Bodies up to this size are copied into the output slab; larger ones are written as they are. */
const COPY_BODY_LIMIT = 16 * 1024;
const HANDSHAKE_TIMEOUT_MS = 10_000;
/** Longest a publisher is held by flow control before it may read again. */
const MAX_FLOW_HOLD_MS = 1_000;
/** How long to wait for close-ok after sending connection.close. */
const CLOSE_OK_TIMEOUT_MS = 3_000;

const enum State {
  AwaitingHeader,
  AwaitingStartOk,
  AwaitingTuneOk,
  AwaitingOpen,
  Open,
  Closing,
  Closed,
}

export interface ConnectionContext {
  broker: Broker;
  limits: ConnectionLimits;
  log: Logger;
  serverProperties: FieldTable;
  /** What is low, while a resource alarm is on ("low on disk", "low on memory"); null otherwise. */
  alarms: { readonly reason: string | null } | null;
  onClosed(conn: Connection): void;
}

export interface ConnectionSnapshot {
  id: number;
  /** "peer:port -> local:port", as RabbitMQ names connections */
  name: string;
  peerHost: string;
  peerPort: number;
  host: string;
  port: number;
  user: string;
  vhost: string;
  state: 'starting' | 'running' | 'blocked' | 'closing';
  channels: ChannelSnapshot[];
  clientProperties: FieldTable;
  authMechanism: string;
  connectedAt: number;
  frameMax: number;
  channelMax: number;
  heartbeat: number;
  recvOct: number;
  sendOct: number;
  /** socket reads, socket writes, and bytes waiting in the socket */
  recvCnt: number;
  sendCnt: number;
  sendPend: number;
  /** For an amqps connection: the negotiated protocol and cipher, and the client's certificate subject. */
  tls: { protocol: string; cipher: string; peerCertSubject: string | null } | null;
}

export class Connection implements FrameSink, FlowWaiter {
  readonly writer = new Writer(undefined, true);
  vhost: VHost | null = null;
  username = '';
  /** The user's permissions in the vhost, from connection.open on. */
  access: AccessCheck | null = null;
  /** The client asked for basic.cancel when the broker cancels its consumer. */
  clientCancelNotify = false;
  /** The client understands connection.blocked / unblocked. */
  private clientBlockedNotify = false;
  private hasPublished = false;
  private alarmBlocked = false;
  /** A transaction's commit is waiting for the disk: input is held (see holdUntilDurable). */
  private awaitingDurable = false;
  private authFailureClose = false;
  clientProperties: FieldTable = new Map();

  private state = State.AwaitingHeader;
  private readonly reader = new Reader();
  private readonly frames: FrameReader;
  private readonly channels = new Map<number, Channel>();
  /** Channels the broker closed, whose close-ok has not come back yet; their frames are dropped. */
  private readonly closingChannels = new Set<number>();
  private headerBytes: Buffer | null = null;
  private channelMax: number;
  private frameMax: number;
  private heartbeat = 0;

  // output
  private readonly out: Buffer[] = [];
  private outExternalBytes = 0;
  private flushScheduled = false;
  private readonly confirmChannels: Channel[] = [];
  private readonly durableChannels: Channel[] = [];
  /** The socket's buffer is past its limit: deliveries wait for 'drain'. */
  private socketBlocked = false;
  /** A consumer found no room to deliver; resume consumers once there is. */
  private stalled = false;
  /** Queues in flow control that this connection published to; reading waits until all release it. */
  private readonly heldBy = new Set<Queue>();
  private flowTimer: NodeJS.Timeout | null = null;
  private readonly releaseAllBound = () => this.releaseAll();

  // liveness
  private bytesIn = 0;
  private bytesOut = 0;
  /** Socket reads and writes (one per flush), for the management API's recv_cnt and send_cnt. */
  private reads = 0;
  private writes = 0;
  private heartbeatTimer: NodeJS.Timeout | null = null;
  private lastBytesIn = 0;
  private lastBytesOut = 0;
  private silentTicks = 0;
  private idleTicks = 0;
  private closeTimer: NodeJS.Timeout | null = null;
  private closedResolvers: (() => void)[] = [];

  private readonly flushBound = () => this.flush();
  private readonly tickBound = () => this.heartbeatTick();

  constructor(
    readonly id: number,
    readonly socket: Socket,
    private readonly ctx: ConnectionContext,
  ) {
    this.channelMax = ctx.limits.channelMax;
    this.frameMax = ctx.limits.frameMax;
    this.frames = new FrameReader(this, ctx.limits.frameMax);
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('drain', () => this.onDrain());
    socket.on('error', () => {}); // 'close' follows; resets by clients are routine
    socket.on('close', () => this.onSocketClosed());
    this.closeTimer = setTimeout(() => this.destroy(), HANDSHAKE_TIMEOUT_MS).unref();
  }

  /** When the socket was accepted (ms since the epoch). */
  readonly connectedAt = Date.now();
  /** The SASL mechanism the client logged in with. */
  authMechanism = '';

  /** What the management API shows of this connection. */
  snapshot(): ConnectionSnapshot {
    const s = this.socket;
    const peerHost = plainAddress(s.remoteAddress);
    const host = plainAddress(s.localAddress);
    return {
      id: this.id,
      name: `${peerHost}:${s.remotePort} -> ${host}:${s.localPort}`,
      peerHost,
      peerPort: s.remotePort ?? 0,
      host,
      port: s.localPort ?? 0,
      user: this.username,
      vhost: this.vhost?.name ?? '/',
      state: this.state === State.Open ? (this.heldBy.size > 0 || this.alarmBlocked ? 'blocked' : 'running') : this.state >= State.Closing ? 'closing' : 'starting',
      channels: [...this.channels.values()].filter((c) => c.opened).map((c) => c.snapshot()),
      clientProperties: this.clientProperties,
      authMechanism: this.authMechanism,
      connectedAt: this.connectedAt,
      frameMax: this.frameMax,
      channelMax: this.channelMax,
      heartbeat: this.heartbeat,
      recvOct: this.bytesIn,
      sendOct: this.bytesOut,
      recvCnt: this.reads,
      sendCnt: this.writes,
      sendPend: s.writableLength,
      tls: tlsDetails(s),
    };
  }

  get remoteAddress(): string {
    return `${this.socket.remoteAddress}:${this.socket.remotePort}`;
  }

  /** Deliveries must wait: the client is not reading fast enough. */
  get writeBlocked(): boolean {
    if (this.socketBlocked || this.writer.pendingBytes + this.outExternalBytes > WRITE_BUFFER_LIMIT) {
      this.stalled = true;
      return true;
    }
    return false;
  }

  // ---- input ----

  private onData(chunk: Buffer): void {
    this.bytesIn += chunk.length;
    this.reads++;
    if (this.state === State.Closed) return;
    try {
      if (this.state === State.AwaitingHeader) {
        chunk = this.readProtocolHeader(chunk);
        if (chunk.length === 0) return;
      }
      this.frames.push(chunk);
    } catch (err) {
      this.onInputError(err);
    }
  }

  /** Consumes the 8-byte protocol header; returns the bytes after it. */
  private readProtocolHeader(chunk: Buffer): Buffer {
    const have = this.headerBytes ? Buffer.concat([this.headerBytes, chunk]) : chunk;
    if (have.length < 8) {
      this.headerBytes = have;
      return Buffer.alloc(0);
    }
    this.headerBytes = null;
    const header = have.subarray(0, 8);
    if (!header.equals(PROTOCOL_HEADER) && !header.equals(LEGACY_0_9_HEADER)) {
      // As RabbitMQ: answer with the protocol we speak, then close.
      this.state = State.Closed;
      this.socket.end(PROTOCOL_HEADER);
      return Buffer.alloc(0);
    }
    this.state = State.AwaitingStartOk;
    const w = this.writer;
    encodeConnectionStart(w, 0, 0, 9, this.ctx.serverProperties, MECHANISMS, 'en_US');
    this.scheduleFlush();
    return have.subarray(8);
  }

  /** A delivery could not be encoded: the connection is being closed and writes no more deliveries. */
  private encodingFailed = false;

  private onInputError(err: unknown): void {
    // Before tune-ok RabbitMQ does not explain itself: a client that breaks the handshake is dropped.
    if (this.state === State.AwaitingStartOk || this.state === State.AwaitingTuneOk) {
      if (!(err instanceof AmqpError || err instanceof FrameError || err instanceof DecodeError)) {
        this.ctx.log.error(`connection ${this.remoteAddress}: internal error during handshake`, err);
      }
      return this.destroy();
    }
    if (err instanceof FrameError) return this.closeWithError(frameError(err.message), 0);
    if (err instanceof SilentClose) return this.destroy();
    if (err instanceof AmqpError) return this.closeWithError(err, err.methodId ?? 0);
    this.ctx.log.error(`connection ${this.remoteAddress}: internal error`, err);
    this.writer.discardOpenFrame();
    this.closeWithError(internalError('internal error'), 0);
  }

  onFrame(type: number, channel: number, buf: Buffer, start: number, end: number): void {
    if (this.state === State.Closing) {
      if (type === FRAME_METHOD && channel === 0 && end - start >= 4) {
        const id = buf.readUInt32BE(start);
        if (id === MethodId.ConnectionCloseOk || id === MethodId.ConnectionClose) {
          if (id === MethodId.ConnectionClose) encodeConnectionCloseOk(this.writer, 0);
          this.flush();
          this.destroy();
        }
      }
      return;
    }
    switch (type) {
      case FRAME_METHOD:
        return this.onMethodFrame(channel, buf, start, end);
      case FRAME_HEADER:
      case FRAME_BODY: {
        if (channel === 0) throw unexpectedFrame(`type ${type}, all octets = ${erlangBinary(buf, start, end)}`);
        if (this.state !== State.Open) throw new SilentClose();
        if (this.closingChannels.has(channel)) return;
        const ch = this.channels.get(channel);
        if (!ch) throw unexpectedFrame('expected method frame, got non method frame instead');
        try {
          if (type === FRAME_HEADER) ch.onHeader(buf, start, end);
          else ch.onBody(buf, start, end);
        } catch (err) {
          this.channelFailed(ch, err, MethodId.BasicPublish);
        }
        return;
      }
      case FRAME_HEARTBEAT:
        if (end > start) throw frameError(`type ${type}, all octets = ${erlangBinary(buf, start, end)}: unknown_frame`);
        if (channel !== 0) throw unexpectedFrame(`type ${type}, all octets = <<>>`);
        return;
      default:
        throw frameError(`type ${type}, all octets = ${erlangBinary(buf, start, end)}: unknown_frame`);
    }
  }

  private onMethodFrame(channel: number, buf: Buffer, start: number, end: number): void {
    if (end - start < 4) throw new SilentClose();
    const id = buf.readUInt32BE(start);
    let m: Method | undefined;
    try {
      m = decodeMethod(id, this.reader.reset(buf, start + 4, end));
    } catch (err) {
      if (err instanceof DecodeError) {
        throw new AmqpError(ReplyCode.FrameError, `cannot decode ${erlangBinary(buf, start + 4, end)}`, id);
      }
      throw err;
    }
    // RabbitMQ cannot even name an unknown method, and drops the connection without a word.
    if (!m) throw new SilentClose();
    if (channel === 0) {
      try {
        return this.onConnectionMethod(m);
      } catch (err) {
        if (err instanceof AmqpError) err.methodId ??= m.id;
        throw err;
      }
    }
    if (this.state !== State.Open) throw new SilentClose();
    if (this.closingChannels.has(channel)) {
      if (m.id === MethodId.ChannelCloseOk) this.closingChannels.delete(channel);
      else if (m.id === MethodId.ChannelClose) {
        // Both sides closed at once: answer close-ok and the channel is done.
        this.closingChannels.delete(channel);
        encodeChannelCloseOk(this.writer, channel);
        this.scheduleFlush();
      }
      return;
    }
    let ch = this.channels.get(channel);
    if (!ch) {
      if (this.channels.size >= this.channelMax) {
        throw notAllowed(`number of channels opened (${this.channels.size}) has reached the negotiated channel_max (${this.channelMax})`);
      }
      ch = new Channel(channel, this);
      this.channels.set(channel, ch);
      this.ctx.broker.stats.channelsOpened++;
    }
    if (ch.opened && m.id === MethodId.ChannelClose) {
      this.channels.delete(channel);
      ch.closeByClient();
      return;
    }
    try {
      ch.onMethod(m);
    } catch (err) {
      this.channelFailed(ch, err, m.id);
    }
  }

  /** A soft error closes just this channel; a hard one goes up and closes the connection. */
  private channelFailed(ch: Channel, err: unknown, methodId: number): void {
    if (!(err instanceof AmqpError)) {
      this.ctx.log.error(`channel ${ch.id} on ${this.remoteAddress}: internal error`, err);
      this.writer.discardOpenFrame();
      err = internalError('internal error');
    }
    const e = err as AmqpError;
    if (e.methodId === undefined) e.methodId = methodId;
    if (e.hard) return this.closeWithError(e, e.methodId);
    this.channels.delete(ch.id);
    this.closingChannels.add(ch.id);
    ch.teardown();
    encodeChannelClose(this.writer, ch.id, e.code, e.replyText, e.methodId >>> 16, e.methodId & 0xffff);
    this.scheduleFlush();
  }

  private onConnectionMethod(m: Method): void {
    const w = this.writer;
    switch (this.state) {
      case State.AwaitingStartOk: {
        if (m.id !== MethodId.ConnectionStartOk) throw commandInvalid(`expected connection.start-ok`);
        this.clientProperties = m.clientProperties;
        const caps = m.clientProperties.get('capabilities');
        if (caps?.type === 'F') {
          this.clientCancelNotify = caps.value.get('consumer_cancel_notify')?.value === true;
          this.authFailureClose = caps.value.get('authentication_failure_close')?.value === true;
          this.clientBlockedNotify = caps.value.get('connection.blocked')?.value === true;
        }
        if (!isKnownMechanism(m.mechanism)) throw commandInvalid(`unknown authentication mechanism '${m.mechanism}'`);
        const creds = parseCredentials(m.mechanism, m.response);
        const user = creds && this.ctx.broker.authenticate(creds.username, creds.password);
        if (!creds || !user) {
          return this.refuseLogin(
            `Login was refused using authentication mechanism ${m.mechanism}. For details see the broker logfile.`,
          );
        }
        if (this.ctx.broker.loopbackUsers.has(user.name) && !isLoopback(this.socket.remoteAddress)) {
          return this.refuseLogin(`user '${user.name}' can only connect via localhost`);
        }
        this.username = user.name;
        this.authMechanism = m.mechanism;
        this.state = State.AwaitingTuneOk;
        const l = this.ctx.limits;
        encodeConnectionTune(w, 0, l.channelMax, l.frameMax, l.heartbeat);
        break;
      }
      case State.AwaitingTuneOk: {
        if (m.id !== MethodId.ConnectionTuneOk) throw commandInvalid(`expected connection.tune-ok`);
        const l = this.ctx.limits;
        // RabbitMQ reads 0 (the spec's "no limit") as above its maximum and refuses it too.
        const { frameMax, channelMax } = m;
        if (frameMax < FRAME_MIN_SIZE) throw notAllowed(`frame_max=${frameMax} < ${FRAME_MIN_SIZE} min`);
        if (frameMax > l.frameMax) throw notAllowed(`frame_max=${frameMax} > ${l.frameMax} max`);
        if (channelMax === 0 || channelMax > l.channelMax) throw notAllowed(`channel_max=${channelMax} > ${l.channelMax} max`);
        this.frameMax = frameMax;
        this.channelMax = channelMax;
        this.frames.frameMax = frameMax;
        this.heartbeat = m.heartbeat;
        this.state = State.AwaitingOpen;
        this.startHeartbeats();
        break;
      }
      case State.AwaitingOpen: {
        if (m.id !== MethodId.ConnectionOpen) throw commandInvalid(`expected connection.open`);
        const vhost = this.ctx.broker.vhosts.get(m.virtualHost);
        if (!vhost) throw notAllowed(`vhost ${m.virtualHost} not found`);
        const access = new AccessCheck(this.ctx.broker, vhost.name, this.username);
        if (!access.mayOpen()) throw notAllowed(`access to vhost '${vhost.name}' refused for user '${this.username}'`);
        this.access = access;
        this.vhost = vhost;
        this.state = State.Open;
        this.ctx.broker.stats.connectionsOpened++;
        if (this.closeTimer) clearTimeout(this.closeTimer);
        this.closeTimer = null;
        encodeConnectionOpenOk(w, 0);
        this.ctx.log.debug(`connection ${this.id} from ${this.remoteAddress} opened (user '${this.username}')`);
        break;
      }
      case State.Open:
        if (m.id === MethodId.ConnectionClose) {
          this.teardownChannels();
          encodeConnectionCloseOk(w, 0);
          this.flush();
          this.state = State.Closed;
          this.socket.end();
          return;
        }
        if (m.id === MethodId.ConnectionUpdateSecret) {
          // RabbitMQ's internal user database keeps no credential state to refresh: it answers ok
          // whatever the new secret (token-based backends are where the secret matters).
          encodeConnectionUpdateSecretOk(w, 0);
          break;
        }
        throw channelError('unexpected method in connection state running');
      default:
        return;
    }
    this.scheduleFlush();
  }

  private refuseLogin(text: string): void {
    this.ctx.log.info(`connection from ${this.remoteAddress} refused: ${text}`);
    if (this.authFailureClose) {
      this.closeWithError(new AmqpError(ReplyCode.AccessRefused, text), 0);
    } else {
      this.state = State.Closed;
      this.socket.destroy();
    }
  }

  // ---- closing ----

  /** Sends connection.close with the error and waits (briefly) for close-ok. */
  closeWithError(e: AmqpError, methodId: number): void {
    if (this.state === State.Closing || this.state === State.Closed) return;
    this.teardownChannels();
    encodeConnectionClose(this.writer, 0, e.code, e.replyText, methodId >>> 16, methodId & 0xffff);
    this.flush();
    this.state = State.Closing;
    this.frames.stopped = false;
    if (this.closeTimer) clearTimeout(this.closeTimer);
    this.closeTimer = setTimeout(() => this.destroy(), CLOSE_OK_TIMEOUT_MS).unref();
  }

  /** Broker shutdown: 320 CONNECTION_FORCED, as RabbitMQ sends; resolves when the socket is gone. */
  /** Closes with 320 CONNECTION_FORCED and the given text (the reply text after "CONNECTION_FORCED - "). */
  forceClose(text: string): Promise<void> {
    if (this.state === State.Closed) return Promise.resolve();
    const done = new Promise<void>((resolve) => this.closedResolvers.push(resolve));
    if (this.state === State.Open || this.state === State.AwaitingOpen || this.state === State.AwaitingTuneOk) {
      this.closeWithError(new AmqpError(ReplyCode.ConnectionForced, text), 0);
    } else if (this.state !== State.Closing) {
      this.destroy();
    }
    return done;
  }

  private destroy(): void {
    this.state = State.Closed;
    this.socket.destroy();
  }

  private teardownChannels(): void {
    for (const ch of this.channels.values()) ch.teardown();
    this.channels.clear();
    this.closingChannels.clear();
    this.vhost?.connectionClosed(this.id);
  }

  private onSocketClosed(): void {
    if (this.state !== State.Closed && this.state !== State.Closing) this.teardownChannels();
    else if (this.channels.size > 0) this.teardownChannels();
    this.vhost?.connectionClosed(this.id);
    this.state = State.Closed;
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    if (this.closeTimer) clearTimeout(this.closeTimer);
    if (this.flowTimer) clearTimeout(this.flowTimer);
    this.heartbeatTimer = this.closeTimer = null;
    this.ctx.onClosed(this);
    for (const r of this.closedResolvers) r();
    this.closedResolvers = [];
  }

  // ---- output ----

  scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    process.nextTick(this.flushBound);
  }

  /** The channel has publishes waiting for the disk; it asks storage at the next flush. */
  durabilityPending(ch: Channel): void {
    if (!this.durableChannels.includes(ch)) this.durableChannels.push(ch);
    this.scheduleFlush();
  }

  /** The channel has confirms to send; they go out with the next flush, coalesced. */
  confirmPending(ch: Channel): void {
    if (!this.confirmChannels.includes(ch)) this.confirmChannels.push(ch);
    this.scheduleFlush();
  }

  writeDeliver(channel: number, consumerTag: string, deliveryTag: number, redelivered: boolean, msg: Message): void {
    if (this.encodingFailed) return;
    try {
      encodeBasicDeliver(this.writer, channel, consumerTag, deliveryTag, redelivered, msg.exchange, msg.routingKey);
    } catch (err) {
      // A name AMQP cannot carry (over 255 bytes, from the HTTP API or an x-argument) reached this
      // consumer. RabbitMQ closes the consumer's connection with 541; so does Warren, after the
      // caller (which may be another client's publish) has returned, and without a torn frame.
      this.writer.discardOpenFrame();
      this.encodingFailed = true;
      this.ctx.log.error(`connection ${this.remoteAddress}: cannot encode a delivery`, err);
      process.nextTick(() => this.closeWithError(internalError('internal error'), 0));
      return;
    }
    this.writeContent(channel, msg);
  }

  /** Content header and body frames, the body split to the negotiated frame size. */
  writeContent(channel: number, msg: Message): void {
    const w = this.writer;
    const body = msg.body;
    const mark = w.beginFrame(FRAME_HEADER, channel);
    w.short(60);
    w.short(0);
    w.longlong(body.length);
    w.bytes(msg.rawProperties);
    w.endFrame(mark);
    const max = this.frameMax - 8;
    for (let off = 0; off < body.length; off += max) {
      const piece = off === 0 && body.length <= max ? body : body.subarray(off, Math.min(off + max, body.length));
      w.ensure(8);
      const b = w.buf;
      b[w.pos] = FRAME_BODY;
      b.writeUInt16BE(channel, w.pos + 1);
      b.writeUInt32BE(piece.length, w.pos + 3);
      w.pos += 7;
      if (piece.length <= COPY_BODY_LIMIT) {
        w.bytes(piece);
      } else {
        this.out.push(w.take());
        this.out.push(piece);
        this.outExternalBytes += piece.length;
      }
      w.octet(0xce);
    }
    this.scheduleFlush();
  }

  /**
   * Once the socket has written a chunk, a writer slab it lies in may be reused (the writer ignores
   * chunks that are not its own, such as large bodies). One closure per chunk per flush, not per frame.
   */
  private writtenCallback(chunk: Buffer): () => void {
    const w = this.writer;
    return () => w.release(chunk);
  }

  flush(): void {
    this.flushScheduled = false;
    if (this.state === State.Closed) return;
    this.vhost?.storage?.writeAhead();
    if (this.durableChannels.length > 0) {
      for (const ch of this.durableChannels) ch.requestDurability();
      this.durableChannels.length = 0;
    }
    if (this.confirmChannels.length > 0) {
      for (const ch of this.confirmChannels) ch.flushConfirms();
      this.confirmChannels.length = 0;
    }
    if (this.writer.pendingBytes > 0) this.out.push(this.writer.take());
    const n = this.out.length;
    if (n === 0) return;
    const s = this.socket;
    this.writes++;
    if (n === 1) {
      this.bytesOut += this.out[0].length;
      s.write(this.out[0], this.writtenCallback(this.out[0]));
    } else {
      s.cork();
      for (let i = 0; i < n; i++) {
        this.bytesOut += this.out[i].length;
        s.write(this.out[i], this.writtenCallback(this.out[i]));
      }
      s.uncork();
    }
    this.out.length = 0;
    this.outExternalBytes = 0;
    if (s.writableLength > WRITE_BUFFER_LIMIT) {
      // Wait for 'drain'; meanwhile stop reading too, so a client that does not read cannot make us buffer.
      this.socketBlocked = true;
      this.updateReading();
    } else if (this.stalled) {
      this.stalled = false;
      setImmediate(() => this.resumeConsumers());
    }
  }

  private onDrain(): void {
    if (!this.socketBlocked) return;
    this.socketBlocked = false;
    this.stalled = false;
    this.updateReading();
    this.resumeConsumers();
  }

  /** Reads the socket unless something holds it: our output, flow control, a resource alarm, a commit. */
  private updateReading(): void {
    if (this.state === State.Closed) return;
    if (this.socketBlocked || this.heldBy.size > 0 || this.alarmBlocked || this.awaitingDurable) this.socket.pause();
    else this.socket.resume();
  }

  /**
   * Stops handling input (the rest of the current read is kept) until storage has synced, then runs
   * reply (which writes the method that was waiting, e.g. tx.commit-ok) and goes on where it stopped.
   */
  holdUntilDurable(storage: MessageStorage, reply: () => void): void {
    this.awaitingDurable = true;
    this.frames.pause();
    this.updateReading();
    storage.whenDurable(() => {
      this.awaitingDurable = false;
      if (this.state === State.Closed) return;
      reply();
      this.scheduleFlush();
      try {
        this.frames.resume();
      } catch (err) {
        this.onInputError(err);
      }
      this.updateReading();
    });
  }

  // ---- resource alarms ----

  /** Called for every publish: a connection that publishes during an alarm is blocked. */
  published(): void {
    if (this.hasPublished) return;
    this.hasPublished = true;
    const reason = this.ctx.alarms?.reason;
    if (reason) this.blockForAlarm(reason);
  }

  /** An alarm went off: publishing connections stop being read, and are told if they asked to be. */
  blockForAlarm(reason: string): void {
    if (!this.hasPublished || this.alarmBlocked || this.state !== State.Open) return;
    this.alarmBlocked = true;
    if (this.clientBlockedNotify) encodeConnectionBlocked(this.writer, 0, reason);
    this.flush();
    this.updateReading();
  }

  alarmCleared(): void {
    if (!this.alarmBlocked) return;
    this.alarmBlocked = false;
    if (this.clientBlockedNotify && this.state === State.Open) {
      encodeConnectionUnblocked(this.writer, 0);
      this.scheduleFlush();
    }
    this.updateReading();
  }

  /** A queue this connection published to has more backlog than its consumers keep up with. */
  holdForFlow(q: Queue): void {
    if (this.heldBy.has(q)) return;
    // Not when this connection also consumes from q: its acks, which drain q, would not be read.
    for (const c of q.consumers) if (c.sink.connectionId === this.id) return;
    this.heldBy.add(q);
    q.addFlowWaiter(this);
    this.updateReading();
    // Holds through other queues could in principle form a cycle; none lasts longer than this.
    this.flowTimer ??= setTimeout(this.releaseAllBound, MAX_FLOW_HOLD_MS);
  }

  flowReleased(q: Queue): void {
    if (!this.heldBy.delete(q) || this.heldBy.size > 0) return;
    if (this.flowTimer) clearTimeout(this.flowTimer);
    this.flowTimer = null;
    this.updateReading();
  }

  private releaseAll(): void {
    this.flowTimer = null;
    for (const q of [...this.heldBy]) this.flowReleased(q);
  }

  private resumeConsumers(): void {
    if (this.state !== State.Open) return;
    for (const ch of this.channels.values()) ch.resumeConsumers();
  }

  // ---- heartbeats ----

  /** Ticks at half the interval: a heartbeat goes out after one silent interval, and a client silent for two is dropped. */
  private startHeartbeats(): void {
    if (this.heartbeat === 0) return;
    this.heartbeatTimer = setInterval(this.tickBound, (this.heartbeat * 1000) / 2).unref();
  }

  private heartbeatTick(): void {
    if (this.bytesIn === this.lastBytesIn) this.silentTicks++;
    else this.silentTicks = 0;
    this.lastBytesIn = this.bytesIn;
    if (this.silentTicks >= 4) {
      this.ctx.log.info(`connection ${this.remoteAddress}: missed heartbeats from client, timeout: ${this.heartbeat}s`);
      this.destroy();
      return;
    }
    if (this.bytesOut === this.lastBytesOut) this.idleTicks++;
    else this.idleTicks = 0;
    this.lastBytesOut = this.bytesOut;
    if (this.idleTicks >= 2) {
      this.idleTicks = 0;
      this.writer.ensure(8);
      const b = this.writer.buf;
      const p = this.writer.pos;
      b[p] = FRAME_HEARTBEAT;
      b.writeUInt16BE(0, p + 1);
      b.writeUInt32BE(0, p + 3);
      b[p + 7] = 0xce;
      this.writer.pos += 8;
      this.flush();
    }
  }
}

/** AMQP 0-9's header, which RabbitMQ accepts and serves as 0-9-1. */
const LEGACY_0_9_HEADER = Buffer.from([0x41, 0x4d, 0x51, 0x50, 1, 1, 0, 9]);

/** A violation RabbitMQ answers by dropping the socket, without connection.close. */
class SilentClose extends Error {}

export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  return address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.');
}

export function serverProperties(version: string): FieldTable {
  return tableOf({
    product: 'Warren',
    version,
    platform: `Node.js ${process.version}`,
    copyright: 'Warren contributors',
    information: 'An AMQP 0-9-1 broker for Node.js, compatible with RabbitMQ clients',
    cluster_name: 'warren',
    capabilities: {
      publisher_confirms: true,
      exchange_exchange_bindings: true,
      'basic.nack': true,
      consumer_cancel_notify: true,
      'connection.blocked': true,
      consumer_priorities: true,
      authentication_failure_close: true,
      per_consumer_qos: true,
      direct_reply_to: true,
    },
  });
}


/** IPv4 clients of a dual-stack listener appear as ::ffff:a.b.c.d; RabbitMQ shows a.b.c.d. */
function plainAddress(a: string | undefined): string {
  if (a === undefined) return '';
  return a.startsWith('::ffff:') && a.includes('.') ? a.slice(7) : a;
}

/** TLS sockets (node:tls, not loaded here for a plain listener) say encrypted = true. */
function tlsDetails(s: Socket): ConnectionSnapshot['tls'] {
  const t = s as Socket & Partial<import('node:tls').TLSSocket>;
  if (!t.encrypted || !t.getProtocol || !t.getCipher || !t.getPeerCertificate) return null;
  const subject = t.getPeerCertificate().subject;
  return {
    protocol: t.getProtocol() ?? '',
    cipher: t.getCipher()?.name ?? '',
    peerCertSubject: subject ? Object.entries(subject).map(([k, v]) => `${k}=${v}`).join(',') : null,
  };
}
