// A virtual host: its exchanges, queues and bindings, and the operations AMQP performs on them, with
// RabbitMQ's checks, reply codes and reply texts. Knows nothing of sockets or frames.
import { stringOf, tablesEqual, type Field, type FieldTable } from '../amqp/field-table.js';
import { Binding, type Destination } from './binding.js';
import { isDurableBinding, type DefinitionsSink } from './definitions.js';
import { AmqpError, accessRefused, noExchange, noQueue, precondition, resourceLocked } from './errors.js';
import { Exchange } from './exchange.js';
import { routerFor, validateExchangeArguments } from './exchanges/index.js';
import type { ReplyTarget } from './direct-reply-to.js';
import { deadLetteredMessage, isDeadLetterCycle, type DeathReason } from './dead-letter.js';
import type { Message } from './message.js';
import type { MessagePager } from './message-pager.js';
import { storeIdIn, storeMessage, type MessageStorage } from './message-storage.js';
import { assertQueueArgumentsEquivalent, validateQueueArguments, validateQueueType } from './queue-arguments.js';
import { Queue, type QueueOwner } from './queue.js';
import { randomBytes } from './random.js';
import { RouteSet, Routed } from './route-set.js';
import { PolicySet, type Policy } from './policies.js';
import { GlobalStats } from './stats.js';

const PREDECLARED: [string, string, boolean][] = [
  ['amq.direct', 'direct', false],
  ['amq.fanout', 'fanout', false],
  ['amq.topic', 'topic', false],
  ['amq.headers', 'headers', false],
  ['amq.match', 'headers', false],
  ['amq.rabbitmq.trace', 'topic', true],
];

/** What the management API shows and sets on a vhost besides its contents. */
export interface VHostMetadata {
  description: string;
  tags: string[];
  /** x-queue-type given to queues declared without one ('classic' or 'quorum'). */
  defaultQueueType: string;
  tracing: boolean;
}

export interface DeclaredQueue {
  queue: Queue;
  messageCount: number;
  consumerCount: number;
}

/** Server-named queues and consumer tags: a prefix and 16 random bytes in URL-safe base64, as RabbitMQ. */
export function generatedName(prefix: string): string {
  return `${prefix}-${randomBytes(16).toString('base64url')}`;
}

export class VHost implements QueueOwner {
  readonly exchanges = new Map<string, Exchange>();
  readonly queues = new Map<string, Queue>();
  readonly defaultExchange: Exchange;
  /** Reused by every publish: routing allocates nothing per message. */
  private readonly routeSet = new RouteSet();
  private readonly scratch: Binding[] = [];
  /** Told of every change to durable definitions (set by storage; none for an in-memory broker). */
  definitions: DefinitionsSink | null = null;
  /** Where durable queues keep persistent messages (none for an in-memory broker). */
  storage: MessageStorage | null = null;
  /** Where long queues keep their backlog (none for an in-memory broker). */
  pager: MessagePager | null = null;
  readonly policies = new PolicySet();
  /** Channels consuming direct replies, by the key in their amq.rabbitmq.reply-to.<key> address. */
  readonly replyTargets = new Map<string, ReplyTarget>();
  /** Broker-wide counters (the broker gives every vhost the same one). */
  stats = new GlobalStats();
  readonly metadata: VHostMetadata = { description: '', tags: [], defaultQueueType: 'classic', tracing: false };

  constructor(readonly name: string) {
    this.defaultExchange = new Exchange(name, '', 'direct', true, false, false, new Map(), routerFor('direct'));
    this.exchanges.set('', this.defaultExchange);
    for (const [n, type, internal] of PREDECLARED) {
      this.exchanges.set(n, new Exchange(name, n, type, true, false, internal, new Map(), routerFor(type)));
    }
  }

  // ---- names as RabbitMQ renders them in reply texts ----

  describeQueue(name: string): string {
    return `queue '${name}' in vhost '${this.name}'`;
  }

  describeExchange(name: string): string {
    return `exchange '${name}' in vhost '${this.name}'`;
  }

  private checkNotDefault(name: string): void {
    if (name === '') throw accessRefused('operation not permitted on the default exchange');
  }

  private checkName(kind: 'exchange' | 'queue', name: string): void {
    if (name.startsWith('amq.')) throw accessRefused(`${kind} name '${name}' contains reserved prefix 'amq.*'`);
  }

