// A queue: messages in order, consumers served round-robin as their credit allows, and the
// bookkeeping of deliveries awaiting acknowledgement (which the delivering channel holds).
import type { FieldTable } from '../amqp/field-table.js';
import type { Consumer } from './consumer.js';
import { Deque } from './deque.js';
import { QueuedMessage, type Message } from './message.js';
import type { MessagePager } from './message-pager.js';
import type { MessageStorage } from './message-storage.js';

/**
 * Flow control: a queue whose consumers are falling behind asks the connections publishing into it to
 * stop reading until the backlog shrinks, so a fast publisher cannot starve its own consumers.
 */
export interface FlowWaiter {
  flowReleased(q: Queue): void;
}

/** Backlog (ready messages, with consumers attached) at which publishers are held, and released. */
const FLOW_HIGH = 2048;
const FLOW_LOW = FLOW_HIGH / 2;

/** Ready messages kept whole in memory; those enqueued beyond are paged out (when a pager is set). */
const PAGE_OUT_AT = 8192;
/** How many paged-out messages are read back at once when they reach the head. */
const PAGE_IN_BATCH = 512;

/** How a queue tells its owner about life-cycle events (auto-delete), without knowing the vhost. */
export interface QueueOwner {
  queueUnused(q: Queue): void;
}

export class Queue {
  readonly kind = 'queue' as const;
  readonly ready = new Deque<QueuedMessage>();
  consumers: Consumer[] = [];
  /** Deliveries waiting for ack/nack/reject. */
  unackedCount = 0;
  routePass = 0;
  deleted = false;
  /** Auto-delete applies only once a queue has had a consumer. */
  private hadConsumer = false;
  private nextSeq = 1;
  private rrIndex = 0;
  /** Re-entrancy guard: delivering can trigger flushes that call back into dispatch. */
  private dispatching = false;
  /** Publishers are being held back: consumers have more than they keep up with. */
  inFlow = false;
  private flowWaiters: FlowWaiter[] = [];

  /** Storage of this queue's persistent messages; set for durable queues of a broker with a data dir. */
  storage: MessageStorage | null = null;
  /** The queue's number in storage records (0 until storage assigns one). */
  storeId = 0;
  /** Keeps long backlogs on disk (set for every queue of a broker with a data dir). */
  pager: MessagePager | null = null;
  private readonly pageBatch: QueuedMessage[] = [];

  // Counters for statistics (management API).
  publishCount = 0;
  deliverCount = 0;
  ackCount = 0;

  constructor(
    readonly owner: QueueOwner,
    readonly vhost: string,
    readonly name: string,
    readonly durable: boolean,
    /** Id of the connection that owns an exclusive queue, or 0. */
    readonly exclusiveOwner: number,
    readonly autoDelete: boolean,
    readonly args: FieldTable,
  ) {}

  get messageCount(): number {
    return this.ready.length;
  }

  get consumerCount(): number {
    return this.consumers.length;
  }

  get hasExclusiveConsumer(): boolean {
    return this.consumers.length === 1 && this.consumers[0].exclusive;
  }

  enqueue(msg: Message, storeId = 0): void {
    this.publishCount++;
    const qm = new QueuedMessage(msg, this.nextSeq++, storeId, msg.storeSegment);
    if (this.pager !== null && this.ready.length >= PAGE_OUT_AT) this.pager.pageOut(qm);
    this.ready.push(qm);
    if (this.consumers.length > 0) {
      this.dispatch();
      if (this.ready.length > FLOW_HIGH) this.inFlow = true;
    }
  }

  /** Holds a publisher until this queue's backlog is down again. */
  addFlowWaiter(w: FlowWaiter): void {
    if (!this.flowWaiters.includes(w)) this.flowWaiters.push(w);
  }

  private releaseFlow(): void {
    this.inFlow = false;
    const waiters = this.flowWaiters;
    this.flowWaiters = [];
    for (const w of waiters) w.flowReleased(this);
  }

  /** Delivers ready messages while some consumer has credit. */
  dispatch(): void {
    if (this.dispatching || this.deleted) return;
    this.dispatching = true;
    try {
      while (this.ready.length > 0) {
        const c = this.nextConsumer();
        if (!c) break;
        const qm = this.takeHead()!;
        this.handOver(c, qm);
      }
    } finally {
      this.dispatching = false;
    }
    if (this.inFlow && this.ready.length < FLOW_LOW) this.releaseFlow();
  }

