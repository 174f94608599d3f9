// Consumes through a RawConnection: basic.qos + basic.consume, then reassembles deliveries
// (deliver method → content header → body frames) and writes one basic.ack per message.
import { ArgReader, ArgWriter, FRAME_BODY, FRAME_END, FRAME_HEADER, FRAME_METHOD, M, writeFrameHeader } from '../../amqp/codec.js';
import type { Consumer, ConsumerOptions } from '../client.js';
import { CHANNEL, RawConnection } from './raw-connection.js';

const ACK_FRAME_SIZE = 21; // 7 header + 4 method id + 8 delivery tag + 1 flags + 1 end
const NO_ACK_FLAG = 0x02;

export class RawConsumer implements Consumer {
  private deliveryTag = 0;
  private bodyRemaining = 0;
  /** body frames of a message split across frames; empty in the common single-frame case */
  private pieces: Buffer[] = [];

  private constructor(
    private readonly conn: RawConnection,
    private readonly options: ConsumerOptions,
  ) {
    conn.onChannelFrame = (type, buf, start, end) => this.onFrame(type, buf, start, end);
    conn.onFailure = options.onFailure;
  }

  static async open(url: string, options: ConsumerOptions): Promise<RawConsumer> {
    const conn = await RawConnection.open(url);
    const consumer = new RawConsumer(conn, options);
    await conn.request(CHANNEL, M.BASIC_QOS, new ArgWriter().u32(0).u16(options.prefetch).u8(0).toBuffer(), M.BASIC_QOS_OK);
    const consumeArgs = new ArgWriter()
      .u16(0)
      .shortstr(options.queue)
      .shortstr('')
      .u8(options.manualAck ? 0 : NO_ACK_FLAG)
      .u32(0) // empty arguments table
      .toBuffer();
    await conn.request(CHANNEL, M.BASIC_CONSUME, consumeArgs, M.BASIC_CONSUME_OK);
    return consumer;
  }

  ack(deliveryTag: number): void {
    const writer = this.conn.writer;
    const [slab, at] = writer.reserve(ACK_FRAME_SIZE);
    writeFrameHeader(slab, at, FRAME_METHOD, CHANNEL, ACK_FRAME_SIZE - 8);
    slab.writeUInt32BE(M.BASIC_ACK, at + 7);
    slab.writeUInt32BE(Math.floor(deliveryTag / 0x1_0000_0000), at + 11);
    slab.writeUInt32BE(deliveryTag >>> 0, at + 15);
    slab[at + 19] = 0; // multiple = false
    slab[at + 20] = FRAME_END;
    writer.commit(ACK_FRAME_SIZE);
  }

  close(): Promise<void> {
    return this.conn.close();
  }

  private onFrame(type: number, buf: Buffer, start: number, end: number): void {
    if (type === FRAME_METHOD) {
      if (buf.readUInt32BE(start) !== M.BASIC_DELIVER) return;
      const args = new ArgReader(buf, start + 4);
      args.skipShortstr(); // consumer tag
      this.deliveryTag = args.u64();
      return;
    }
    if (type === FRAME_HEADER) {
      // class (2) + weight (2) + body size (8); bodies in a bench never approach 2^53 bytes
      this.bodyRemaining = buf.readUInt32BE(start + 4) * 0x1_0000_0000 + buf.readUInt32BE(start + 8);
      if (this.bodyRemaining === 0) this.options.onMessage(Buffer.alloc(0), this.deliveryTag);
      return;
    }
    if (type !== FRAME_BODY) return;
    const size = end - start;
    this.bodyRemaining -= size;
    if (this.bodyRemaining === 0 && this.pieces.length === 0) {
      this.options.onMessage(buf.subarray(start, end), this.deliveryTag);
      return;
    }
    this.pieces.push(Buffer.from(buf.subarray(start, end)));
    if (this.bodyRemaining === 0) {
      const body = Buffer.concat(this.pieces);
      this.pieces = [];
      this.options.onMessage(body, this.deliveryTag);
    }
  }
}
