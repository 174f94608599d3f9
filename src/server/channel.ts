// One AMQP channel: applies the client's methods to the model, assembles published content, delivers
// to its consumers, and keeps the deliveries awaiting acknowledgement, the confirm sequence and the
// transaction buffer. Errors it throws close this channel (soft codes) or its connection (hard codes).
import { integerOf, isIntegerField, stringOf, typeName, type FieldTable } from '../amqp/field-table.js';
import { propertiesFit, rewriteProperties, shortstrPropertyOf } from '../amqp/properties.js';
import {
  BasicPropertyFlag,
  ClassId,
  MethodId,
  encodeBasicAck,
  encodeBasicCancel,
  encodeBasicCancelOk,
  encodeBasicConsumeOk,
  encodeBasicGetEmpty,
  encodeBasicGetOk,
  encodeBasicNack,
  encodeBasicQosOk,
  encodeBasicRecoverOk,
  encodeBasicReturn,
  encodeChannelCloseOk,
  encodeChannelOpenOk,
  encodeChannelFlowOk,
  encodeConfirmSelectOk,
  encodeExchangeBindOk,
  encodeExchangeDeclareOk,
  encodeExchangeDeleteOk,
  encodeExchangeUnbindOk,
  encodeQueueBindOk,
  encodeQueueDeclareOk,
  encodeQueueDeleteOk,
  encodeQueuePurgeOk,
  encodeQueueUnbindOk,
  encodeTxCommitOk,
  encodeTxRollbackOk,
  encodeTxSelectOk,
  type BasicPublish,
  type Method,
} from '../amqp/spec.js';
import { Consumer, type DeliverySink } from '../broker/consumer.js';
import {
  ChannelCrash,
  accessRefused,
  channelError,
  frameError,
  notAllowed,
  notFound,
  notImplemented,
  precondition,
  unexpectedFrame,
} from '../broker/errors.js';
import type { Exchange } from '../broker/exchange.js';
import { publishedRoutingKeys } from '../broker/dead-letter.js';
import { REPLY_TO, REPLY_TO_PREFIX, newReplyKey, replyKeyOf, type ReplyTarget } from '../broker/direct-reply-to.js';
import { Message, invalidExpiration, type QueuedMessage } from '../broker/message.js';
import { storeIdIn, storeMessage, type MessageStorage } from '../broker/message-storage.js';
import type { Queue } from '../broker/queue.js';
import { ChannelStats } from '../broker/stats.js';
import { Routed } from '../broker/route-set.js';
import { generatedName, type VHost } from '../broker/vhost.js';
import type { Connection } from './connection.js';

/** A delivery awaiting ack: what was delivered, from where, to whom (null for basic.get). */
class Unacked {
  constructor(
    readonly tag: number,
    readonly qm: QueuedMessage,
    readonly queue: Queue,
    readonly consumer: Consumer | null,
  ) {}
}

/** A publish held back by a transaction until tx.commit. */
interface HeldPublish {
  exchange: Exchange;
  mandatory: boolean;
  message: Message;
}

type HeldSettle = { kind: 'ack' | 'nack' | 'reject'; tag: number; multiple: boolean; requeue: boolean };

/** Where content assembly stands: after basic.publish, the header, then body frames. */
const enum Content {
  None,
  AwaitingHeader,
  AwaitingBody,
}

/** RabbitMQ's default max_message_size (128 MiB). */
const MAX_MESSAGE_SIZE = 128 * 1024 * 1024;

/** What routing a publish came to. */

/** CC and BCC must be arrays; anything else is refused before routing, as RabbitMQ does. */
function checkRecipientHeaders(msg: Message): void {
  const h = msg.properties.headers;
  if (!h) return;
  for (const name of ['CC', 'BCC']) {
    const f = h.get(name);
    if (f !== undefined && f.type !== 'A') throw precondition(`invalid message: {unacceptable_type_in_header,"${name}",${typeName(f.type)}}`);
  }
}

export interface ChannelSnapshot {
  number: number;
  consumers: Consumer[];
  unacked: number;
  prefetchCount: number;
  globalPrefetchCount: number;
  confirm: boolean;
  transactional: boolean;
  unconfirmed: number;
  stats: ChannelStats;
}

