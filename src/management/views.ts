// Broker objects rendered as RabbitMQ's management API renders them (field names and shapes), so
// tools written against RabbitMQ read Warren unchanged. Only what Warren knows is reported.
import type { Binding } from '../broker/binding.js';
import type { Consumer } from '../broker/consumer.js';
import type { Exchange } from '../broker/exchange.js';
import { policyToJson } from '../broker/policies.js';
import type { Queue } from '../broker/queue.js';
import type { Permission, User } from '../broker/users.js';
import type { VHost } from '../broker/vhost.js';
import type { ChannelSnapshot } from '../server/channel.js';
import type { ConnectionSnapshot } from '../server/connection.js';
import type { ManagementContext } from './context.js';
import { channelCounters, exchangeCounters, queueCounters } from './counters.js';
import { stringOf } from '../amqp/field-table.js';
import { tableToJson, type Json } from './json-fields.js';
import type { Counters, HistoryRange } from './rates.js';

/** The history a request asked for (`?lengths_age=…&msg_rates_age=…`), for single objects. */
export interface Ranges {
  lengths?: HistoryRange;
  msgRates?: HistoryRange;
}

type Row = { [key: string]: Json };

/**
 * Counters RabbitMQ reports together: once any of a group has counted something, the whole group is
 * shown (a queue that delivered shows ack: 0 too); a group that never counted is left out.
 */
const STAT_GROUPS: string[][] = [
  ['publish'],
  ['publish_in'],
  ['publish_out'],
  ['confirm'],
  ['return_unroutable'],
  ['drop_unroutable'],
  ['deliver_get', 'deliver', 'deliver_no_ack', 'get', 'get_no_ack', 'redeliver', 'ack'],
];

/** {field: n, field_details: {rate}} for the counter groups that have counted something. */
export function messageStats(ctx: ManagementContext, key: object, counters: Counters, range?: HistoryRange): Row {
  const out: Row = {};
  for (const group of STAT_GROUPS) {
    if (!group.some((f) => (counters[f] ?? 0) !== 0)) continue;
    for (const field of group) {
      if (counters[field] === undefined) continue;
      out[field] = counters[field];
      out[`${field}_details`] = ctx.rates.details(key, field, range);
    }
  }
  return out;
}

export function depth(ctx: ManagementContext, key: object, field: string, value: number, range?: HistoryRange): Row {
  return { [field]: value, [`${field}_details`]: ctx.rates.details(key, field, range) };
}

/** From milliseconds blocked per second to a fraction of the time able to deliver, in [0, 1]. */
function consumerCapacity(blockedMsPerSecond: number): number {
  return Math.round(Math.min(1, Math.max(0, 1 - blockedMsPerSecond / 1000)) * 100) / 100;
}

/** Rough bytes a queue holds in memory: the bodies of its in-memory messages and their bookkeeping. */
function queueMemory(q: Queue): number {
  const PER_MESSAGE = 160;
  return 2048 + (q.messageCount + q.unackedCount) * PER_MESSAGE + q.readyBytes + q.unackedBytes;
}

/** The timestamp property (seconds) of the message at the head, when it has one and is in memory. */
function headTimestamp(q: Queue): number | null {
  const head = q.ready.peek()?.message;
  if (!head) return null;
  const ts = head.properties.timestamp;
  return typeof ts === 'number' ? ts : null;
}

export function queueView(ctx: ManagementContext, q: Queue, ranges: Ranges = {}): Row {
  const counters = queueCounters(q);
  const sac = q.settings.singleActiveConsumer ? (q.consumers[0]?.tag ?? null) : null;
  const exclusiveConsumer = q.consumers.find((c) => c.exclusive)?.tag ?? null;
  // The share of the last sampling interval in which the queue could deliver at once: not when messages
  // waited and every consumer was at its prefetch limit. No consumers: 0, as RabbitMQ.
  const capacity = q.consumerCount > 0 ? consumerCapacity(ctx.rates.rate(q, 'consumers_blocked_ms')) : 0;
  const quorum = q.settings.quorum;
  return {
    name: q.name,
    vhost: q.vhost,
    type: quorum ? 'quorum' : 'classic',
    durable: q.durable,
    auto_delete: q.autoDelete,
    exclusive: q.exclusiveOwner !== 0,
    arguments: tableToJson(q.args),
    // a quorum queue names its leader and members instead of a node
    ...(quorum ? { leader: ctx.nodeName, members: [ctx.nodeName], online: [ctx.nodeName] } : { node: ctx.nodeName }),
    state: 'running',
    policy: q.policy?.name ?? null,
    operator_policy: null,
    effective_policy_definition: (q.policy?.definition ?? {}) as Row,
    consumers: q.consumerCount,
    consumer_capacity: capacity,
    consumer_utilisation: capacity,
    exclusive_consumer_tag: exclusiveConsumer,
    single_active_consumer_tag: sac,
    memory: queueMemory(q),
    head_message_timestamp: headTimestamp(q),
    ...depth(ctx, q, 'messages', counters.messages, ranges.lengths),
    ...depth(ctx, q, 'messages_ready', counters.messages_ready, ranges.lengths),
    ...depth(ctx, q, 'messages_unacknowledged', counters.messages_unacknowledged, ranges.lengths),
    message_bytes: q.readyBytes + q.unackedBytes,
    message_bytes_ready: q.readyBytes,
    message_bytes_unacknowledged: q.unackedBytes,
    messages_persistent: q.persistentReady,
    message_bytes_persistent: q.persistentReadyBytes,
    message_stats: messageStats(ctx, q, counters, ranges.msgRates),
  };
}