  /** Round-robin over consumers with credit, starting after the last one served. */
  private nextConsumer(): Consumer | undefined {
    const n = this.consumers.length;
    for (let i = 0; i < n; i++) {
      const idx = (this.rrIndex + i) % n;
      const c = this.consumers[idx];
      if (c.hasCredit()) {
        this.rrIndex = (idx + 1) % n;
        return c;
      }
    }
    return undefined;
  }

  /** Puts back messages recovered from storage, in their original order (paged out or not). */
  restore(qm: QueuedMessage): void {
    this.ready.push(qm);
    if (qm.seq >= this.nextSeq) this.nextSeq = qm.seq + 1;
  }

  /** Removes the head, reading it (and the paged-out entries behind it) back from disk if needed. */
  private takeHead(): QueuedMessage | undefined {
    const head = this.ready.peek();
    if (head !== undefined && head.message === null) this.pageInAhead();
    return this.ready.shift();
  }

  /** Reads back a batch of paged-out entries from the head: one read serves hundreds of deliveries. */
  private pageInAhead(): void {
    const batch = this.pageBatch;
    const n = Math.min(PAGE_IN_BATCH, this.ready.length);
    for (let i = 0; i < n; i++) {
      const qm = this.ready.at(i);
      if (qm.message === null) batch.push(qm);
    }
    this.pager!.pageIn(batch);
    batch.length = 0;
  }

  private handOver(c: Consumer, qm: QueuedMessage): void {
    this.deliverCount++;
    if (c.noAck) {
      c.sink.deliver(c, qm);
      this.forget(qm); // delivered without an ack to wait for: gone from the queue
      return;
    }
    if (qm.storeId !== 0) this.storage?.delivered(this, qm);
    c.unacked++;
    this.unackedCount++;
    c.sink.deliver(c, qm);
    qm.deliveryCount++;
  }

  /** basic.get: the head message, now counted as delivered (and unacked unless noAck). */
  get(noAck: boolean): QueuedMessage | undefined {
    const qm = this.takeHead();
    if (!qm) return undefined;
    this.deliverCount++;
    if (noAck) this.forget(qm);
    else {
      if (qm.storeId !== 0) this.storage?.delivered(this, qm);
      this.unackedCount++;
    }
    return qm;
  }

  /** A delivery was acked (or dropped by nack/reject without requeue). */
  settle(qm: QueuedMessage, consumer: Consumer | null): void {
    this.ackCount++;
    this.unackedCount--;
    if (consumer) consumer.unacked--;
    this.forget(qm);
  }

  /** The message has left this queue for good: storage may drop it. */
  private forget(qm: QueuedMessage): void {
    if (qm.message === null) this.pager?.discard(qm);
    if (qm.storeId !== 0) this.storage?.settled(this, qm);
  }

  /** Puts deliveries back at their original positions; they are redelivered with redelivered=true. */
  requeue(qm: QueuedMessage, consumer: Consumer | null): void {
    this.unackedCount--;
    if (consumer) consumer.unacked--;
    if (this.deleted) return this.forget(qm);
    const tail = this.ready.length > 0 ? this.ready.at(this.ready.length - 1) : undefined;
    if (!tail || tail.seq < qm.seq) this.ready.push(qm);
    else this.ready.insertBefore(qm, (m) => m.seq > qm.seq);
  }

  addConsumer(c: Consumer): void {
    this.consumers.push(c);
    this.hadConsumer = true;
    this.dispatch();
  }

  removeConsumer(c: Consumer): void {
    const i = this.consumers.indexOf(c);
    if (i < 0) return;
    this.consumers.splice(i, 1);
    if (this.rrIndex > i) this.rrIndex--;
    if (this.consumers.length === 0) {
      this.rrIndex = 0;
      if (this.inFlow) this.releaseFlow(); // nobody to wait for: the backlog just stays
      if (this.autoDelete && this.hadConsumer) this.owner.queueUnused(this);
    }
  }

  purge(): number {
    const n = this.ready.length;
    if (this.storage || this.pager) for (const qm of this.ready.drain()) this.forget(qm);
    else this.ready.clear();
    if (this.inFlow) this.releaseFlow();
    return n;
  }
}
