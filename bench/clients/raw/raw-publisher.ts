// Publishes through a RawConnection. The method and content-header frames are the same for every
// message with a given routing key and body size, so they are encoded once into a template and each
// publish is two copies (template, body) into the batched writer.
import { ArgReader, ArgWriter, BASIC_CLASS, FRAME_BODY, FRAME_END, FRAME_HEADER, FRAME_METHOD, FRAME_OVERHEAD, M, methodFrame, writeFrameHeader } from '../../amqp/codec.js';
import { ConfirmTracker } from '../confirm-tracker.js';
import type { Publisher, PublisherOptions } from '../client.js';
import { CHANNEL, RawConnection } from './raw-connection.js';

const DELIVERY_MODE_FLAG = 0x1000;

interface Template {
  bodySize: number;
  /** method frame + header frame + the 7-byte header of the (single) body frame */
  bytes: Buffer;
}

export class RawPublisher implements Publisher {
  private readonly templates = new Map<string, Template>();
  private readonly tracker: ConfirmTracker | null;

  private constructor(
    private readonly conn: RawConnection,
    private readonly options: PublisherOptions,
  ) {
    this.tracker = options.confirmWindow ? new ConfirmTracker(options.confirmWindow) : null;
    conn.onChannelFrame = (type, buf, start) => this.onFrame(type, buf, start);
    conn.onFailure = options.onFailure;
  }

  static async open(url: string, options: PublisherOptions): Promise<RawPublisher> {
    const conn = await RawConnection.open(url);
    if (options.confirmWindow) {
      await conn.request(CHANNEL, M.CONFIRM_SELECT, Buffer.from([0]), M.CONFIRM_SELECT_OK);
    }
    return new RawPublisher(conn, options);
  }

  publish(routingKey: string, body: Buffer): boolean {
    let template = this.templates.get(routingKey);
    if (!template || template.bodySize !== body.length) {
      template = this.buildTemplate(routingKey, body.length);
      this.templates.set(routingKey, template);
    }
    const writer = this.conn.writer;
    const maxBodyPerFrame = this.conn.frameMax - FRAME_OVERHEAD;
    if (body.length <= maxBodyPerFrame) {
      const total = template.bytes.length + body.length + 1;
      const [slab, at] = writer.reserve(total);
      template.bytes.copy(slab, at);
      body.copy(slab, at + template.bytes.length);
      slab[at + total - 1] = FRAME_END;
      writer.commit(total);
    } else {
      this.publishInPieces(template, body, maxBodyPerFrame);
    }
    this.tracker?.published();
    return !writer.needsDrain;
  }

  waitForDrain(): Promise<void> {
    return this.conn.writer.waitForDrain();
  }

  close(): Promise<void> {
    return this.conn.close();
  }

  /** Bodies over frame-max: the template minus its body-frame header, then one body frame per piece. */
  private publishInPieces(template: Template, body: Buffer, maxBodyPerFrame: number): void {
    const writer = this.conn.writer;
    writer.write(template.bytes.subarray(0, template.bytes.length - 7));
    for (let offset = 0; offset < body.length; offset += maxBodyPerFrame) {
      const piece = body.subarray(offset, Math.min(body.length, offset + maxBodyPerFrame));
      const [slab, at] = writer.reserve(piece.length + FRAME_OVERHEAD);
      writeFrameHeader(slab, at, FRAME_BODY, CHANNEL, piece.length);
      piece.copy(slab, at + 7);
      slab[at + 7 + piece.length] = FRAME_END;
      writer.commit(piece.length + FRAME_OVERHEAD);
    }
  }

  private buildTemplate(routingKey: string, bodySize: number): Template {
    const method = methodFrame(
      CHANNEL,
      M.BASIC_PUBLISH,
      new ArgWriter().u16(0).shortstr(this.options.exchange).shortstr(routingKey).u8(0).toBuffer(),
    );
    const headerPayload = new ArgWriter()
      .u16(BASIC_CLASS)
      .u16(0)
      .u64(bodySize)
      .u16(DELIVERY_MODE_FLAG)
      .u8(this.options.persistent ? 2 : 1)
      .toBuffer();
    const header = Buffer.allocUnsafe(FRAME_OVERHEAD + headerPayload.length);
    writeFrameHeader(header, 0, FRAME_HEADER, CHANNEL, headerPayload.length);
    headerPayload.copy(header, 7);
    header[header.length - 1] = FRAME_END;
    const bodyFrameHeader = Buffer.allocUnsafe(7);
    writeFrameHeader(bodyFrameHeader, 0, FRAME_BODY, CHANNEL, bodySize);
    return { bodySize, bytes: Buffer.concat([method, header, bodyFrameHeader]) };
  }

  private onFrame(type: number, buf: Buffer, start: number): void {
    if (!this.tracker || type !== FRAME_METHOD) return;
    const method = buf.readUInt32BE(start);
    if (method !== M.BASIC_ACK && method !== M.BASIC_NACK) return; // basic.return etc. are not counted
    const args = new ArgReader(buf, start + 4);
    const tag = args.u64();
    const multiple = (args.u8() & 1) === 1;
    const settled = this.tracker.settle(tag, multiple);
    if (method === M.BASIC_ACK) this.options.onSettled(settled, 0);
    else this.options.onSettled(0, settled);
  }
}
