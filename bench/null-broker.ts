// A "null broker": speaks just enough AMQP 0-9-1 to let the generator connect, open a channel,
// declare, bind, set qos, consume and select confirms, then parses and discards every publish
// (acking it in confirm mode). It stores and delivers nothing, so its publish rate is the ceiling
// the load generator itself can reach on this machine. Same start/close shape as Warren's startBroker.
import { createServer, type Socket } from 'node:net';
import { BatchedWriter } from './amqp/batched-writer.js';
import { ArgReader, ArgWriter, FRAME_METHOD, FrameSplitter, M, PROTOCOL_HEADER, methodFrame } from './amqp/codec.js';

export interface NullBroker {
  port: number;
  host: string;
  url: string;
  close(): Promise<void>;
}

export async function startNullBroker(opts: { port?: number; host?: string } = {}): Promise<NullBroker> {
  const host = opts.host ?? '127.0.0.1';
  const sockets = new Set<Socket>();
  const server = createServer({ noDelay: true }, (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    serveConnection(socket);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, resolve);
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('null broker: no TCP address');
  return {
    port: address.port,
    host,
    url: `amqp://guest:guest@${host}:${address.port}`,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Per channel: the delivery tag of the last publish, and what has been confirmed of it. */
interface ChannelState {
  confirming: boolean;
  published: number;
  acked: number;
}

function serveConnection(socket: Socket): void {
  const writer = new BatchedWriter(socket);
  const channels = new Map<number, ChannelState>();
  let consumerTags = 0;
  let sawHeader = false;

  const reply = (channel: number, method: number, args?: ArgWriter): void => {
    writer.write(methodFrame(channel, method, args?.toBuffer()));
  };

  const onMethod = (channel: number, method: number, args: ArgReader): void => {
    switch (method) {
      case M.CONNECTION_START_OK:
        return reply(0, M.CONNECTION_TUNE, new ArgWriter().u16(2047).u32(131072).u16(0));
      case M.CONNECTION_TUNE_OK:
        return;
      case M.CONNECTION_OPEN:
        return reply(0, M.CONNECTION_OPEN_OK, new ArgWriter().shortstr(''));
      case M.CONNECTION_CLOSE:
        reply(0, M.CONNECTION_CLOSE_OK);
        writer.flush();
        socket.end();
        return;
      case M.CHANNEL_OPEN:
        channels.set(channel, { confirming: false, published: 0, acked: 0 });
        return reply(channel, M.CHANNEL_OPEN_OK, new ArgWriter().longstr(''));
      case M.CHANNEL_CLOSE:
        channels.delete(channel);
        return reply(channel, M.CHANNEL_CLOSE_OK);
      case M.CHANNEL_FLOW:
        return reply(channel, M.CHANNEL_FLOW_OK, new ArgWriter().u8(args.u8()));
      case M.BASIC_PUBLISH: {
        const state = channels.get(channel);
        if (state?.confirming) state.published++;
        return;
      }
      case M.BASIC_ACK:
      case M.BASIC_NACK:
        return; // a consumer's acks: nothing was delivered, nothing to settle
      case M.BASIC_QOS:
        return reply(channel, M.BASIC_QOS_OK);
      case M.BASIC_CONSUME: {
        args.u16();
        args.skipShortstr(); // queue
        const tag = args.shortstr() || `null-ctag-${++consumerTags}`;
        if (!(args.u8() & 0x08)) reply(channel, M.BASIC_CONSUME_OK, new ArgWriter().shortstr(tag));
        return;
      }
      case M.BASIC_CANCEL: {
        const tag = args.shortstr();
        if (!(args.u8() & 0x01)) reply(channel, M.BASIC_CANCEL_OK, new ArgWriter().shortstr(tag));
        return;
      }
      case M.CONFIRM_SELECT: {
        const state = channels.get(channel);
        if (state) state.confirming = true;
        if (!(args.u8() & 0x01)) reply(channel, M.CONFIRM_SELECT_OK);
        return;
      }
      case M.EXCHANGE_DECLARE: {
        args.u16();
        args.skipShortstr(); // exchange
        args.skipShortstr(); // type
        if (!(args.u8() & 0x10)) reply(channel, M.EXCHANGE_DECLARE_OK);
        return;
      }
      case M.EXCHANGE_DELETE: {
        args.u16();
        args.skipShortstr();
        if (!(args.u8() & 0x02)) reply(channel, M.EXCHANGE_DELETE_OK);
        return;
      }
      case M.EXCHANGE_BIND:
      case M.EXCHANGE_UNBIND: {
        args.u16();
        args.skipShortstr(); // destination
        args.skipShortstr(); // source
        args.skipShortstr(); // routing key
        if (!(args.u8() & 0x01)) reply(channel, method === M.EXCHANGE_BIND ? M.EXCHANGE_BIND_OK : M.EXCHANGE_UNBIND_OK);
        return;
      }
      case M.QUEUE_DECLARE: {
        args.u16();
        const name = args.shortstr() || `null.gen-${Math.random().toString(36).slice(2)}`;
        if (!(args.u8() & 0x10)) reply(channel, M.QUEUE_DECLARE_OK, new ArgWriter().shortstr(name).u32(0).u32(0));
        return;
      }
      case M.QUEUE_BIND: {
        args.u16();
        args.skipShortstr(); // queue
        args.skipShortstr(); // exchange
        args.skipShortstr(); // routing key
        if (!(args.u8() & 0x01)) reply(channel, M.QUEUE_BIND_OK);
        return;
      }
      case M.QUEUE_UNBIND:
        return reply(channel, M.QUEUE_UNBIND_OK);
      case M.QUEUE_PURGE: {
        args.u16();
        args.skipShortstr();
        if (!(args.u8() & 0x01)) reply(channel, M.QUEUE_PURGE_OK, new ArgWriter().u32(0));
        return;
      }
      case M.QUEUE_DELETE: {
        args.u16();
        args.skipShortstr();
        if (!(args.u8() & 0x04)) reply(channel, M.QUEUE_DELETE_OK, new ArgWriter().u32(0));
        return;
      }
      default:
        console.error(`null broker: ignoring method ${method >>> 16}.${method & 0xffff}`);
    }
  };

  const splitter = new FrameSplitter((type, channel, buf, start) => {
    // content header and body frames are the discarded message contents
    if (type === FRAME_METHOD) onMethod(channel, buf.readUInt32BE(start), new ArgReader(buf, start + 4));
  });

  /** One multiple-ack per channel per chunk read, as a real broker batches them. */
  const ackConfirmed = (): void => {
    for (const [channel, state] of channels) {
      if (state.published === state.acked) continue;
      state.acked = state.published;
      reply(channel, M.BASIC_ACK, new ArgWriter().u64(state.published).u8(1));
    }
  };

  socket.on('data', (chunk: Buffer) => {
    let data = chunk;
    if (!sawHeader) {
      if (data.length < PROTOCOL_HEADER.length || !data.subarray(0, 8).equals(PROTOCOL_HEADER)) {
        socket.end(PROTOCOL_HEADER);
        return;
      }
      sawHeader = true;
      data = data.subarray(8);
      reply(
        0,
        M.CONNECTION_START,
        new ArgWriter().u8(0).u8(9).stringTable({ product: 'null-broker', version: '0' }).longstr('PLAIN AMQPLAIN').longstr('en_US'),
      );
    }
    try {
      splitter.push(data);
    } catch {
      socket.destroy();
      return;
    }
    ackConfirmed();
  });
  socket.on('error', () => socket.destroy());
}
