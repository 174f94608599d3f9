// Synchronous AMQP methods (declare, bind, delete) pipelined on a few channels of one RawConnection:
// several requests are written on a channel before their replies arrive, which a broker answers in
// order per channel. Each channel keeps a queue of the replies it expects, so a reply out of place
// (or a channel.close from the broker) fails the run rather than being miscounted.
import { ArgWriter, BASIC_CLASS, FRAME_BODY, FRAME_END, FRAME_HEADER, FRAME_METHOD, FRAME_OVERHEAD, M, methodFrame, writeFrameHeader } from '../../amqp/codec.js';
import { RawConnection } from './raw-connection.js';

const QUEUE_DURABLE = 0x02;

export class RawPipeline {
  /** called with each expected reply, in order per channel */
  onReply: (channel: number) => void = () => {};
  onFailure: (err: Error) => void = () => {};
  /** per channel (index channel − 1), the reply methods still expected, oldest first */
  private readonly expected: number[][];

  private constructor(
    readonly conn: RawConnection,
    readonly channels: number,
  ) {
    this.expected = Array.from({ length: channels }, () => []);
    conn.onChannelFrame = (type, buf, start, _end, channel) => {
      if (type !== FRAME_METHOD) return;
      const method = buf.readUInt32BE(start);
      const waiting = this.expected[channel - 1]!;
      if (waiting[0] !== method) {
        this.fail(new Error(`channel ${channel}: got method ${describe(method)}, expected ${waiting[0] === undefined ? 'nothing' : describe(waiting[0])}`));
        return;
      }
      waiting.shift();
      this.onReply(channel);
    };
    conn.onFailure = (err) => this.fail(err);
  }

  static async open(url: string, channels: number): Promise<RawPipeline> {
    return new RawPipeline(await RawConnection.open(url, { channels }), channels);
  }

  /** replies not yet received on a channel */
  outstanding(channel: number): number {
    return this.expected[channel - 1]!.length;
  }

  /** Sends one request without waiting; its reply comes through onReply. */
  send(channel: number, method: number, args: Buffer, replyMethod: number): void {
    this.expected[channel - 1]!.push(replyMethod);
    this.conn.send(methodFrame(channel, method, args));
  }

  declareQueue(channel: number, queue: string, durable: boolean): void {
    const args = new ArgWriter()
      .u16(0)
      .shortstr(queue)
      .u8(durable ? QUEUE_DURABLE : 0)
      .u32(0) // no arguments
      .toBuffer();
    this.send(channel, M.QUEUE_DECLARE, args, M.QUEUE_DECLARE_OK);
  }

  bindQueue(channel: number, queue: string, exchange: string, routingKey: string): void {
    const args = new ArgWriter().u16(0).shortstr(queue).shortstr(exchange).shortstr(routingKey).u8(0).u32(0).toBuffer();
    this.send(channel, M.QUEUE_BIND, args, M.QUEUE_BIND_OK);
  }

  deleteQueue(channel: number, queue: string): void {
    this.send(channel, M.QUEUE_DELETE, new ArgWriter().u16(0).shortstr(queue).u8(0).toBuffer(), M.QUEUE_DELETE_OK);
  }

  /**
   * A transient message with no properties through the default exchange to `queue` (no reply; the
   * body must fit one frame). A later roundTrip on the same channel is answered after it was routed.
   */
  publishTo(channel: number, queue: string, body: Buffer): void {
    this.conn.send(methodFrame(channel, M.BASIC_PUBLISH, new ArgWriter().u16(0).shortstr('').shortstr(queue).u8(0).toBuffer()));
    this.conn.send(contentFrame(FRAME_HEADER, channel, new ArgWriter().u16(BASIC_CLASS).u16(0).u64(body.length).u16(0).toBuffer()));
    this.conn.send(contentFrame(FRAME_BODY, channel, body));
  }

  /** A request and its reply (basic.qos, which changes nothing here) when nothing is outstanding on the channel. */
  async roundTrip(channel: number): Promise<void> {
    await this.conn.request(channel, M.BASIC_QOS, new ArgWriter().u32(0).u16(0).u8(0).toBuffer(), M.BASIC_QOS_OK);
  }

  /** One at a time, before or after pipelining (not while requests are outstanding on channel 1). */
  async declareExchange(exchange: string, type: string, durable: boolean): Promise<void> {
    const args = new ArgWriter()
      .u16(0)
      .shortstr(exchange)
      .shortstr(type)
      .u8(durable ? 0x02 : 0)
      .u32(0)
      .toBuffer();
    await this.conn.request(1, M.EXCHANGE_DECLARE, args, M.EXCHANGE_DECLARE_OK);
  }

  async deleteExchange(exchange: string): Promise<void> {
    await this.conn.request(1, M.EXCHANGE_DELETE, new ArgWriter().u16(0).shortstr(exchange).u8(0).toBuffer(), M.EXCHANGE_DELETE_OK);
  }

  close(): Promise<void> {
    return this.conn.close();
  }

  private fail(err: Error): void {
    for (const waiting of this.expected) waiting.length = 0;
    this.onFailure(err);
  }
}

function contentFrame(type: number, channel: number, payload: Buffer): Buffer {
  const frame = Buffer.allocUnsafe(FRAME_OVERHEAD + payload.length);
  writeFrameHeader(frame, 0, type, channel, payload.length);
  payload.copy(frame, 7);
  frame[frame.length - 1] = FRAME_END;
  return frame;
}

function describe(method: number): string {
  return `${method >>> 16}.${method & 0xffff}`;
}
