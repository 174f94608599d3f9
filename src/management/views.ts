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
import { channelCounters, DEPTH_FIELDS, queueCounters } from './counters.js';
import { tableToJson, type Json } from './json-fields.js';
import type { Counters } from './rates.js';

type Row = { [key: string]: Json };

/** {field: n, field_details: {rate}} for the counters that have counted something. */
export function messageStats(ctx: ManagementContext, key: object, counters: Counters): Row {
  const out: Row = {};
  for (const [field, value] of Object.entries(counters)) {
    if (DEPTH_FIELDS.has(field) || value === 0) continue;
    out[field] = value;
    out[`${field}_details`] = { rate: ctx.rates.rate(key, field) };
  }
  return out;
}

function depth(ctx: ManagementContext, key: object, field: string, value: number): Row {
  return { [field]: value, [`${field}_details`]: { rate: ctx.rates.rate(key, field) } };
}

/** Rough bytes a queue holds in memory: the bodies of its in-memory messages and their bookkeeping. */
function queueMemory(q: Queue): number {
  const PER_MESSAGE = 160;
  return 2048 + (q.messageCount + q.unackedCount) * PER_MESSAGE + q.readyBytes + q.unackedBytes;
}

export function queueView(ctx: ManagementContext, q: Queue): Row {
  const counters = queueCounters(q);
  const sac = q.settings.singleActiveConsumer ? (q.consumers[0]?.tag ?? null) : null;
  const exclusiveConsumer = q.consumers.find((c) => c.exclusive)?.tag ?? null;
  return {
    name: q.name,
    vhost: q.vhost,
    type: q.settings.quorum ? 'quorum' : 'classic',
    durable: q.durable,
    auto_delete: q.autoDelete,
    exclusive: q.exclusiveOwner !== 0,
    arguments: tableToJson(q.args),
    node: ctx.nodeName,
    state: 'running',
    policy: q.policy?.name ?? null,
    operator_policy: null,
    effective_policy_definition: (q.policy?.definition ?? {}) as Row,
    consumers: q.consumerCount,
    exclusive_consumer_tag: exclusiveConsumer,
    single_active_consumer_tag: sac,
    memory: queueMemory(q),
    ...depth(ctx, q, 'messages', counters.messages),
    ...depth(ctx, q, 'messages_ready', counters.messages_ready),
    ...depth(ctx, q, 'messages_unacknowledged', counters.messages_unacknowledged),
    message_bytes: q.readyBytes + q.unackedBytes,
    message_bytes_ready: q.readyBytes,
    message_bytes_unacknowledged: q.unackedBytes,
    message_stats: messageStats(ctx, q, counters),
  };
}

export function exchangeView(x: Exchange): Row {
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
  };
}

/**
 * The key a binding is addressed by in /api/bindings/…/{props}: the routing key alone when there are
 * no arguments ('~' for an empty key), else the key, '~' and a digest of the arguments.
 */
export function propertiesKey(routingKey: string, args: Binding['args']): string {
  const key = routingKey.replace(/%/g, '%25').replace(/~/g, '%7E');
  if (args.size === 0) return key === '' ? '~' : key;
  return `${key}~${digest(JSON.stringify(tableToJson(args)))}`;
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

/** The default exchange's implicit binding of every queue under its own name. */
export function defaultBindingView(q: Queue): Row {
  return {
    source: '',
    vhost: q.vhost,
    destination: q.name,
    destination_type: 'queue',
    routing_key: q.name,
    arguments: {},
    properties_key: propertiesKey(q.name, new Map()),
  };
}

function connectionDetails(c: ConnectionSnapshot): Row {
  return { name: c.name, peer_host: c.peerHost, peer_port: c.peerPort };
}

export function channelName(c: ConnectionSnapshot, ch: ChannelSnapshot): string {
  return `${c.name} (${ch.number})`;
}

export function connectionView(ctx: ManagementContext, c: ConnectionSnapshot): Row {
  const client = tableToJson(c.clientProperties);
  return {
    name: c.name,
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
    recv_oct: c.recvOct,
    send_oct: c.sendOct,
  };
}

export function channelView(ctx: ManagementContext, c: ConnectionSnapshot, ch: ChannelSnapshot): Row {
  return {
    name: channelName(c, ch),
    node: ctx.nodeName,
    number: ch.number,
    user: c.user,
    vhost: c.vhost,
    state: c.state === 'blocked' ? 'flow' : 'running',
    consumer_count: ch.consumers.length,
    messages_unacknowledged: ch.unacked,
    messages_unconfirmed: ch.confirm ? ch.unconfirmed : 0,
    messages_uncommitted: 0,
    acks_uncommitted: 0,
    prefetch_count: ch.prefetchCount,
    global_prefetch_count: ch.globalPrefetchCount,
    confirm: ch.confirm,
    transactional: ch.transactional,
    connection_details: connectionDetails(c),
    message_stats: messageStats(ctx, ch.stats, channelCounters(ch.stats)),
  };
}

export function consumerView(c: ConnectionSnapshot, ch: ChannelSnapshot, consumer: Consumer): Row {
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
      node: '',
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
    metadata: { description: m.description, tags: m.tags, default_queue_type: m.defaultQueueType },
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