export class Channel implements DeliverySink, ReplyTarget {
  /** Until channel.open, every method but a publish (which fails once its content is in) is an error. */
  opened = false;
  closing = false;
  private readonly vhost: VHost;
  /** Counters for the management API's message_stats of this channel. */
  readonly stats = new ChannelStats();
  private readonly consumers = new Map<string, Consumer>();
  private readonly unacked = new Map<number, Unacked>();
  private nextDeliveryTag = 1;
  /** Deliveries to consumers that need an ack, for the channel-wide (global) prefetch. */
  private unackedConsumed = 0;
  private consumerPrefetch = 0;
  private globalPrefetch = 0;
  private lastQueueName: string | undefined = undefined;

  // publisher confirms
  private confirming = false;
  private publishSeq = 0;
  /** Highest sequence number that may be acked, and the highest acked so far. */
  private confirmReady = 0;
  private confirmSent = 0;
  /** Highest sequence number waiting for storage to reach the disk. */
  private durableUpTo = 0;
  /** Sequence numbers to be nacked (refused by a full queue), in order. */
  private nacks: number[] = [];
  private readonly storage: MessageStorage | null;

  // direct reply-to: the consumer of amq.rabbitmq.reply-to on this channel, and its address key
  private replyConsumerTag: string | null = null;
  private replyKey: string | null = null;
  /** While this channel deletes a queue: cancel notifications to send after delete-ok. */
  private deferredCancels: string[] | null = null;

  // transactions
  private tx: { publishes: HeldPublish[]; settles: HeldSettle[] } | null = null;

  // content being assembled
  private content = Content.None;
  private publish: BasicPublish | null = null;
  private publishExchange: Exchange | null = null;
  private properties: Buffer | null = null;
  private bodySize = 0;
  private bodyReceived = 0;
  private bodyParts: Buffer[] = [];

  /** What the management API shows of this channel. */
  snapshot(): ChannelSnapshot {
    return {
      number: this.id,
      consumers: [...this.consumers.values()],
      unacked: this.unacked.size,
      prefetchCount: this.consumerPrefetch,
      globalPrefetchCount: this.globalPrefetch,
      confirm: this.confirming,
      transactional: this.tx !== null,
      unconfirmed: this.publishSeq - this.confirmSent,
      stats: this.stats,
    };
  }

  constructor(
    readonly id: number,
    readonly conn: Connection,
  ) {
    this.vhost = conn.vhost!;
    this.storage = this.vhost.storage;
  }

  get connectionId(): number {
    return this.conn.id;
  }

  // ---- frames from the client ----