/**
 * Readers of queueView's top-level fields that sorting a long list asks for most, each giving the
 * value queueView would render, so a sorted page renders only its own queues.
 */
const QUEUE_SORT_FIELDS: { [field: string]: (q: Queue) => Json } = {
  vhost: (q) => q.vhost,
  messages: (q) => q.messageCount + q.unackedCount,
  messages_ready: (q) => q.messageCount,
  messages_unacknowledged: (q) => q.unackedCount,
  consumers: (q) => q.consumerCount,
  memory: (q) => queueMemory(q),
  message_bytes: (q) => q.readyBytes + q.unackedBytes,
  message_bytes_ready: (q) => q.readyBytes,
  message_bytes_unacknowledged: (q) => q.unackedBytes,
  durable: (q) => q.durable,
  auto_delete: (q) => q.autoDelete,
  exclusive: (q) => q.exclusiveOwner !== 0,
  type: (q) => (q.settings.quorum ? 'quorum' : 'classic'),
  policy: (q) => q.policy?.name ?? null,
};

export function queueSortField(field: string): ((q: Queue) => Json) | undefined {
  return Object.hasOwn(QUEUE_SORT_FIELDS, field) ? QUEUE_SORT_FIELDS[field] : undefined;
}

export function exchangeView(ctx: ManagementContext, x: Exchange): Row {
  return {
    name: x.name,
    vhost: x.vhost,
    type: x.type,
    durable: x.durable,
    auto_delete: x.autoDelete,
    internal: x.internal,
    arguments: tableToJson(x.args),
    policy: x.policy?.name ?? null,
    user_who_performed_action: 'rmq-internal',
    message_stats: messageStats(ctx, x, exchangeCounters(x)),
  };
}

/**
 * The key a binding is addressed by in /api/bindings/…/{props}: the routing key alone when there are
 * no arguments ('~' for an empty key), else the key, '~' and a digest of the arguments.
 */
export function propertiesKey(routingKey: string, args: Binding['args']): string {
  const key = formQuote(routingKey);
  if (args.size === 0) return key === '' ? '~' : key;
  return `${key}~${digest(JSON.stringify(tableToJson(args)))}`;
}

