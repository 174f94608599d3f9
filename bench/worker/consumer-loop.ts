// Receives on one connection: reads the send time from the first 8 bytes of each body to record
// latency, counts the message and acks it (one basic.ack per message, as most applications do).
import type { Consumer } from '../clients/client.js';
import type { Tally } from './tally.js';

export class ConsumerLoop {
  private consumer: Consumer | null = null;
  /** deliveries that arrived before attach(): a queue with a backlog delivers as soon as consume-ok is sent */
  private unattachedTags: number[] = [];

  constructor(
    private readonly manualAck: boolean,
    private readonly tally: Tally,
  ) {}

  attach(consumer: Consumer): void {
    this.consumer = consumer;
    for (const tag of this.unattachedTags) consumer.ack(tag);
    this.unattachedTags = [];
  }

  readonly onMessage = (body: Buffer, deliveryTag: number): void => {
    const sentNs = body.readBigUInt64LE(0);
    const now = process.hrtime.bigint();
    this.tally.latency.recordMicros(Number(now - sentNs) / 1000);
    this.tally.lastConsumeNs = now;
    this.tally.consumed++;
    if (!this.manualAck) return;
    if (this.consumer) this.consumer.ack(deliveryTag);
    else this.unattachedTags.push(deliveryTag);
  };
}