  onMethod(m: Method): void {
    if (this.content !== Content.None) {
      throw unexpectedFrame(
        this.content === Content.AwaitingHeader
          ? 'expected content header for class 60, got non content header frame instead'
          : 'expected content body, got non content body frame instead',
        MethodId.BasicPublish,
      );
    }
    const w = this.conn.writer;
    const ch = this.id;
    if (!this.opened) {
      if (m.id === MethodId.ChannelOpen) {
        this.opened = true;
        encodeChannelOpenOk(w, ch);
        this.conn.scheduleFlush();
        return;
      }
      if (m.id !== MethodId.BasicPublish) throw channelError("expected 'channel.open'");
      // RabbitMQ reads the whole message before it notices the channel was never opened.
      this.publish = m;
      this.content = Content.AwaitingHeader;
      return;
    }
    const vh = this.vhost;
    const connId = this.conn.id;
    const access = this.conn.access!;
    switch (m.id) {
      case MethodId.BasicPublish:
        return this.startPublish(m);
      case MethodId.BasicAck:
        return this.settle('ack', m.deliveryTag, m.multiple, false);
      case MethodId.BasicNack:
        return this.settle('nack', m.deliveryTag, m.multiple, m.requeue);
      case MethodId.BasicReject:
        return this.settle('reject', m.deliveryTag, false, m.requeue);
      case MethodId.BasicQos:
        if (m.prefetchSize !== 0) throw notImplemented(`prefetch_size!=0 (${m.prefetchSize})`);
        if (m.global) this.globalPrefetch = m.prefetchCount;
        else {
          // As RabbitMQ 3.10 does: a per-consumer qos also lifts a channel-wide limit set before it.
          this.consumerPrefetch = m.prefetchCount;
          this.globalPrefetch = 0;
        }
        this.resumeConsumers();
        encodeBasicQosOk(w, ch);
        break;
      case MethodId.BasicConsume:
        return this.consume(m.queue, m.consumerTag, m.noAck, m.exclusive, m.noWait, m.arguments);
      case MethodId.BasicCancel: {
        if (m.consumerTag === this.replyConsumerTag) this.stopReplies();
        const c = this.consumers.get(m.consumerTag);
        if (c) {
          this.consumers.delete(m.consumerTag);
          c.queue.removeConsumer(c);
        }
        if (!m.noWait) encodeBasicCancelOk(w, ch, m.consumerTag);
        break;
      }
      case MethodId.BasicGet:
        return this.get(m.queue, m.noAck);
      case MethodId.BasicRecover:
      case MethodId.BasicRecoverAsync:
        if (!m.requeue) throw notImplemented('requeue=false');
        this.requeueAll();
        if (m.id === MethodId.BasicRecover) encodeBasicRecoverOk(w, ch);
        break;
      case MethodId.ExchangeDeclare: {
        if (!m.passive) {
          access.exchange('configure', m.exchange);
          const ae = stringOf(m.arguments.get('alternate-exchange'));
          if (ae !== undefined) {
            access.exchange('read', m.exchange);
            access.exchange('write', ae);
          }
        }
        vh.declareExchange(m.exchange, m.type, m.passive, m.durable, m.autoDelete, m.internal, m.arguments);
        if (!m.noWait) encodeExchangeDeclareOk(w, ch);
        break;
      }
      case MethodId.ExchangeDelete:
        // The default and amq.* exchanges are refused as such before any permission check, as in RabbitMQ.
        if (m.exchange !== '' && !m.exchange.startsWith('amq.')) access.exchange('configure', m.exchange);
        vh.deleteExchange(m.exchange, m.ifUnused);
        if (!m.noWait) encodeExchangeDeleteOk(w, ch);
        break;
      case MethodId.ExchangeBind:
        access.exchange('write', m.destination);
        access.exchange('read', m.source);
        vh.bind(m.source, m.destination, false, m.routingKey, m.arguments, connId);
        if (!m.noWait) encodeExchangeBindOk(w, ch);
        break;
      case MethodId.ExchangeUnbind:
        access.exchange('write', m.destination);
        access.exchange('read', m.source);
        vh.unbind(m.source, m.destination, false, m.routingKey, m.arguments, connId);
        if (!m.noWait) encodeExchangeUnbindOk(w, ch);
        break;
      case MethodId.QueueDeclare: {
        if (m.queue.startsWith(REPLY_TO)) {
          this.declareReplyTo(m.queue);
          if (!m.noWait) encodeQueueDeclareOk(w, ch, m.queue, 0, 1);
          break;
        }
        const dlx = stringOf(m.arguments.get('x-dead-letter-exchange'));
        const d = vh.declareQueue(m.queue, m.passive, m.durable, m.exclusive, m.autoDelete, m.arguments, connId, (name) =>
          access.declareQueue(name, dlx),
        );
        this.lastQueueName = d.queue.name;
        if (!m.noWait) encodeQueueDeclareOk(w, ch, d.queue.name, d.messageCount, d.consumerCount);
        break;
      }
      case MethodId.QueueBind: {
        const q = this.queueName(m.queue);
        const key = m.routingKey === '' && m.queue === '' ? q : m.routingKey;
        access.queue('write', q);
        access.exchange('read', m.exchange);
        vh.bind(m.exchange, q, true, key, m.arguments, connId);
        if (!m.noWait) encodeQueueBindOk(w, ch);
        break;
      }
      case MethodId.QueueUnbind: {
        const q = this.queueName(m.queue);
        const key = m.routingKey === '' && m.queue === '' ? q : m.routingKey;
        access.queue('write', q);
        access.exchange('read', m.exchange);
        vh.unbind(m.exchange, q, true, key, m.arguments, connId);
        encodeQueueUnbindOk(w, ch);
        break;
      }
      case MethodId.QueuePurge: {
        const q = this.queueName(m.queue);
        access.queue('read', q);
        const n = vh.purgeQueue(q, connId);
        if (!m.noWait) encodeQueuePurgeOk(w, ch, n);
        break;
      }
      case MethodId.QueueDelete: {
        // This channel's own consumers of the queue hear basic.cancel after delete-ok, as in RabbitMQ.
        this.deferredCancels = [];
        try {
          const q = this.queueName(m.queue);
          access.queue('configure', q);
          const n = vh.deleteQueue(q, m.ifUnused, m.ifEmpty, connId);
          if (!m.noWait) encodeQueueDeleteOk(w, ch, n);
        } finally {
          const tags = this.deferredCancels;
          this.deferredCancels = null;
          for (const tag of tags) encodeBasicCancel(w, ch, tag, true);
        }
        break;
      }
      case MethodId.ConfirmSelect:
        if (this.tx) throw precondition('cannot switch from tx to confirm mode');
        this.confirming = true;
        if (!m.nowait) encodeConfirmSelectOk(w, ch);
        break;
      case MethodId.TxSelect:
        if (this.confirming) throw precondition('cannot switch from confirm to tx mode');
        this.tx ??= { publishes: [], settles: [] };
        encodeTxSelectOk(w, ch);
        break;
      case MethodId.TxCommit:
        // As in RabbitMQ, commit-ok means the transaction's persistent messages are on disk; until
        // then nothing more is read from this connection, so replies stay in order.
        if (this.commit()) this.conn.holdUntilDurable(this.storage!, this.commitOkBound);
        else encodeTxCommitOk(w, ch);
        break;
      case MethodId.TxRollback:
        if (!this.tx) throw precondition('channel is not transactional');
        this.tx = { publishes: [], settles: [] };
        encodeTxRollbackOk(w, ch);
        break;
      case MethodId.ChannelFlow:
        // RabbitMQ does not let clients pause deliveries this way (basic.qos is the tool for that).
        if (!m.active) throw notImplemented('active=false');
        encodeChannelFlowOk(w, ch, true);
        break;
      case MethodId.ChannelFlowOk:
        break; // the broker never sends channel.flow, so there is nothing to wait for
      case MethodId.ChannelOpen:
        throw channelError("second 'channel.open' seen");
      default:
        throw notImplemented(`method ${m.id >>> 16}.${m.id & 0xffff} is not a client method on a channel`);
    }
    this.conn.scheduleFlush();
  }

