// Receives on one connection: reads the send time from the first 8 bytes of each body to record
// latency, counts the message and acks it (one basic.ack per message, as most applications do).
import type { Consumer } from '../clients/client.js';
import type { Tally } from './tally.js';

export class ConsumerLoop {
  private consumer: Consumer | null = null;

  constructor(
    private readonly manualAck: boolean,
    private readonly tally: Tally,
  ) {}

  attach(consumer: Consumer): void {
    this.consumer = consumer;
  }

  readonly onMessage = (body: Buffer, deliveryTag: number): void => {
    const sentNs = body.readBigUInt64LE(0);
    this.tally.latency.recordMicros(Number(process.hrtime.bigint() - sentNs) / 1000);
    this.tally.consumed++;
    if (this.manualAck) this.consumer!.ack(deliveryTag);
  };
}