  // ---- exchanges ----

  exchangeOrDie(name: string): Exchange {
    const x = this.exchanges.get(name);
    if (!x) throw noExchange(name, this.name);
    return x;
  }

  declareExchange(
    name: string,
    type: string,
    passive: boolean,
    durable: boolean,
    autoDelete: boolean,
    internal: boolean,
    args: FieldTable,
  ): Exchange {
    if (passive) {
      this.checkNotDefault(name);
      return this.exchangeOrDie(name);
    }
    const router = routerFor(type); // 503 for an unknown type comes first, as in RabbitMQ
    this.checkNotDefault(name);
    const existing = this.exchanges.get(name);
    if (existing) {
      this.assertExchangeEquivalent(existing, type, durable, autoDelete, internal, args);
      return existing;
    }
    this.checkName('exchange', name);
    const ae = args.get('alternate-exchange');
    if (ae && stringOf(ae) === undefined) {
      throw precondition(`invalid arg 'alternate-exchange' for ${this.describeExchange(name)}: {unacceptable_type,${ae.type}}`);
    }
    validateExchangeArguments(type, args); // checked on creation only, as in RabbitMQ
    const x = new Exchange(this.name, name, type, durable, autoDelete, internal, args, router);
    x.policy = this.policies.match('exchange', name) ?? null;
    this.exchanges.set(name, x);
    if (durable) this.definitions?.exchangeDeclared(x);
    return x;
  }

  private assertExchangeEquivalent(
    x: Exchange,
    type: string,
    durable: boolean,
    autoDelete: boolean,
    internal: boolean,
    args: FieldTable,
  ): void {
    const what = this.describeExchange(x.name);
    const field = (key: string, current: unknown, received: unknown) => {
      if (current !== received) {
        throw precondition(`inequivalent arg '${key}' for ${what}: received '${received}' but current is '${current}'`);
      }
    };
    field('type', x.type, type);
    field('durable', x.durable, durable);
    field('auto_delete', x.autoDelete, autoDelete);
    field('internal', x.internal, internal);
    const a = x.args.get('alternate-exchange');
    const b = args.get('alternate-exchange');
    if ((a || b) && !(a && b && tablesEqual(new Map([['k', a]]), new Map([['k', b]])))) {
      const show = (f: typeof a) => (f ? `the value '${stringOf(f)}' of type 'longstr'` : 'none');
      throw precondition(`inequivalent arg 'alternate-exchange' for ${what}: received ${show(b)} but current is ${show(a)}`);
    }
  }

  deleteExchange(name: string, ifUnused: boolean): void {
    this.checkNotDefault(name);
    if (name.startsWith('amq.')) throw accessRefused(`deletion of system ${this.describeExchange(name)} not allowed`);
    const x = this.exchanges.get(name);
    if (!x) return; // deleting what is not there succeeds, as in RabbitMQ 3.x
    if (ifUnused && x.bindings.length > 0) throw precondition(`${this.describeExchange(name)} in use`);
    this.removeExchange(x);
  }

  private removeExchange(x: Exchange): void {
    this.exchanges.delete(x.name);
    for (const b of [...x.bindings]) this.removeBindingObject(b);
    for (const b of [...x.incoming]) this.removeBindingObject(b);
    if (x.durable) this.definitions?.exchangeDeleted(x);
  }

  // ---- queues ----

  /** The queue, or 404; and 405 if it is exclusive to another connection. */
  queueFor(name: string, connectionId: number): Queue {
    const q = this.queues.get(name);
    if (!q) throw noQueue(name, this.name);
    this.checkExclusiveAccess(q, connectionId);
    return q;
  }

  private checkExclusiveAccess(q: Queue, connectionId: number): void {
    if (q.exclusiveOwner !== 0 && q.exclusiveOwner !== connectionId) throw this.locked(q.name);
  }

  private locked(name: string): AmqpError {
    return resourceLocked(
      `cannot obtain exclusive access to locked ${this.describeQueue(name)}. It could be originally declared on another connection or the exclusive property value does not match that of the original declaration.`,
    );
  }

