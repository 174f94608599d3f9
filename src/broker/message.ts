// A published message as the broker holds it: the content exactly as received (raw property bytes and
// body), plus where it was published. One Message is shared by every queue it is routed to.
import { decodeProperties, deliveryModeOf, propertyOffset, shortstrPropertyOf } from '../amqp/properties.js';
import { erlangPair, erlangString } from '../amqp/erlang-format.js';
import { BasicPropertyFlag, type BasicProperties } from '../amqp/spec.js';

const CC_KEY = Buffer.from('\x02CC', 'latin1');
const BCC_KEY = Buffer.from('\x03BCC', 'latin1');

export class Message {
  /** Decoded on first use only; routing and delivery work from the raw bytes. */
  private decoded: BasicProperties | undefined = undefined;
  readonly persistent: boolean;
  /** The expiration property in ms, or -1 when there is none. */
  readonly ttl: number;
  /** Where storage wrote this message, when it was persisted (segment 0: not written). */
  storeSegment = 0;
  storeOffset = 0;
  storeLength = 0;
  private recipients: boolean | undefined = undefined;
  /** BCC keys the publisher gave (the header itself is removed before queues see the message). */
  bcc: string[] | null = null;

  constructor(
    readonly exchange: string,
    readonly routingKey: string,
    /** Property flags and property list, as in the content header frame. */
    readonly rawProperties: Buffer,
    readonly body: Buffer,
  ) {
    this.persistent = deliveryModeOf(rawProperties) === 2;
    this.ttl = expirationOf(rawProperties);
  }

  /** The priority property (0 when absent). */
  get priority(): number {
    const off = propertyOffset(this.rawProperties, BasicPropertyFlag.Priority);
    return off < 0 ? 0 : this.rawProperties[off];
  }

  /**
   * Whether the headers may hold CC or BCC, judged from the raw bytes without decoding them: such a
   * key appears as its length byte and name. A false alarm costs one decode; a miss is impossible.
   */
  get maySelectRecipients(): boolean {
    // asked by the channel and by routing for every publish: scanned once
    if (this.recipients === undefined) this.recipients = this.scanRecipients();
    return this.recipients;
  }

  private scanRecipients(): boolean {
    const raw = this.rawProperties;
    const off = propertyOffset(raw, BasicPropertyFlag.Headers);
    if (off < 0) return false;
    const end = off + 4 + raw.readUInt32BE(off);
    if (end === off + 4) return false;
    const cc = raw.indexOf(CC_KEY, off + 4);
    if (cc >= 0 && cc < end) return true;
    const bcc = raw.indexOf(BCC_KEY, off + 4);
    return bcc >= 0 && bcc < end;
  }

  get bodySize(): number {
    return this.body.length;
  }

  get properties(): BasicProperties {
    if (this.decoded === undefined) this.decoded = decodeProperties(this.rawProperties);
    return this.decoded;
  }
}

/** RabbitMQ's ceiling for TTLs and expiry periods: ten years, in milliseconds. */
export const MAX_TTL_MS = 315_360_000_000;

/**
 * Why an expiration property is invalid, as RabbitMQ words it after "invalid expiration '<s>': ", or
 * undefined when it is valid. Parsed like Erlang's string:to_integer: a sign, digits, nothing after.
 */
export function invalidExpiration(s: string): string | undefined {
  const m = /^([+-]?[0-9]+)(.*)$/s.exec(s);
  if (!m) return 'no_integer';
  const prefix = `invalid expiration '${s}': `.length;
  if (m[2] !== '') return erlangPair(prefix, 'leftover_string', erlangString(m[2]));
  const v = BigInt(m[1]); // exact, however long: the reason quotes the value
  if (v < 0n) return erlangPair(prefix, 'value_negative', v.toString());
  if (v > BigInt(MAX_TTL_MS)) return erlangPair(prefix, 'value_too_large', v.toString());
  return undefined;
}

/** The expiration property of raw properties in ms; -1 when absent (or invalid: refused at publish). */
export function expirationOf(raw: Buffer): number {
  if (raw.length < 2 || (raw.readUInt16BE(0) & BasicPropertyFlag.Expiration) === 0) return -1;
  const s = shortstrPropertyOf(raw, BasicPropertyFlag.Expiration)!;
  return invalidExpiration(s) === undefined ? Number(s) : -1;
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
  /** When this message expires in its queue (ms since the epoch), or 0 for never. */
  expiresAt = 0;
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
    /** Body size, known even while the message is paged out (for x-max-length-bytes). */
    readonly size: number,
    /** Priority level in a priority queue (0 elsewhere). */
    readonly priority: number,
  ) {
    this.message = message;
  }

  get redelivered(): boolean {
    return this.deliveryCount > 0;
  }
}