  /** The empty queue name means "the queue last declared on this channel", as in RabbitMQ. */
  private queueName(name: string): string {
    if (name !== '') return name;
    if (this.lastQueueName === undefined) throw notFound('no previously declared queue');
    return this.lastQueueName;
  }

  onHeader(buf: Buffer, start: number, end: number): void {
    if (this.content !== Content.AwaitingHeader) {
      throw this.content === Content.None
        ? unexpectedFrame('expected method frame, got non method frame instead')
        : unexpectedFrame('expected content body, got non content body frame instead', MethodId.BasicPublish);
    }
    if (end - start < 14) throw frameError('content header frame too short');
    const classId = buf.readUInt16BE(start);
    if (classId !== ClassId.Basic) throw frameError(`content header for class ${classId} where class 60 was expected`);
    const size = buf.readUInt32BE(start + 4) * 0x100000000 + buf.readUInt32BE(start + 8);
    const props = buf.subarray(start + 12, end);
    if (!propertiesFit(props)) throw frameError('content header properties do not decode');
    const userId = shortstrPropertyOf(props, BasicPropertyFlag.UserId);
    if (userId !== undefined && userId !== this.conn.username) {
      this.content = Content.None;
      throw precondition(`user_id property set to '${userId}' but authenticated user was '${this.conn.username}'`);
    }
    if (size > MAX_MESSAGE_SIZE) {
      this.content = Content.None;
      throw precondition(`message size ${size} is larger than configured max size ${MAX_MESSAGE_SIZE}`);
    }
    const expiration = shortstrPropertyOf(props, BasicPropertyFlag.Expiration);
    if (expiration !== undefined) {
      const bad = invalidExpiration(expiration);
      if (bad !== undefined) {
        this.content = Content.None;
        throw precondition(`invalid expiration '${expiration}': ${bad}`);
      }
    }
    this.properties = props;
    if (shortstrPropertyOf(props, BasicPropertyFlag.ReplyTo) === REPLY_TO) {
      if (this.replyKey === null) {
        this.content = Content.None;
        throw precondition('fast reply consumer does not exist');
      }
      const address = REPLY_TO_PREFIX + this.replyKey;
      this.properties = rewriteProperties(props, (p) => (p.replyTo = address));
    }
    this.bodySize = size;
    this.bodyReceived = 0;
    if (size === 0) return this.finishPublish(Buffer.alloc(0));
    this.content = Content.AwaitingBody;
  }