  declareQueue(
    name: string,
    passive: boolean,
    durable: boolean,
    exclusive: boolean,
    autoDelete: boolean,
    args: FieldTable,
    connectionId: number,
    /** Permission check on the final name (a server-named queue's too), before anything else. */
    authorize?: (name: string) => void,
  ): DeclaredQueue {
    if (passive) {
      const q = this.queueFor(name, connectionId);
      q.touch(); // even a passive declaration counts as use for x-expires
      return { queue: q, messageCount: q.messageCount, consumerCount: q.consumerCount };
    }
    this.stats.queuesDeclared++;
    // Exclusive queues are never durable: they cannot outlive their connection.
    const isDurable = durable && !exclusive;
    if (name === '') {
      validateQueueType(name, args, durable, exclusive, autoDelete, '');
      name = generatedName('amq.gen');
      authorize?.(name);
    } else {
      authorize?.(name);
      this.checkName('queue', name);
    }
    const owner = exclusive ? connectionId : 0;
    const existing = this.queues.get(name);
    if (existing) {
      if (existing.exclusiveOwner !== owner) throw this.locked(name);
      const what = this.describeQueue(name);
      if (existing.durable !== isDurable) {
        throw precondition(`inequivalent arg 'durable' for ${what}: received '${isDurable}' but current is '${existing.durable}'`);
      }
      if (existing.autoDelete !== autoDelete) {
        throw precondition(`inequivalent arg 'auto_delete' for ${what}: received '${autoDelete}' but current is '${existing.autoDelete}'`);
      }
      assertQueueArgumentsEquivalent(existing.args, args, what);
      existing.touch(); // a redeclaration counts as use for x-expires
      return { queue: existing, messageCount: existing.messageCount, consumerCount: existing.consumerCount };
    }
    validateQueueType(name, args, durable, exclusive, autoDelete, this.describeQueue(name));
    validateQueueArguments(args, this.describeQueue(name));
    const q = new Queue(this, this.name, name, isDurable, owner, autoDelete, args, this.policies.match('queue', name) ?? null);
    if (isDurable) q.storage = this.storage;
    q.pager = this.pager;
    this.queues.set(name, q);
    this.stats.queuesCreated++;
    if (isDurable) this.definitions?.queueDeclared(q);
    return { queue: q, messageCount: 0, consumerCount: 0 };
  }

  /** Returns the number of messages the queue held. Deleting a missing queue succeeds with 0. */
  deleteQueue(name: string, ifUnused: boolean, ifEmpty: boolean, connectionId: number): number {
    const q = this.queues.get(name);
    if (!q) return 0;
    this.checkExclusiveAccess(q, connectionId);
    if (ifUnused && q.consumerCount > 0) throw precondition(`${this.describeQueue(name)} in use`);
    if (ifEmpty && q.messageCount > 0) throw precondition(`${this.describeQueue(name)} not empty`);
    return this.removeQueue(q);
  }

  purgeQueue(name: string, connectionId: number): number {
    return this.queueFor(name, connectionId).purge();
  }

  private removeQueue(q: Queue): number {
    const count = q.messageCount;
    this.queues.delete(q.name);
    this.stats.queuesDeleted++;
    q.deleted = true;
    for (const x of this.exchanges.values()) {
      for (let i = x.bindings.length - 1; i >= 0; i--) {
        if (x.bindings[i].destination === q) this.removeBindingObject(x.bindings[i]);
      }
    }
    const consumers = q.consumers;
    q.consumers = [];
    for (const c of consumers) c.sink.cancelledByBroker(c);
    q.purge(); // also releases publishers held by its flow control
    q.closed();
    if (q.durable) this.definitions?.queueDeleted(q);
    return count;
  }

  /** QueueOwner: an auto-delete queue lost its last consumer. */
  queueUnused(q: Queue): void {
    if (!q.deleted) this.removeQueue(q);
  }

  /** QueueOwner: an x-expires queue went unused for its period. */
  queueExpired(q: Queue): void {
    if (!q.deleted) this.removeQueue(q);
  }

