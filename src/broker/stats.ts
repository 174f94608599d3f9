// Message counters kept by the model for the management API and Prometheus: plain numeric fields,
// incremented on the hot path (no maps, no objects per message). Rates are derived elsewhere by
// sampling these totals.
import type { DeathReason } from './dead-letter.js';

/** Per queue: what RabbitMQ reports in a queue's message_stats. */
export class QueueStats {
  /** messages enqueued (publishes routed here, dead-lettered copies included) */
  publish = 0;
  /** deliveries to consumers that must ack */
  deliver = 0;
  /** deliveries to consumers in no-ack mode */
  deliverNoAck = 0;
  /** basic.get answered with a message, to be acked */
  get = 0;
  getNoAck = 0;
  /** deliveries and gets of messages delivered before */
  redeliver = 0;
  ack = 0;
}

/** Per channel (and so per connection): what RabbitMQ reports in a channel's message_stats. */
export class ChannelStats {
  publish = 0;
  confirm = 0;
  /** publishes that reached no queue (returned when mandatory, else dropped) */
  returnUnroutable = 0;
  dropUnroutable = 0;
  deliver = 0;
  deliverNoAck = 0;
  get = 0;
  getNoAck = 0;
  redeliver = 0;
  ack = 0;
}

/** Broker-wide totals: RabbitMQ's rabbitmq_global_* Prometheus counters and the overview's message_stats. */
export class GlobalStats {
  /** messages received from publishers */
  received = 0;
  /** received messages that reached at least one queue */
  routed = 0;
  unroutableDropped = 0;
  unroutableReturned = 0;
  /** deliveries to consumers that must ack, and gets */
  delivered = 0;
  deliveredNoAck = 0;
  get = 0;
  getNoAck = 0;
  redelivered = 0;
  acknowledged = 0;
  confirmed = 0;
  /** Churn, for the management overview: connections opened, channels opened, queue declarations. */
  connectionsOpened = 0;
  channelsOpened = 0;
  queuesDeclared = 0;
  queuesCreated = 0;
  queuesDeleted = 0;
  /**
   * Messages that left a queue for a dead-letter reason, by "reason queue_type dead_letter_strategy"
   * as RabbitMQ labels them (strategy 'disabled' when the queue has no dead-letter exchange).
   */
  readonly deadLettered = new Map<string, number>();

  countDeadLettered(reason: DeathReason, queueType: string, strategy: string): void {
    const key = `${reason} ${queueType} ${strategy}`;
    this.deadLettered.set(key, (this.deadLettered.get(key) ?? 0) + 1);
  }
}
