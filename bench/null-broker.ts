// A "null broker": the load generator's own ceiling. It speaks just enough AMQP 0-9-1 to let the
// generator connect, open channels, declare, bind, set qos, consume and select confirms, and does no
// broker work beyond relaying: it keeps no queue and stores nothing. A publish that reaches a queue with
// a consumer is forwarded at once as basic.deliver (the consumer's tag, the next delivery tag of its
// channel, redelivered=false, the publish's exchange and routing key), followed by the very content
// header and body frames that came in (only their channel number rewritten), to the consumer's
// connection; a publish that reaches no consumer is discarded. In confirm mode every publish is acked.
// So its published rate is the most the producers can push on this machine, its consumed rate the most
// producers and consumers can move through one relaying process, and its latency in fixed-rate-latency
// what the machine and the generator add on their own, the floor for a broker's. (In saturating scenarios
// its latency is mostly time in TCP buffers, which no prefetch bounds here: not a floor for a broker's.)
//
// The ceiling is optimistic:
// - consumer acks are ignored and prefetch (basic.qos) is NOT enforced: a consumer is sent every message
//   routed to it, however many it has not acked, where a real broker stops at the prefetch window and
//   waits for acks;
// - nothing waits in a queue, nothing is redelivered; the only back-pressure is TCP's: a producer's
//   socket is not read while a consumer connection it delivered to has more than RELAY_HIGH_WATER_MARK
//   bytes unsent;
// - routing (null-routing.ts) is a cached table lookup: default exchange, direct, fanout and topic.
// Several consumers on one queue take turns (round-robin). Same start/close shape as Warren's startBroker.
import { createServer, type Socket } from 'node:net';
import { BatchedWriter } from './amqp/batched-writer.js';
import {
  ArgReader,
  ArgWriter,
  FRAME_BODY,
  FRAME_END,
  FRAME_HEADER,
  FRAME_METHOD,
  FRAME_OVERHEAD,
  FrameSplitter,
  M,
  PROTOCOL_HEADER,
  methodFrame,
} from './amqp/codec.js';
import { RoutingTable } from './null-routing.js';

/** Unsent bytes on a consumer connection past which the producers delivering to it are not read. */
const RELAY_HIGH_WATER_MARK = 1024 * 1024;

export interface NullBroker {
  port: number;
  host: string;
  url: string;
  close(): Promise<void>;
}