  /**
   * QueueOwner: republishes a message a queue dead-letters. The dead-letter exchange is looked up now
   * (a missing one drops the message silently, as in RabbitMQ); alternate exchanges do not apply; a
   * target queue that would close an automatic cycle does not get it.
   */
  deadLetter(q: Queue, msg: Message, reason: DeathReason): void {
    const dlxName = q.settings.deadLetterExchange;
    if (dlxName === undefined) return;
    const x = this.exchanges.get(dlxName);
    if (!x) return;
    const dead = deadLetteredMessage(msg, reason, q.name, dlxName, q.settings.deadLetterRoutingKey, Date.now());
    // A set of its own: dead-lettering can happen while a publish is being enqueued.
    const out = new RouteSet();
    out.begin();
    this.routeWithKeys(x, dead, out, []);
    const targets: Queue[] = [];
    for (const t of out.queues) {
      if (reason !== 'rejected' && isDeadLetterCycle(t.name, dead)) continue;
      if (t.admits(dead.body.length)) targets.push(t);
      else t.refused(dead); // a full target with reject-publish-dlx dead-letters it in turn
    }
    if (targets.length === 0) return;
    const storeId = this.storage ? storeMessage(this.storage, dead, targets) : 0;
    for (const t of targets) t.enqueue(dead, storeIdIn(t, dead, storeId));
  }

  /** The vhost is being deleted: every queue goes (with its messages), then every exchange. */
  deleteEverything(): void {
    // The vhost's own deletion record covers its contents; no record per object.
    this.definitions = null;
    for (const q of [...this.queues.values()]) this.removeQueue(q);
    this.exchanges.clear();
    this.policies.clear();
  }

  /** QueueOwner: counted with RabbitMQ's labels; quorum queues' strategy is their x-dead-letter-strategy. */
  countDeadLettered(q: Queue, reason: DeathReason): void {
    const s = q.settings;
    const declared = stringOf(q.args.get('x-dead-letter-strategy'));
    const strategy = s.deadLetterExchange === undefined ? 'disabled' : s.quorum && declared === 'at-least-once' ? 'at_least_once' : 'at_most_once';
    this.stats.countDeadLettered(reason, s.quorum ? 'rabbit_quorum_queue' : 'rabbit_classic_queue', strategy);
  }

  /**
   * Enqueues a message in the queues routing chose (the array is compacted in place to those that
   * took it). Queues that refuse publishes when full (x-overflow reject-publish[-dlx]) drop out; the
   * message is stored once for the queues that keep it on disk.
   */
  enqueueRouted(queues: Queue[], msg: Message): Routed {
    let routed = Routed.Plain;
    let kept = 0;
    for (let i = 0; i < queues.length; i++) {
      const q = queues[i];
      if (q.rejectsWhenFull && !q.admits(msg.body.length)) {
        q.refused(msg);
        routed = Routed.Refused;
      } else queues[kept++] = q;
    }
    queues.length = kept;
    if (kept === 0) return routed;
    const storeId = this.storage === null ? 0 : storeMessage(this.storage, msg, queues);
    for (let i = 0; i < kept; i++) queues[i].enqueue(msg, storeIdIn(queues[i], msg, storeId));
    return storeId !== 0 ? routed | Routed.Stored : routed;
  }

  /** Deletes the exclusive queues of a connection that has closed. */
  connectionClosed(connectionId: number): void {
    for (const q of [...this.queues.values()]) if (q.exclusiveOwner === connectionId) this.removeQueue(q);
  }

  // ---- bindings ----

  bind(source: string, destination: string, toQueue: boolean, routingKey: string, args: FieldTable, connectionId: number): void {
    this.checkNotDefault(source);
    if (!toQueue) this.checkNotDefault(destination);
    const x = this.exchanges.get(source);
    const d: Destination | undefined = toQueue ? this.queues.get(destination) : this.exchanges.get(destination);
    if (!x) throw noExchange(source, this.name);
    if (!d) throw toQueue ? noQueue(destination, this.name) : noExchange(destination, this.name);
    const b = new Binding(x, d, routingKey, args);
    // RabbitMQ checks the binding (e.g. a consistent-hash weight) before exclusive access; addBinding
    // checks it again for callers that add bindings directly.
    x.router.validate?.(b);
    if (d.kind === 'queue') this.checkExclusiveAccess(d, connectionId);
    if (x.findBinding(d, routingKey, args)) return;
    x.addBinding(b);
    if (d.kind === 'exchange') d.incoming.push(b);
    if (isDurableBinding(b)) this.definitions?.bindingAdded(b);
  }