  onBody(buf: Buffer, start: number, end: number): void {
    if (this.content !== Content.AwaitingBody) {
      throw this.content === Content.AwaitingHeader
        ? unexpectedFrame('expected content header for class 60, got non content header frame instead', MethodId.BasicPublish)
        : unexpectedFrame('expected method frame, got non method frame instead');
    }
    const n = end - start;
    this.bodyReceived += n;
    if (this.bodyReceived > this.bodySize) {
      throw frameError(`content body exceeds the declared size ${this.bodySize}`);
    }
    // The common case, a body in one frame, is kept as a view of the frame: no copy.
    if (this.bodyReceived === this.bodySize && this.bodyParts.length === 0) {
      return this.finishPublish(buf.subarray(start, end));
    }
    this.bodyParts.push(buf.subarray(start, end));
    if (this.bodyReceived === this.bodySize) {
      const body = Buffer.concat(this.bodyParts, this.bodySize);
      this.bodyParts = [];
      this.finishPublish(body);
    }
  }

  // ---- publishing ----

  private startPublish(m: BasicPublish): void {
    if (m.immediate) throw notImplemented('immediate=true');
    this.conn.access!.publish(m.exchange);
    const x = this.vhost.exchangeOrDie(m.exchange);
    if (x.internal) throw accessRefused(`cannot publish to internal ${this.vhost.describeExchange(m.exchange)}`);
    this.publish = m;
    this.publishExchange = x;
    this.content = Content.AwaitingHeader;
  }

  private finishPublish(body: Buffer): void {
    if (!this.opened) throw channelError("expected 'channel.open'");
    const m = this.publish!;
    const x = this.publishExchange!;
    const msg = new Message(m.exchange, m.routingKey, this.properties!, body);
    this.content = Content.None;
    this.publish = null;
    this.publishExchange = null;
    this.properties = null;
    if (this.tx) {
      this.tx.publishes.push({ exchange: x, mandatory: m.mandatory, message: msg });
      this.conn.published();
      return;
    }
    const routed = this.routeAndEnqueue(x, m.mandatory, msg);
    this.conn.published();
    if (!this.confirming) return;
    const seq = ++this.publishSeq;
    if (routed & Routed.Refused) this.nacks.push(seq);
    // A publish is confirmed once it is on disk; one that needs no disk still waits behind any that
    // do, because confirms go out in order.
    if (routed & Routed.Stored || this.durableUpTo > this.confirmReady) {
      this.durableUpTo = seq;
      this.conn.durabilityPending(this);
    } else {
      this.confirmReady = seq;
      this.conn.confirmPending(this);
    }
  }

  /** Routes and enqueues; says whether the message was written to storage, or refused by a queue. */
  private routeAndEnqueue(x: Exchange, mandatory: boolean, msg: Message): Routed {
    this.stats.publish++;
    this.vhost.stats.received++;
    if (x === this.vhost.defaultExchange && msg.routingKey.startsWith(REPLY_TO_PREFIX)) return this.routeReply(mandatory, msg);
    const selects = msg.maySelectRecipients;
    if (selects) checkRecipientHeaders(msg);
    const queues = this.vhost.route(x, msg.routingKey, msg);
    const n = queues.length;
    // BCC routes but is not shown to anyone: consumers and returns get the message without it.
    if (selects && msg.properties.headers?.has('BCC')) msg = this.withoutBcc(msg);
    if (n === 0) {
      if (mandatory) {
        this.stats.returnUnroutable++;
        this.vhost.stats.unroutableReturned++;
        this.returnUnroutable(msg);
      } else {
        this.stats.dropUnroutable++;
        this.vhost.stats.unroutableDropped++;
      }
      return Routed.Plain;
    }
    this.vhost.stats.routed++;
    const routed = this.vhost.enqueueRouted(queues, msg);
    for (let i = 0; i < queues.length; i++) if (queues[i].inFlow) this.conn.holdForFlow(queues[i]);
    return routed;
  }

  private returnUnroutable(msg: Message): void {
    encodeBasicReturn(this.conn.writer, this.id, 312, 'NO_ROUTE', msg.exchange, msg.routingKey);
    this.conn.writeContent(this.id, msg);
  }

  private withoutBcc(msg: Message): Message {
    const props = rewriteProperties(msg.rawProperties, (p) => {
      const h = new Map(p.headers);
      h.delete('BCC');
      p.headers = h;
    });
    const copy = new Message(msg.exchange, msg.routingKey, props, msg.body);
    // Dead-lettering routes by every key the message was published with, BCC included.
    copy.bcc = publishedRoutingKeys(msg, 'BCC');
    return copy;
  }

