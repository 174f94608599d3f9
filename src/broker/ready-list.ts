// The ready messages of a queue, in delivery order. A plain queue is FIFO; a priority queue
// (x-max-priority) keeps one FIFO per level and delivers the highest level first. Requeued messages go
// back to their original place (by sequence number) within their level.
import { Deque } from './deque.js';
import type { QueuedMessage } from './message.js';

export interface ReadyList {
  readonly length: number;
  push(qm: QueuedMessage): void;
  shift(): QueuedMessage | undefined;
  peek(): QueuedMessage | undefined;
  /** The i-th message in delivery order. */
  at(i: number): QueuedMessage;
  /** Puts a requeued message back at its original position. */
  putBack(qm: QueuedMessage): void;
  drain(): QueuedMessage[];
  clear(): void;
}

const laterThan = (seq: number) => (m: QueuedMessage) => m.seq > seq;

function putBackInto(d: Deque<QueuedMessage>, qm: QueuedMessage): void {
  const tail = d.length > 0 ? d.at(d.length - 1) : undefined;
  if (!tail || tail.seq < qm.seq) d.push(qm);
  else if (d.peek()!.seq > qm.seq) d.unshift(qm);
  else d.insertBefore(qm, laterThan(qm.seq));
}

export class FifoReady extends Deque<QueuedMessage> implements ReadyList {
  putBack(qm: QueuedMessage): void {
    putBackInto(this, qm);
  }
}

export class PriorityReady implements ReadyList {
  /** levels[p] holds the messages of priority p. */
  private readonly levels: Deque<QueuedMessage>[];
  private count = 0;

  constructor(maxPriority: number) {
    this.levels = Array.from({ length: maxPriority + 1 }, () => new Deque<QueuedMessage>());
  }

  get length(): number {
    return this.count;
  }

  push(qm: QueuedMessage): void {
    this.levels[qm.priority].push(qm);
    this.count++;
  }

  private top(): Deque<QueuedMessage> | undefined {
    for (let p = this.levels.length - 1; p >= 0; p--) if (this.levels[p].length > 0) return this.levels[p];
    return undefined;
  }

  shift(): QueuedMessage | undefined {
    const d = this.top();
    if (!d) return undefined;
    this.count--;
    return d.shift();
  }

  peek(): QueuedMessage | undefined {
    return this.top()?.peek();
  }

  at(i: number): QueuedMessage {
    for (let p = this.levels.length - 1; p >= 0; p--) {
      const d = this.levels[p];
      if (i < d.length) return d.at(i);
      i -= d.length;
    }
    throw new RangeError('ready list index out of range');
  }

  putBack(qm: QueuedMessage): void {
    putBackInto(this.levels[qm.priority], qm);
    this.count++;
  }

  drain(): QueuedMessage[] {
    const out: QueuedMessage[] = [];
    for (let p = this.levels.length - 1; p >= 0; p--) for (const qm of this.levels[p].drain()) out.push(qm);
    this.count = 0;
    return out;
  }

  clear(): void {
    for (const d of this.levels) d.clear();
    this.count = 0;
  }
}