  /** Unbinding what is not there succeeds, even when the queue or exchange is missing, as in RabbitMQ. */
  unbind(source: string, destination: string, toQueue: boolean, routingKey: string, args: FieldTable, connectionId: number): void {
    this.checkNotDefault(source);
    if (!toQueue) this.checkNotDefault(destination);
    const x = this.exchanges.get(source);
    const d = toQueue ? this.queues.get(destination) : this.exchanges.get(destination);
    if (!x || !d) return;
    const b = x.findBinding(d, routingKey, args);
    if (!b) return;
    if (d.kind === 'queue') this.checkExclusiveAccess(d, connectionId);
    this.removeBindingObject(b);
  }

  private removeBindingObject(b: Binding): void {
    const x = b.source;
    x.removeBinding(b);
    if (isDurableBinding(b)) this.definitions?.bindingRemoved(b);
    if (b.destination.kind === 'exchange') {
      const inc = b.destination.incoming;
      const i = inc.indexOf(b);
      if (i >= 0) inc.splice(i, 1);
    }
    // An auto-delete exchange goes when its last binding (as source) goes.
    if (x.autoDelete && x.bindings.length === 0 && this.exchanges.get(x.name) === x) this.removeExchange(x);
  }

  // ---- policies ----

  /** Adds or replaces a policy (already validated) and applies it at once to the objects it matches. */
  setPolicy(p: Policy): void {
    this.policies.set(p);
    this.definitions?.policySet(p);
    this.applyPolicies();
  }

  /** Removes a policy; returns false when there was none of that name. */
  clearPolicy(name: string): boolean {
    if (!this.policies.delete(name)) return false;
    this.definitions?.policyCleared(this.name, name);
    this.applyPolicies();
    return true;
  }

  /** Re-resolves which policy applies to every queue and exchange. */
  private applyPolicies(): void {
    for (const q of this.queues.values()) q.setPolicy(this.policies.match('queue', q.name) ?? null);
    for (const x of this.exchanges.values()) x.policy = this.policies.match('exchange', x.name) ?? null;
  }

  // ---- routing ----

  /**
   * The queues a message published to `exchange` reaches. The returned array is reused by the next
   * call: consume it before routing again.
   */
  route(x: Exchange, routingKey: string, msg: Message): Queue[] {
    const out = this.routeSet;
    out.begin();
    this.routeWithKeys(x, msg, out, this.scratch, routingKey);
    if (out.queues.length === 0) this.routeAlternate(x, msg, out);
    x.publishIn++;
    if (out.queues.length > 0) x.publishOut++;
    return out.queues;
  }

  /** Routes by the routing key and, when the publisher set them, the CC and BCC header keys. */
  private routeWithKeys(x: Exchange, msg: Message, out: RouteSet, scratch: Binding[], routingKey = msg.routingKey): void {
    this.routeKey(x, routingKey, msg, out, scratch);
    if (msg.bcc !== null) {
      for (const key of msg.bcc) {
        out.nextKey();
        this.routeKey(x, key, msg, out, scratch);
      }
    }
    if (!msg.maySelectRecipients) return;
    const h = msg.properties.headers;
    if (h === undefined || (!h.has('CC') && !h.has('BCC'))) return;
    for (const name of ['CC', 'BCC']) {
      const f = h.get(name);
      if (f?.type !== 'A') continue;
      for (const k of f.value as Field[]) {
        const key = stringOf(k);
        if (key === undefined) continue;
        out.nextKey();
        this.routeKey(x, key, msg, out, scratch);
      }
    }
  }

  private routeKey(x: Exchange, key: string, msg: Message, out: RouteSet, scratch: Binding[]): void {
    if (x === this.defaultExchange) {
      const q = this.queues.get(key);
      if (q) out.addQueue(q);
    } else x.route(msg, key, out, scratch);
  }

  /** Unroutable messages go to the exchange's alternate exchange, following chains of them. */
  private routeAlternate(x: Exchange, msg: Message, out: RouteSet): void {
    const seen = new Set<Exchange>([x]);
    let current = x;
    for (;;) {
      const aeName = current.alternateExchange;
      if (aeName === undefined) return;
      const ae = this.exchanges.get(aeName);
      if (!ae || seen.has(ae)) return;
      seen.add(ae);
      this.routeWithKeys(ae, msg, out, this.scratch);
      if (out.queues.length > 0) return;
      current = ae;
    }
  }
}