/** Form-quoting as RabbitMQ applies it: letters, digits and . - _ stay; space is +; every other byte %XX. */
function formQuote(s: string): string {
  let out = '';
  for (const byte of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(byte);
    if (/[A-Za-z0-9._-]/.test(c)) out += c;
    else if (byte === 0x20) out += '+';
    else out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** A short stable digest (FNV-1a, base64url) — only needs to tell a vhost's bindings apart. */
function digest(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return Buffer.from(h.toString(16).padStart(8, '0'), 'hex').toString('base64url');
}

export function bindingView(b: Binding): Row {
  return {
    source: b.source.name,
    vhost: b.source.vhost,
    destination: b.destination.name,
    destination_type: b.destination.kind,
    routing_key: b.routingKey,
    arguments: tableToJson(b.args),
    properties_key: propertiesKey(b.routingKey, b.args),
  };
}

/** The default exchange's implicit binding of a queue under its own name. */
export function defaultBindingView(vhost: string, queue: string): Row {
  return {
    source: '',
    vhost,
    destination: queue,
    destination_type: 'queue',
    routing_key: queue,
    arguments: {},
    properties_key: propertiesKey(queue, new Map()),
  };
}

function connectionDetails(c: ConnectionSnapshot): Row {
  return { name: c.name, peer_host: c.peerHost, peer_port: c.peerPort };
}

export function channelName(c: ConnectionSnapshot, ch: ChannelSnapshot): string {
  return `${c.name} (${ch.number})`;
}

/** key: the object the rate sampler samples this connection under. */
export function connectionView(ctx: ManagementContext, c: ConnectionSnapshot, key: object): Row {
  const client = tableToJson(c.clientProperties);
  const provided = c.clientProperties.get('connection_name');
  const providedName = provided === undefined ? undefined : stringOf(provided);
  return {
    name: c.name,
    ...(providedName !== undefined ? { user_provided_name: providedName } : {}),
    node: ctx.nodeName,
    type: 'network',
    protocol: 'AMQP 0-9-1',
    state: c.state,
    user: c.user,
    user_who_performed_action: c.user,
    vhost: c.vhost,
    host: c.host,
    port: c.port,
    peer_host: c.peerHost,
    peer_port: c.peerPort,
    ssl: c.tls !== null,
    ...(c.tls ? { ssl_protocol: c.tls.protocol, ssl_cipher: c.tls.cipher, peer_cert_subject: c.tls.peerCertSubject } : {}),
    auth_mechanism: c.authMechanism,
    channels: c.channels.length,
    channel_max: c.channelMax,
    frame_max: c.frameMax,
    timeout: c.heartbeat,
    connected_at: c.connectedAt,
    client_properties: client,
    ...depth(ctx, key, 'recv_oct', c.recvOct),
    ...depth(ctx, key, 'send_oct', c.sendOct),
    recv_cnt: c.recvCnt,
    send_cnt: c.sendCnt,
    send_pend: c.sendPend,
  };
}

export function channelView(ctx: ManagementContext, c: ConnectionSnapshot, ch: ChannelSnapshot): Row {
  return {
    name: channelName(c, ch),
    node: ctx.nodeName,
    number: ch.number,
    user: c.user,
    user_who_performed_action: c.user,
    vhost: c.vhost,
    state: c.state === 'blocked' ? 'flow' : 'running',
    consumer_count: ch.consumers.length,
    messages_unacknowledged: ch.unacked,
    messages_unconfirmed: ch.confirm ? ch.unconfirmed : 0,
    messages_uncommitted: 0,
    acks_uncommitted: 0,
    pending_raft_commands: 0,
    prefetch_count: ch.prefetchCount,
    global_prefetch_count: ch.globalPrefetchCount,
    confirm: ch.confirm,
    transactional: ch.transactional,
    connection_details: connectionDetails(c),
    message_stats: messageStats(ctx, ch.stats, channelCounters(ch.stats)),
  };
}

export function consumerView(ctx: ManagementContext, c: ConnectionSnapshot, ch: ChannelSnapshot, consumer: Consumer): Row {
  return {
    consumer_tag: consumer.tag,
    queue: { name: consumer.queue.name, vhost: consumer.queue.vhost },
    channel_details: {
      name: channelName(c, ch),
      number: ch.number,
      connection_name: c.name,
      peer_host: c.peerHost,
      peer_port: c.peerPort,
      user: c.user,
      node: ctx.nodeName,
    },
    ack_required: !consumer.noAck,
    prefetch_count: consumer.prefetch,
    exclusive: consumer.exclusive,
    active: true,
    activity_status: 'up',
    arguments: tableToJson(consumer.args),
  };
}

export function vhostView(ctx: ManagementContext, vh: VHost): Row {
  let ready = 0;
  let unacked = 0;
  for (const q of vh.queues.values()) {
    ready += q.messageCount;
    unacked += q.unackedCount;
  }
  const m = vh.metadata;
  return {
    name: vh.name,
    description: m.description,
    tags: m.tags,
    default_queue_type: m.defaultQueueType,
    metadata: { description: m.description, tags: m.tags },
    tracing: m.tracing,
    cluster_state: { [ctx.nodeName]: 'running' },
    messages: ready + unacked,
    messages_ready: ready,
    messages_unacknowledged: unacked,
  };
}

export function userView(u: User): Row {
  return { name: u.name, password_hash: u.passwordHash, hashing_algorithm: u.hashingAlgorithm, tags: u.tags, limits: {} };
}

export function permissionView(p: Permission): Row {
  return { user: p.user, vhost: p.vhost, configure: p.configure, write: p.write, read: p.read };
}

export function policyView(p: Parameters<typeof policyToJson>[0]): Row {
  return policyToJson(p) as unknown as Row;
}
