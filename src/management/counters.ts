// The counters the API reports and the rate sampler samples, under RabbitMQ's message_stats names.
import type { Broker } from '../broker/broker.js';
import type { Exchange } from '../broker/exchange.js';
import type { Queue } from '../broker/queue.js';
import type { ChannelStats, GlobalStats } from '../broker/stats.js';
import type { AmqpServer } from '../server/server.js';
import type { Counters } from './rates.js';

export function queueCounters(q: Queue): Counters {
  const s = q.stats;
  return {
    publish: s.publish,
    deliver: s.deliver,
    deliver_no_ack: s.deliverNoAck,
    get: s.get,
    get_no_ack: s.getNoAck,
    deliver_get: s.deliver + s.deliverNoAck + s.get + s.getNoAck,
    redeliver: s.redeliver,
    ack: s.ack,
    messages: q.messageCount + q.unackedCount,
    messages_ready: q.messageCount,
    messages_unacknowledged: q.unackedCount,
    // not a message_stats field: its rate (ms per s) gives consumer utilisation
    consumers_blocked_ms: q.consumersBlockedMs(),
  };
}

export function exchangeCounters(x: Exchange): Counters {
  return { publish_in: x.publishIn, publish_out: x.publishOut };
}

export function channelCounters(s: ChannelStats): Counters {
  return {
    publish: s.publish,
    confirm: s.confirm,
    return_unroutable: s.returnUnroutable,
    drop_unroutable: s.dropUnroutable,
    deliver: s.deliver,
    deliver_no_ack: s.deliverNoAck,
    get: s.get,
    get_no_ack: s.getNoAck,
    deliver_get: s.deliver + s.deliverNoAck + s.get + s.getNoAck,
    redeliver: s.redeliver,
    ack: s.ack,
  };
}

export function globalCounters(s: GlobalStats, broker: Broker): Counters {
  let ready = 0;
  let unacked = 0;
  for (const vh of broker.vhosts.values()) {
    for (const q of vh.queues.values()) {
      ready += q.messageCount;
      unacked += q.unackedCount;
    }
  }
  return {
    publish: s.received,
    confirm: s.confirmed,
    return_unroutable: s.unroutableReturned,
    drop_unroutable: s.unroutableDropped,
    deliver: s.delivered,
    deliver_no_ack: s.deliveredNoAck,
    get: s.get,
    get_no_ack: s.getNoAck,
    deliver_get: s.delivered + s.deliveredNoAck + s.get + s.getNoAck,
    redeliver: s.redelivered,
    ack: s.acknowledged,
    messages: ready + unacked,
    messages_ready: ready,
    messages_unacknowledged: unacked,
  };
}

/** Connections past the handshake (open on a vhost), and their channels. */
export function openConnections(amqp: AmqpServer): { connections: number; channels: number } {
  let connections = 0;
  let channels = 0;
  for (const c of amqp.connections) {
    if (c.vhost === null) continue;
    connections++;
    channels += c.snapshot().channels.length;
  }
  return { connections, channels };
}

/** Objects opened and closed since the start (closed ones: opened minus those open now). */
export function churnCounters(broker: Broker, amqp: AmqpServer, open = openConnections(amqp)): Counters {
  const { connections, channels } = open;
  const s = broker.stats;
  return {
    connection_created: s.connectionsOpened,
    connection_closed: Math.max(0, s.connectionsOpened - connections),
    channel_created: s.channelsOpened,
    channel_closed: Math.max(0, s.channelsOpened - channels),
    queue_declared: s.queuesDeclared,
    queue_created: s.queuesCreated,
    queue_deleted: s.queuesDeleted,
  };
}

/** Everything the rate sampler follows: the broker's totals, every queue, every channel. */
export function* managementCounters(broker: Broker, amqp: AmqpServer): Iterable<[object, Counters]> {
  yield [broker.stats, globalCounters(broker.stats, broker)];
  yield [amqp, churnCounters(broker, amqp)];
  for (const vh of broker.vhosts.values()) {
    for (const q of vh.queues.values()) yield [q, queueCounters(q)];
    for (const x of vh.exchanges.values()) if (x.publishIn > 0) yield [x, exchangeCounters(x)];
  }
  for (const c of amqp.connections) {
    if (c.vhost === null) continue;
    const s = c.snapshot();
    yield [c, { recv_oct: s.recvOct, send_oct: s.sendOct }];
    for (const ch of s.channels) yield [ch.stats, channelCounters(ch.stats)];
  }
}