  /** A reply to a direct reply-to address goes straight to the requesting channel, if it is still there. */
  private routeReply(mandatory: boolean, msg: Message): Routed {
    const target = this.replyTargetFor(msg.routingKey);
    target?.deliverReply(msg);
    // Even a delivered reply counts as unrouted for mandatory: no queue took it (RabbitMQ does the same).
    if (mandatory) this.returnUnroutable(msg);
    return Routed.Plain;
  }

  /** The reply consumer an address names, if it is live; a malformed address crashes as in RabbitMQ. */
  private replyTargetFor(address: string): ReplyTarget | undefined {
    if (!address.startsWith(REPLY_TO_PREFIX)) return undefined;
    const key = replyKeyOf(address.slice(REPLY_TO_PREFIX.length));
    if (key === 'malformed') throw new ChannelCrash();
    return key === undefined ? undefined : this.vhost.replyTargets.get(key);
  }

  /** queue.declare of the pseudo-queue, or of a live reply address: declare-ok with 1 consumer; else 404. */
  private declareReplyTo(name: string): void {
    if (name === REPLY_TO) return;
    if (!this.replyTargetFor(name)) throw notFound(`no queue '${name}' in vhost '${this.vhost.name}'`);
  }

  deliverReply(msg: Message): void {
    if (this.replyConsumerTag === null || this.closing) return;
    // RabbitMQ stamps a reply with the channel's next delivery tag without taking it.
    this.conn.writeDeliver(this.id, this.replyConsumerTag, this.nextDeliveryTag, false, msg);
    this.conn.scheduleFlush();
  }

  private stopReplies(): void {
    if (this.replyKey !== null) this.vhost.replyTargets.delete(this.replyKey);
    this.replyKey = null;
    this.replyConsumerTag = null;
  }

  /**
   * Called at flush time when publishes wait for the disk: asks storage for one callback covering
   * every publish so far (storage syncs once for many channels).
   */
  requestDurability(): void {
    const upTo = this.durableUpTo;
    this.storage!.whenDurable(() => {
      if (upTo > this.confirmReady) this.confirmReady = upTo;
      if (!this.closing) this.conn.confirmPending(this);
    });
  }

  /** Called by the connection just before it flushes: one ack covers every publish confirmed since. */
  flushConfirms(): void {
    if (this.confirmReady <= this.confirmSent) return;
    // Refused publishes are nacked one by one, in order, between acks of the runs around them.
    const confirmed = this.confirmReady - this.confirmSent;
    let nacked = 0;
    while (this.nacks.length > 0 && this.nacks[0] <= this.confirmReady) {
      nacked++;
      const seq = this.nacks.shift()!;
      if (seq - 1 > this.confirmSent) encodeBasicAck(this.conn.writer, this.id, seq - 1, seq - 1 - this.confirmSent > 1);
      // RabbitMQ's nack: multiple when nothing below is pending, requeue set (the field's default).
      encodeBasicNack(this.conn.writer, this.id, seq, seq - 1 === this.confirmSent, true);
      this.confirmSent = seq;
    }
    this.stats.confirm += confirmed - nacked;
    this.vhost.stats.confirmed += confirmed - nacked;
    if (this.confirmReady <= this.confirmSent) return;
    const multiple = this.confirmReady - this.confirmSent > 1;
    encodeBasicAck(this.conn.writer, this.id, this.confirmReady, multiple);
    this.confirmSent = this.confirmReady;
  }

  /** Applies the transaction; returns whether it wrote messages that must reach the disk first. */
  private commit(): boolean {
    if (!this.tx) throw precondition('channel is not transactional');
    const { publishes, settles } = this.tx;
    this.tx = { publishes: [], settles: [] };
    for (const s of settles) this.applySettle(s.kind, s.tag, s.multiple, s.requeue);
    let stored = false;
    for (const p of publishes) if (this.routeAndEnqueue(p.exchange, p.mandatory, p.message) & Routed.Stored) stored = true;
    return stored;
  }

  private readonly commitOkBound = () => {
    if (!this.closing) encodeTxCommitOk(this.conn.writer, this.id);
  };

  // ---- consuming ----