export async function startNullBroker(opts: { port?: number; host?: string } = {}): Promise<NullBroker> {
  const host = opts.host ?? '127.0.0.1';
  const sockets = new Set<Socket>();
  const shared: Shared = { routing: new RoutingTable(), consumers: new Map(), consumerTags: 0 };
  const server = createServer({ noDelay: true }, (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    serveConnection(socket, shared);
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

/** State every connection sees: the routing table and who consumes from which queue. */
interface Shared {
  routing: RoutingTable;
  consumers: Map<string, QueueConsumers>;
  consumerTags: number;
}

interface QueueConsumers {
  list: Consumer[];
  /** the index of the consumer whose turn is next */
  next: number;
}

interface Consumer {
  queue: string;
  tag: string;
  conn: Conn;
  channel: number;
  state: ChannelState;
  /** the deliver frame up to its delivery tag: frame header (size to be filled in), method id, consumer tag */
  deliverHead: Buffer;
}

interface Conn {
  socket: Socket;
  writer: BatchedWriter;
  /** called once this connection's unsent bytes drain (or it closes): producers waiting to be read again */
  drainWaiters: Array<() => void>;
}

/**
 * A publish being relayed, while its content frames arrive. The deliver and the content go out together
 * once the last body frame is in (in the common case, the same socket chunk as the publish), so content
 * from two producers never interleaves on one consumer's channel. Until then the frames are kept as
 * offsets into the buffers they arrived in: socket chunks are fresh buffers that Node never reuses (and
 * the frame splitter's joined buffers are its own), so they stay valid without a copy; the one copy is
 * into each consumer's batched writer, which writes once per event-loop turn.
 */
interface Incoming {
  active: boolean;
  /** targets[0 .. targetCount) are the consumers it goes to (the arrays are reused, never shrunk) */
  targets: Consumer[];
  targetCount: number;
  /** the publish's exchange and routing key shortstrs, the same bytes a deliver carries */
  routeBuf: Buffer;
  routeStart: number;
  routeEnd: number;
  /** -1 until the content header gives the body size */
  bodyRemaining: number;
  /** the content frames so far, [0 .. frameCount): each frame whole, from its type octet to its frame-end */
  frameBufs: Buffer[];
  frameStarts: number[];
  frameEnds: number[];
  frameCount: number;
  frameBytes: number;
}

/** Per channel: publisher confirms, the delivery tags given to its consumers, the content being relayed. */
interface ChannelState {
  confirming: boolean;
  published: number;
  acked: number;
  /** the last delivery tag used on this channel */
  delivered: number;
  /** for queue.bind and basic.consume naming no queue, as AMQP allows */
  lastQueue: string;
  consumers: Map<string, Consumer>;
  incoming: Incoming;
}

function newChannel(): ChannelState {
  return {
    confirming: false,
    published: 0,
    acked: 0,
    delivered: 0,
    lastQueue: '',
    consumers: new Map(),
    incoming: {
      active: false,
      targets: [],
      targetCount: 0,
      routeBuf: Buffer.alloc(0),
      routeStart: 0,
      routeEnd: 0,
      bodyRemaining: -1,
      frameBufs: [],
      frameStarts: [],
      frameEnds: [],
      frameCount: 0,
      frameBytes: 0,
    },
  };
}

function addConsumer(shared: Shared, consumer: Consumer): void {
  let queue = shared.consumers.get(consumer.queue);
  if (!queue) shared.consumers.set(consumer.queue, (queue = { list: [], next: 0 }));
  queue.list.push(consumer);
  consumer.state.consumers.set(consumer.tag, consumer);
}

function removeConsumer(shared: Shared, consumer: Consumer): void {
  consumer.state.consumers.delete(consumer.tag);
  const queue = shared.consumers.get(consumer.queue);
  if (!queue) return;
  queue.list = queue.list.filter((c) => c !== consumer);
  if (queue.list.length === 0) shared.consumers.delete(consumer.queue);
  else queue.next %= queue.list.length;
}

/** Adds the consumer whose turn it is on `queue`, if it has any, to the message's targets. */
function pickConsumer(shared: Shared, queue: string, message: Incoming): void {
  const consumers = shared.consumers.get(queue);
  if (!consumers) return;
  const { list } = consumers;
  message.targets[message.targetCount++] = list[consumers.next]!;
  consumers.next = consumers.next + 1 === list.length ? 0 : consumers.next + 1;
}

function deliverHead(channel: number, tag: string): Buffer {
  const tagBytes = Buffer.from(tag, 'utf8');
  const head = Buffer.alloc(7 + 4 + 1 + tagBytes.length);
  head[0] = FRAME_METHOD;
  head.writeUInt16BE(channel, 1);
  head.writeUInt32BE(M.BASIC_DELIVER, 7);
  head[11] = tagBytes.length;
  tagBytes.copy(head, 12);
  return head;
}

/** Writes basic.deliver and the content frames to every consumer the message was routed to. */
function relay(message: Incoming, blockers: Set<Conn>): void {
  const routeLen = message.routeEnd - message.routeStart;
  for (let t = 0; t < message.targetCount; t++) {
    const consumer = message.targets[t]!;
    const head = consumer.deliverHead;
    const deliverSize = head.length + 8 + 1 + routeLen + 1; // + delivery tag, redelivered, exchange + key, frame end
    const total = deliverSize + message.frameBytes;
    const tag = ++consumer.state.delivered;
    const writer = consumer.conn.writer;
    const [slab, at] = writer.reserve(total);
    head.copy(slab, at);
    slab.writeUInt32BE(deliverSize - FRAME_OVERHEAD, at + 3);
    let pos = at + head.length;
    slab.writeUInt32BE(Math.floor(tag / 0x1_0000_0000), pos);
    slab.writeUInt32BE(tag >>> 0, pos + 4);
    slab[pos + 8] = 0; // redelivered = false
    pos += 9;
    message.routeBuf.copy(slab, pos, message.routeStart, message.routeEnd);
    pos += routeLen;
    slab[pos++] = FRAME_END;
    for (let i = 0; i < message.frameCount; i++) {
      const start = message.frameStarts[i]!;
      const end = message.frameEnds[i]!;
      message.frameBufs[i]!.copy(slab, pos, start, end);
      slab.writeUInt16BE(consumer.channel, pos + 1); // the producer's channel → the consumer's
      pos += end - start;
    }
    writer.commit(total);
    if (consumer.conn.socket.writableLength > RELAY_HIGH_WATER_MARK) blockers.add(consumer.conn);
  }
}

/**
 * Forgets the message. Its array slots are left for the next one to overwrite (keeping a socket chunk
 * or two alive meanwhile).
 */
function resetIncoming(message: Incoming): void {
  message.active = false;
  message.targetCount = 0;
  message.frameCount = 0;
  message.frameBytes = 0;
  message.bodyRemaining = -1;
}

function serveConnection(socket: Socket, shared: Shared): void {
  const writer = new BatchedWriter(socket);
  const conn: Conn = { socket, writer, drainWaiters: [] };
  const channels = new Map<number, ChannelState>();
  /** consumer connections that this connection's publishes filled past the high-water mark, this chunk */
  const blockers = new Set<Conn>();
  let sawHeader = false;

  const reply = (channel: number, method: number, args?: ArgWriter): void => {
    writer.write(methodFrame(channel, method, args?.toBuffer()));
  };

  const closeChannel = (channel: number): void => {
    const state = channels.get(channel);
    if (!state) return;
    for (const consumer of [...state.consumers.values()]) removeConsumer(shared, consumer);
    channels.delete(channel);
  };

  const onPublish = (state: ChannelState, buf: Buffer, argsStart: number): void => {
    if (state.confirming) state.published++;
    const message = state.incoming;
    resetIncoming(message);
    const exchangeAt = argsStart + 2; // after the reserved short
    const keyAt = exchangeAt + 1 + buf[exchangeAt]!;
    const routeEnd = keyAt + 1 + buf[keyAt]!;
    const routingKey = buf.toString('utf8', keyAt + 1, routeEnd);
    if (buf[exchangeAt] === 0) {
      pickConsumer(shared, routingKey, message); // the default exchange: the queue the key names
    } else {
      const exchange = buf.toString('utf8', exchangeAt + 1, keyAt);
      for (const queue of shared.routing.route(exchange, routingKey)) pickConsumer(shared, queue, message);
    }
    if (message.targetCount === 0) return; // reaches no consumer: its content is discarded
    message.active = true;
    message.routeBuf = buf;
    message.routeStart = exchangeAt;
    message.routeEnd = routeEnd;
  };

  const onContent = (type: number, channel: number, buf: Buffer, start: number, end: number): void => {
    const message = channels.get(channel)?.incoming;
    if (!message?.active) return;
    if (type === FRAME_HEADER) {
      // class (2) + weight (2) + body size (8)
      message.bodyRemaining = buf.readUInt32BE(start + 4) * 0x1_0000_0000 + buf.readUInt32BE(start + 8);
    } else if (message.bodyRemaining > 0) {
      message.bodyRemaining -= end - start;
    } else {
      return; // a body frame before the header, or past the body: not a well-formed publish
    }
    const i = message.frameCount++;
    message.frameBufs[i] = buf;
    message.frameStarts[i] = start - 7;
    message.frameEnds[i] = end + 1;
    message.frameBytes += end - start + FRAME_OVERHEAD;
    if (message.bodyRemaining === 0) {
      relay(message, blockers);
      resetIncoming(message);
    }
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
        for (const ch of [...channels.keys()]) closeChannel(ch);
        reply(0, M.CONNECTION_CLOSE_OK);
        writer.flush();
        socket.end();
        return;
      case M.CHANNEL_OPEN:
        channels.set(channel, newChannel());
        return reply(channel, M.CHANNEL_OPEN_OK, new ArgWriter().longstr(''));
      case M.CHANNEL_CLOSE:
        closeChannel(channel);
        return reply(channel, M.CHANNEL_CLOSE_OK);
      case M.CHANNEL_FLOW:
        return reply(channel, M.CHANNEL_FLOW_OK, new ArgWriter().u8(args.u8()));
      case M.BASIC_ACK:
      case M.BASIC_NACK:
        // A consumer's acks settle nothing: nothing is held for redelivery and prefetch is not enforced,
        // which is what makes this an optimistic ceiling (see the header comment).
        return;
      case M.BASIC_QOS:
        return reply(channel, M.BASIC_QOS_OK); // accepted, not enforced
      case M.BASIC_CONSUME: {
        const state = channels.get(channel);
        args.u16();
        const queue = args.shortstr() || (state?.lastQueue ?? '');
        const tag = args.shortstr() || `null-ctag-${++shared.consumerTags}`;
        const noWait = (args.u8() & 0x08) !== 0;
        if (!noWait) reply(channel, M.BASIC_CONSUME_OK, new ArgWriter().shortstr(tag));
        // registered after the consume-ok is queued, so no delivery can overtake it
        if (state && !state.consumers.has(tag)) {
          addConsumer(shared, { queue, tag, conn, channel, state, deliverHead: deliverHead(channel, tag) });
        }
        return;
      }
      case M.BASIC_CANCEL: {
        const tag = args.shortstr();
        const consumer = channels.get(channel)?.consumers.get(tag);
        if (consumer) removeConsumer(shared, consumer);
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
        const name = args.shortstr();
        const type = args.shortstr();
        const bits = args.u8();
        if (!(bits & 0x01)) shared.routing.declareExchange(name, type); // not passive
        if (!(bits & 0x10)) reply(channel, M.EXCHANGE_DECLARE_OK);
        return;
      }
      case M.EXCHANGE_DELETE: {
        args.u16();
        shared.routing.deleteExchange(args.shortstr());
        if (!(args.u8() & 0x02)) reply(channel, M.EXCHANGE_DELETE_OK);
        return;
      }
      case M.EXCHANGE_BIND:
      case M.EXCHANGE_UNBIND: {
        // exchange-to-exchange bindings are acknowledged but route nothing
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
        const state = channels.get(channel);
        if (state) state.lastQueue = name;
        const consumerCount = shared.consumers.get(name)?.list.length ?? 0;
        if (!(args.u8() & 0x10)) reply(channel, M.QUEUE_DECLARE_OK, new ArgWriter().shortstr(name).u32(0).u32(consumerCount));
        return;
      }
      case M.QUEUE_BIND:
      case M.QUEUE_UNBIND: {
        args.u16();
        const queue = args.shortstr() || (channels.get(channel)?.lastQueue ?? '');
        const exchange = args.shortstr();
        const key = args.shortstr();
        if (method === M.QUEUE_UNBIND) {
          shared.routing.unbind(queue, exchange, key);
          return reply(channel, M.QUEUE_UNBIND_OK);
        }
        shared.routing.bind(queue, exchange, key);
        if (!(args.u8() & 0x01)) reply(channel, M.QUEUE_BIND_OK);
        return;
      }
      case M.QUEUE_PURGE: {
        args.u16();
        args.skipShortstr();
        if (!(args.u8() & 0x01)) reply(channel, M.QUEUE_PURGE_OK, new ArgWriter().u32(0));
        return;
      }
      case M.QUEUE_DELETE: {
        args.u16();
        const queue = args.shortstr() || (channels.get(channel)?.lastQueue ?? '');
        // its consumers go quietly (a real broker would send them basic.cancel)
        for (const consumer of [...(shared.consumers.get(queue)?.list ?? [])]) removeConsumer(shared, consumer);
        shared.routing.deleteQueue(queue);
        if (!(args.u8() & 0x04)) reply(channel, M.QUEUE_DELETE_OK, new ArgWriter().u32(0));
        return;
      }
      default:
        console.error(`null broker: ignoring method ${method >>> 16}.${method & 0xffff}`);
    }
  };

  const splitter = new FrameSplitter((type, channel, buf, start, end) => {
    if (type === FRAME_METHOD) {
      const method = buf.readUInt32BE(start);
      // the two methods that come once per message, without the argument reader
      if (method === M.BASIC_ACK) return; // a consumer's ack (see onMethod)
      if (method === M.BASIC_PUBLISH) {
        const state = channels.get(channel);
        if (state) onPublish(state, buf, start + 4);
        return;
      }
      onMethod(channel, method, new ArgReader(buf, start + 4));
    } else if (type === FRAME_HEADER || type === FRAME_BODY) onContent(type, channel, buf, start, end);
  });

  /** One multiple-ack per channel per chunk read, as a real broker batches them. */
  const ackConfirmed = (): void => {
    for (const [channel, state] of channels) {
      if (state.published === state.acked) continue;
      state.acked = state.published;
      reply(channel, M.BASIC_ACK, new ArgWriter().u64(state.published).u8(1));
    }
  };

  /** TCP back-pressure through the relay: stop reading this producer until its consumers' sockets drain. */
  const waitForBlockers = (): void => {
    let waiting = blockers.size;
    socket.pause();
    for (const blocker of blockers) {
      blocker.drainWaiters.push(() => {
        if (--waiting === 0 && !socket.destroyed) socket.resume();
      });
    }
    blockers.clear();
  };

  const releaseDrainWaiters = (): void => {
    const waiters = conn.drainWaiters;
    conn.drainWaiters = [];
    for (const wake of waiters) wake();
  };
  socket.on('drain', releaseDrainWaiters);
  socket.on('close', () => {
    for (const ch of [...channels.keys()]) closeChannel(ch);
    releaseDrainWaiters();
  });

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
    if (blockers.size > 0) waitForBlockers();
  });
  socket.on('error', () => socket.destroy());
}
