// A published message as the broker holds it: the content exactly as received (raw property bytes and
// body), plus where it was published. One Message is shared by every queue it is routed to.
import { decodeProperties, deliveryModeOf } from '../amqp/properties.js';
import type { BasicProperties } from '../amqp/spec.js';

export class Message {
  /** Decoded on first use only; routing and delivery work from the raw bytes. */
  private decoded: BasicProperties | undefined = undefined;
  readonly persistent: boolean;
  /** Where storage wrote this message, when it was persisted (segment 0: not written). */
  storeSegment = 0;
  storeOffset = 0;
  storeLength = 0;

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

/** Which log holds a paged-out message's bytes. */
export const enum PageLog {
  None = 0,
  /** The message store's own record (a persistent message in a durable queue). */
  Store = 1,
  /** The pager's log of transient messages, emptied at every start. */
  Transient = 2,
}

/**
 * A message's place in one queue: its sequence there, how often that queue has delivered it, and —
 * for a long queue — where its bytes are on disk while only this small entry stays in memory.
 */
export class QueuedMessage {
  deliveryCount = 0;
  /** The message, or null while it is paged out (then page* say where to read it back). */
  message: Message | null;
  pageLog = PageLog.None;
  pageSegment = 0;
  pageOffset = 0;
  pageLength = 0;

  constructor(
    message: Message | null,
    /** Position in the queue; requeued messages go back to it. */
    readonly seq: number,
    /** Id of the message in storage, or 0 when it is not stored (transient, or a non-durable queue). */
    readonly storeId: number,
    /** Segment of the message's record in storage (when storeId is set). */
    readonly storeSegment: number,
  ) {
    this.message = message;
  }

  get redelivered(): boolean {
    return this.deliveryCount > 0;
  }
}