  private consume(queueName: string, tag: string, noAck: boolean, exclusive: boolean, nowait: boolean, args: FieldTable): void {
    if (queueName === REPLY_TO) return this.consumeReplies(tag, noAck, nowait);
    const name = this.queueName(queueName);
    this.conn.access!.queue('read', name);
    const q = this.vhost.queueFor(name, this.conn.id);
    if (tag === '') tag = generatedName('amq.ctag');
    else if (this.consumers.has(tag) || tag === this.replyConsumerTag) throw notAllowed(`attempt to reuse consumer tag '${tag}'`);
    const priority = args.get('x-priority');
    if (priority !== undefined && !isIntegerField(priority)) {
      throw precondition(`invalid arg 'x-priority' for ${this.vhost.describeQueue(q.name)}: "expected integer, got ${typeName(priority.type)}"`);
    }
    if (q.settings.quorum && this.globalPrefetch !== 0) throw notImplemented(`${this.vhost.describeQueue(q.name)} does not support global qos`);
    // An exclusive consumer on a single-active-consumer queue is refused even when it would be alone.
    if (q.hasExclusiveConsumer || (exclusive && (q.consumers.length > 0 || q.settings.singleActiveConsumer))) {
      throw accessRefused(`${this.vhost.describeQueue(q.name)} in exclusive use`);
    }
    const c = new Consumer(tag, q, this, noAck, exclusive, this.consumerPrefetch, args);
    this.consumers.set(tag, c);
    if (!nowait) encodeBasicConsumeOk(this.conn.writer, this.id, tag);
    this.conn.scheduleFlush();
    q.addConsumer(c);
  }

  private consumeReplies(tag: string, noAck: boolean, nowait: boolean): void {
    if (!noAck) throw precondition('reply consumer cannot acknowledge');
    if (this.replyConsumerTag !== null) throw precondition('reply consumer already set');
    if (tag === '') tag = generatedName('amq.ctag');
    else if (this.consumers.has(tag)) throw notAllowed(`attempt to reuse consumer tag '${tag}'`);
    this.replyConsumerTag = tag;
    this.replyKey = newReplyKey(this.conn.id, this.id);
    this.vhost.replyTargets.set(this.replyKey, this);
    if (!nowait) encodeBasicConsumeOk(this.conn.writer, this.id, tag);
    this.conn.scheduleFlush();
  }

  canDeliver(c: Consumer): boolean {
    if (this.closing || this.conn.writeBlocked) return false;
    return c.noAck || this.globalPrefetch === 0 || this.unackedConsumed < this.globalPrefetch;
  }

  deliver(c: Consumer, qm: QueuedMessage): void {
    const tag = this.nextDeliveryTag++;
    const stats = this.stats;
    const global = this.vhost.stats;
    if (qm.redelivered) {
      stats.redeliver++;
      global.redelivered++;
    }
    if (!c.noAck) {
      this.unacked.set(tag, new Unacked(tag, qm, c.queue, c));
      this.unackedConsumed++;
      stats.deliver++;
      global.delivered++;
    } else {
      stats.deliverNoAck++;
      global.deliveredNoAck++;
    }
    this.conn.writeDeliver(this.id, c.tag, tag, qm.redelivered, this.outgoing(c.queue, qm));
  }

  /** A quorum queue tells a consumer how often a message was returned before (x-delivery-count). */
  private outgoing(q: Queue, qm: QueuedMessage, get = false): Message {
    const msg = qm.message!;
    // basic.get always carries the header; a consumer's first delivery does not.
    if (!q.settings.quorum || (qm.deliveryCount === 0 && !get)) return msg;
    const count = qm.deliveryCount;
    const props = rewriteProperties(msg.rawProperties, (p) => {
      const h = new Map(p.headers);
      h.set('x-delivery-count', { type: 'l', value: BigInt(count) });
      p.headers = h;
    });
    return new Message(msg.exchange, msg.routingKey, props, msg.body);
  }

  cancelledByBroker(c: Consumer): void {
    if (this.consumers.get(c.tag) !== c) return;
    this.consumers.delete(c.tag);
    if (!this.conn.clientCancelNotify) return;
    if (this.deferredCancels !== null) this.deferredCancels.push(c.tag);
    else {
      encodeBasicCancel(this.conn.writer, this.id, c.tag, true);
      this.conn.scheduleFlush();
    }
  }

