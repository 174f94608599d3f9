// A consumer: a subscription of one channel to one queue, with its own prefetch credit.
import { integerOf, type FieldTable } from '../amqp/field-table.js';
import type { QueuedMessage } from './message.js';
import type { Queue } from './queue.js';

/** What a queue needs from the channel it delivers to (implemented by the server's Channel). */
export interface DeliverySink {
  /** Channel-wide limits: global prefetch, flow, and back-pressure from the client's socket. */
  canDeliver(consumer: Consumer): boolean;
  deliver(consumer: Consumer, qm: QueuedMessage): void;
  /** The broker ended this consumer (its queue was deleted): send basic.cancel. */
  cancelledByBroker(consumer: Consumer): void;
  /** Identifies the connection, for exclusive queues. */
  readonly connectionId: number;
}

export class Consumer {
  /** Deliveries not yet acked, counted against prefetch. */
  unacked = 0;
  /** x-priority: consumers of higher priority are served first while they have credit. */
  readonly priority: number;

  constructor(
    readonly tag: string,
    readonly queue: Queue,
    readonly sink: DeliverySink,
    readonly noAck: boolean,
    readonly exclusive: boolean,
    /** Per-consumer prefetch; 0 is unlimited. */
    readonly prefetch: number,
    readonly args: FieldTable,
  ) {
    const p = args.get('x-priority');
    this.priority = p === undefined ? 0 : Number(integerOf(p) ?? 0);
  }

  hasCredit(): boolean {
    return (this.noAck || this.prefetch === 0 || this.unacked < this.prefetch) && this.sink.canDeliver(this);
  }
}
