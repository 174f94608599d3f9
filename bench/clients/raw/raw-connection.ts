// A minimal AMQP 0-9-1 client connection with one channel (or a few, or none): handshake, request/response
// for setup methods, and a hook through which the publisher or consumer sees every other frame on its
// channel(s).
// Heartbeats are switched off (tune-ok heartbeat 0) because bench runs are short and always busy.
import { connect, type NetConnectOpts, type Socket } from 'node:net';
import {
  ArgReader,
  ArgWriter,
  FRAME_HEARTBEAT,
  FRAME_METHOD,
  FrameSplitter,
  M,
  PROTOCOL_HEADER,
  methodFrame,
} from '../../amqp/codec.js';
import { BatchedWriter } from '../../amqp/batched-writer.js';

export const CHANNEL = 1;
const CLOSE_TIMEOUT_MS = 2000;
/** Above Node's 16 KiB default so a 64 KiB batch does not by itself count as back-pressure. */
const WRITE_HIGH_WATER_MARK = 256 * 1024;

/** A frame on an open channel (1 unless more were opened) that is not the reply to a pending request. */
export type ChannelFrameHandler = (type: number, buf: Buffer, start: number, end: number, channel: number) => void;

export interface OpenOptions {
  /** channels opened after the handshake, numbered from 1 (default 1; 0: stop at connection.open-ok) */
  channels?: number;
}

interface PendingReply {
  channel: number;
  method: number;
  resolve(args: ArgReader): void;
  reject(err: Error): void;
}

export class RawConnection {
  readonly writer: BatchedWriter;
  frameMax = 131072;
  onChannelFrame: ChannelFrameHandler = () => {};
  /** called once if the connection fails outside a request (broker closed it, socket error) */
  onFailure: (err: Error) => void = () => {};
  private pending: PendingReply | null = null;
  private failed: Error | null = null;
  private closing = false;
  /** channels 1..openChannels are open */
  private openChannels = 0;

  private constructor(private readonly socket: Socket) {
    this.writer = new BatchedWriter(socket);
    const splitter = new FrameSplitter((type, channel, buf, start, end) => this.dispatch(type, channel, buf, start, end));
    socket.on('data', (chunk: Buffer) => {
      try {
        splitter.push(chunk);
      } catch (err) {
        this.fail(err as Error);
      }
    });
    socket.on('error', (err) => this.fail(err));
    socket.on('close', () => this.fail(new Error('socket closed')));
  }

  static async open(url: string, openOptions: OpenOptions = {}): Promise<RawConnection> {
    const target = new URL(url);
    // net.Socket hands its options to stream.Duplex, which honours writableHighWaterMark; @types/node omits it.
    const options: NetConnectOpts & { writableHighWaterMark: number } = {
      host: target.hostname,
      port: Number(target.port || 5672),
      noDelay: true,
      writableHighWaterMark: WRITE_HIGH_WATER_MARK,
    };
    const socket = connect(options);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const conn = new RawConnection(socket);
    await conn.handshake(
      decodeURIComponent(target.username || 'guest'),
      decodeURIComponent(target.password || 'guest'),
      decodeURIComponent(target.pathname.slice(1)) || '/',
    );
    const channels = openOptions.channels ?? 1;
    for (let channel = 1; channel <= channels; channel++) {
      await conn.request(channel, M.CHANNEL_OPEN, new ArgWriter().shortstr('').toBuffer(), M.CHANNEL_OPEN_OK);
      conn.openChannels = channel;
    }
    return conn;
  }

  private async handshake(user: string, password: string, vhost: string): Promise<void> {
    const start = this.expect(0, M.CONNECTION_START);
    this.socket.write(PROTOCOL_HEADER);
    await start;

    const tune = this.expect(0, M.CONNECTION_TUNE);
    const startOk = new ArgWriter()
      .stringTable({ product: 'warren-bench', platform: `Node.js ${process.version}` })
      .shortstr('PLAIN')
      .longstr(`\0${user}\0${password}`)
      .shortstr('en_US');
    this.send(methodFrame(0, M.CONNECTION_START_OK, startOk.toBuffer()));
    const tuneArgs = await tune;
    const channelMax = tuneArgs.u16();
    const frameMax = tuneArgs.u32();
    if (frameMax > 0) this.frameMax = frameMax;
    this.send(methodFrame(0, M.CONNECTION_TUNE_OK, new ArgWriter().u16(channelMax).u32(this.frameMax).u16(0).toBuffer()));

    await this.request(0, M.CONNECTION_OPEN, new ArgWriter().shortstr(vhost).shortstr('').u8(0).toBuffer(), M.CONNECTION_OPEN_OK);
  }

  /** Sends a method and resolves with the reply's arguments. One request at a time: setup is sequential. */
  request(channel: number, method: number, args: Buffer, replyMethod: number): Promise<ArgReader> {
    const reply = this.expect(channel, replyMethod);
    this.send(methodFrame(channel, method, args));
    return reply;
  }

  send(frame: Buffer): void {
    this.writer.write(frame);
  }

  async close(): Promise<void> {
    if (this.failed) return;
    this.closing = true;
    const closed = this.expect(0, M.CONNECTION_CLOSE_OK);
    this.send(methodFrame(0, M.CONNECTION_CLOSE, new ArgWriter().u16(200).shortstr('bench done').u16(0).u16(0).toBuffer()));
    const timeout = new Promise<void>((resolve) => setTimeout(resolve, CLOSE_TIMEOUT_MS).unref());
    await Promise.race([closed.catch(() => {}), timeout]);
    this.socket.destroy();
  }

  private expect(channel: number, method: number): Promise<ArgReader> {
    if (this.failed) return Promise.reject(this.failed);
    if (this.pending) return Promise.reject(new Error('raw client: overlapping requests'));
    return new Promise((resolve, reject) => {
      this.pending = { channel, method, resolve, reject };
    });
  }

  private dispatch(type: number, channel: number, buf: Buffer, start: number, end: number): void {
    if (type === FRAME_METHOD) {
      const method = buf.readUInt32BE(start);
      const pending = this.pending;
      if (pending && pending.method === method && pending.channel === channel) {
        this.pending = null;
        pending.resolve(new ArgReader(buf, start + 4));
        return;
      }
      if (method === M.CONNECTION_CLOSE || method === M.CHANNEL_CLOSE) {
        const args = new ArgReader(buf, start + 4);
        const code = args.u16();
        const text = args.shortstr();
        this.send(methodFrame(channel, method === M.CONNECTION_CLOSE ? M.CONNECTION_CLOSE_OK : M.CHANNEL_CLOSE_OK));
        this.fail(new Error(`broker closed the ${method === M.CONNECTION_CLOSE ? 'connection' : 'channel'}: ${code} ${text}`));
        return;
      }
    }
    if (type === FRAME_HEARTBEAT || channel === 0 || channel > this.openChannels) return;
    this.onChannelFrame(type, buf, start, end, channel);
  }

  private fail(err: Error): void {
    if (this.failed) return;
    this.failed = err;
    this.socket.destroy();
    const pending = this.pending;
    this.pending = null;
    if (pending) pending.reject(err);
    else if (!this.closing) this.onFailure(err);
  }
}