  private get(queueName: string, noAck: boolean): void {
    const name = this.queueName(queueName);
    this.conn.access!.queue('read', name);
    const q = this.vhost.queueFor(name, this.conn.id);
    const w = this.conn.writer;
    const qm = q.get(noAck);
    if (!qm) {
      encodeBasicGetEmpty(w, this.id);
    } else {
      const tag = this.nextDeliveryTag++;
      if (!noAck) this.unacked.set(tag, new Unacked(tag, qm, q, null));
      this.countGet(noAck, qm.redelivered);
      const msg = this.outgoing(q, qm, true); // the queue reads paged-out messages back before handing them out
      encodeBasicGetOk(w, this.id, tag, qm.redelivered, msg.exchange, msg.routingKey, q.messageCount);
      this.conn.writeContent(this.id, msg);
      qm.deliveryCount++;
    }
    this.conn.scheduleFlush();
  }

  private countGet(noAck: boolean, redelivered: boolean): void {
    const global = this.vhost.stats;
    if (redelivered) {
      this.stats.redeliver++;
      global.redelivered++;
    }
    if (noAck) {
      this.stats.getNoAck++;
      global.getNoAck++;
    } else {
      this.stats.get++;
      global.get++;
    }
  }

  // ---- acknowledgements ----

  private settle(kind: HeldSettle['kind'], tag: number, multiple: boolean, requeue: boolean): void {
    if (this.tx) {
      // RabbitMQ checks the tag when the ack arrives, and applies it on commit.
      if (!(tag === 0 && multiple) && !this.unacked.has(tag)) throw precondition(`unknown delivery tag ${tag}`);
      this.tx.settles.push({ kind, tag, multiple, requeue });
      return;
    }
    this.applySettle(kind, tag, multiple, requeue);
  }

  private applySettle(kind: HeldSettle['kind'], tag: number, multiple: boolean, requeue: boolean): void {
    const ack = kind === 'ack';
    if (tag === 0 && multiple) {
      this.settleMany(Number.MAX_SAFE_INTEGER, ack, requeue);
      return;
    }
    const u = this.unacked.get(tag);
    if (!u) throw precondition(`unknown delivery tag ${tag}`);
    if (multiple) {
      this.settleMany(tag, ack, requeue);
      return;
    }
    this.unacked.delete(tag);
    this.settleOne(u, ack, requeue);
    u.queue.dispatch();
  }

  /** Settles every delivery up to and including tag (the map iterates in tag order). */
  private settleMany(upTo: number, ack: boolean, requeue: boolean): void {
    const touched = new Set<Queue>();
    for (const [t, u] of this.unacked) {
      if (t > upTo) break;
      this.unacked.delete(t);
      this.settleOne(u, ack, requeue);
      touched.add(u.queue);
    }
    for (const q of touched) q.dispatch();
  }

  private settleOne(u: Unacked, ack: boolean, requeue: boolean): void {
    if (u.consumer) this.unackedConsumed--;
    if (ack) {
      this.stats.ack++;
      this.vhost.stats.acknowledged++;
      u.queue.settle(u.qm, u.consumer);
    }
    else if (requeue) u.queue.requeue(u.qm, u.consumer);
    else u.queue.reject(u.qm, u.consumer);
  }

  /** Requeues every unacked delivery of this channel (basic.recover, channel close). */
  private requeueAll(): void {
    const touched = new Set<Queue>();
    for (const u of this.unacked.values()) {
      if (u.consumer) this.unackedConsumed--;
      u.queue.requeue(u.qm, u.consumer);
      touched.add(u.queue);
    }
    this.unacked.clear();
    for (const q of touched) q.dispatch();
  }

  /** Consumers of this channel may have credit again (ack, flow, socket drained). */
  resumeConsumers(): void {
    for (const c of this.consumers.values()) c.queue.dispatch();
  }

  /**
   * Releases everything the channel holds. Unacked messages are requeued before the consumers go (a
   * closing channel takes no deliveries), so a single-active-consumer successor gets them first.
   */
  teardown(): void {
    this.closing = true;
    this.stopReplies();
    this.requeueAll();
    const consumers = [...this.consumers.values()];
    this.consumers.clear();
    for (const c of consumers) c.queue.removeConsumer(c);
    this.tx = null;
    this.bodyParts = [];
  }

  /** Replies to a client's channel.close. */
  closeByClient(): void {
    this.teardown();
    encodeChannelCloseOk(this.conn.writer, this.id);
    this.conn.scheduleFlush();
  }
}
