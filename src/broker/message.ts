// A published message as the broker holds it: the content exactly as received (raw property bytes and
// body), plus where it was published. One Message is shared by every queue it is routed to.
import { decodeProperties, deliveryModeOf } from '../amqp/properties.js';
import type { BasicProperties } from '../amqp/spec.js';

export class Message {
  /** Decoded on first use only; routing and delivery work from the raw bytes. */
  private decoded: BasicProperties | undefined = undefined;
  readonly persistent: boolean;
  /** Storage segment holding this message, when it was persisted. */
  storeSegment = 0;

  constructor(
    readonly exchange: string,
    readonly routingKey: string,
    /** Property flags and property list, as in the content header frame. */
    readonly rawProperties: Buffer,
    readonly body: Buffer,
  ) {
    this.persistent = deliveryModeOf(rawProperties) === 2;
  }

  get bodySize(): number {
    return this.body.length;
  }

  get properties(): BasicProperties {
    if (this.decoded === undefined) this.decoded = decodeProperties(this.rawProperties);
    return this.decoded;
  }
}

/** A message's place in one queue: its sequence there and how often that queue has delivered it. */
export class QueuedMessage {
  deliveryCount = 0;
  constructor(
    readonly message: Message,
    /** Position in the queue; requeued messages go back to it. */
    readonly seq: number,
    /** Id of the message in storage, or 0 when it is not stored (transient, or a non-durable queue). */
    readonly storeId: number,
  ) {}

  get redelivered(): boolean {
    return this.deliveryCount > 0;
  }
}
