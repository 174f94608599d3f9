// Persistent messages of durable queues, in one segment log shared by all queues (a message routed
// to several durable queues is written once). Three record types:
//   MESSAGE    [u64 id][u64 enqueued at][u16 n][u32 queue id × n][u8 len][exchange][u8 len][routing key][u32 len][properties][body]
//   SETTLED    [u32 queue id][u64 message id][u32 segment of the message]   — acked, rejected, purged
//   DELIVERED  [u32 queue id][u64 message id][u32 segment of the message]   — one per delivery
//   RETURNED   [u32 queue id][u64 message id][u32 segment of the message]   — a quorum queue put it at its back
// Nothing is ever rewritten: a segment is deleted once every (message, queue) pair in it is settled
// and no record in it still matters for a segment that remains (a SETTLED, DELIVERED or RETURNED record is
// needed as long as the segment of the message it names exists).
// Recovery replays the log in order; queue ids come from the definitions journal and are never reused.
import type { Broker } from '../broker/broker.js';
import { PageLog, QueuedMessage, type Message } from '../broker/message.js';
import type { MessageStorage } from '../broker/message-storage.js';
import type { Queue } from '../broker/queue.js';
import type { Logger } from '../server/logger.js';
import { decodeMessage, decodeRecordHead, messageRecordHead, recordFacts, writeU64, readU64, type RecordFacts } from './message-record.js';
import { SegmentLog, type RecordRef } from './segment-log.js';

/** Version of the record layouts above (2: MESSAGE records carry their enqueue time; RETURNED). */
const RECORD_FORMAT = 2;

const MESSAGE = 1;
const SETTLED = 2;
const DELIVERED = 3;
const RETURNED = 4;


/** Per segment: how many (message, queue) pairs in it are unsettled, and which segments its records point into. */
class SegmentState {
  live = 0;
  /** Earlier segments that SETTLED/DELIVERED records in this one refer to. */
  readonly refersTo = new Set<number>();
  /** Later segments whose records refer to this one. */
  readonly referredBy = new Set<number>();
}

export interface MessageStoreOptions {
  dir: string;
  sync?: boolean;
  segmentSize?: number;
  log: Logger;
}

export class MessageStore implements MessageStorage {
  private readonly log: SegmentLog;
  private readonly segments = new Map<number, SegmentState>();
  private nextId = 1;
  private readonly small = Buffer.allocUnsafe(16);
  private readonly queueIds: number[] = [];
  private lastSegment = 0;

  private constructor(
    opts: MessageStoreOptions,
    private readonly logger: Logger,
  ) {
    this.log = SegmentLog.open({
      dir: opts.dir,
      version: RECORD_FORMAT,
      sync: opts.sync,
      segmentSize: opts.segmentSize,
      onCorruption: (m) => logger.warn(`message store: ${m}`),
    });
    this.lastSegment = this.log.currentSegment;
  }

  static open(opts: MessageStoreOptions): MessageStore {
    return new MessageStore(opts, opts.log);
  }

  private state(segment: number): SegmentState {
    let s = this.segments.get(segment);
    if (!s) this.segments.set(segment, (s = new SegmentState()));
    return s;
  }

  // ---- MessageStorage ----

  persist(msg: Message, queues: readonly Queue[]): number {
    const ids = this.queueIds;
    ids.length = 0;
    for (const q of queues) if (q.storeId !== 0) ids.push(q.storeId);
    if (ids.length === 0) return 0;
    const id = this.nextId++;
    const head = messageRecordHead(msg, id, ids, Date.now());
    const ref = this.log.append(MESSAGE, [head, msg.rawProperties, msg.body]);
    this.state(ref.segment).live += ids.length;
    msg.storeSegment = ref.segment;
    msg.storeOffset = ref.offset;
    msg.storeLength = ref.length;
    if (ref.segment !== this.lastSegment) this.segmentRolled(ref.segment);
    return id;
  }

  settled(q: Queue, qm: QueuedMessage): void {
    const segment = qm.storeSegment;
    this.appendRef(SETTLED, q.storeId, qm.storeId, segment);
    const s = this.segments.get(segment);
    if (s && --s.live === 0) this.maybeDelete(segment);
  }

  delivered(q: Queue, qm: QueuedMessage): void {
    this.appendRef(DELIVERED, q.storeId, qm.storeId, qm.storeSegment);
  }

  returned(q: Queue, qm: QueuedMessage): void {
    this.appendRef(RETURNED, q.storeId, qm.storeId, qm.storeSegment);
  }

  whenDurable(done: () => void): void {
    this.log.whenDurable(done);
  }

  writeAhead(): void {
    this.log.writeNow();
  }

  /** Appends a SETTLED/DELIVERED record and notes that its segment depends on the message's. */
  private appendRef(type: number, queueId: number, msgId: number, msgSegment: number): number {
    const b = this.small;
    b.writeUInt32BE(queueId, 0);
    writeU64(b, msgId, 4);
    b.writeUInt32BE(msgSegment, 12);
    const at = this.log.append(type, b).segment;
    if (at !== msgSegment) this.link(at, msgSegment);
    if (at !== this.lastSegment) this.segmentRolled(at);
    return at;
  }

  /** Records that from holds records about messages in to (which must exist to be linked). */
  private link(from: number, to: number): void {
    const target = this.segments.get(to);
    if (!target) return;
    this.state(from).refersTo.add(to);
    target.referredBy.add(from);
  }

  /** The log moved to a new segment: the one before may now be deletable. */
  private segmentRolled(current: number): void {
    const previous = this.lastSegment;
    this.lastSegment = current;
    this.maybeDelete(previous);
  }

  /** Deletes a segment nothing needs any more, and then whatever that frees. */
  private maybeDelete(segment: number): void {
    const s = this.segments.get(segment);
    if (!s || s.live > 0 || segment === this.log.currentSegment) return;
    for (const earlier of s.refersTo) if (this.segments.has(earlier)) return;
    this.segments.delete(segment);
    try {
      this.log.deleteSegment(segment);
    } catch (err) {
      this.logger.warn(`message store: could not delete segment ${segment}: ${(err as Error).message}`);
      return;
    }
    for (const later of s.referredBy) {
      const l = this.segments.get(later);
      if (!l) continue;
      l.refersTo.delete(segment);
      this.maybeDelete(later);
    }
  }

  // ---- recovery ----

  /**
   * Replays the log into the broker's durable queues (restored by the definitions journal first):
   * every message not settled goes back to its queues in its original order, with the deliveries
   * counted, so a message delivered before the crash comes back redelivered.
   */
  recover(broker: Broker): { messages: number; queues: number } {
    const byId = new Map<number, Queue>();
    for (const vh of broker.vhosts.values()) for (const q of vh.queues.values()) if (q.storeId !== 0) byId.set(q.storeId, q);
    // queue → (message id → queued message), in insertion (= publish) order
    const pending = new Map<Queue, Map<number, QueuedMessage>>();
    /** TTL and enqueue time of recovered messages that have a message TTL. */
    const ttls = new Map<QueuedMessage, [number, number]>();
    /** Enqueue time of recovered messages in queues with a queue TTL (and no message TTL). */
    const enqueuedAt = new Map<QueuedMessage, number>();
    const facts: RecordFacts = { size: 0, priority: 0, ttl: -1 };
    let maxId = 0;
    // Every segment on disk gets a state first, so references into it can be linked while scanning.
    for (const seg of this.log.segments()) this.state(seg);
    this.log.scan((type, payload, segment, offset) => {
      if (type === MESSAGE) {
        const rec = decodeRecordHead(payload);
        if (rec.id > maxId) maxId = rec.id;
        let live = 0;
        recordFacts(payload, rec.rest, facts);
        for (const queueId of rec.queueIds) {
          const q = byId.get(queueId);
          if (!q) continue; // deleted since
          live++;
          let m = pending.get(q);
          if (!m) pending.set(q, (m = new Map()));
          // Recovered messages stay on disk until they near the head of their queue (the pager reads
          // them back), so recovering a long backlog costs a small entry per message, not its body.
          const priority = Math.min(facts.priority, q.settings.maxPriority);
          const qm = new QueuedMessage(null, rec.id, rec.id, segment, facts.size, priority);
          if (facts.ttl >= 0) ttls.set(qm, [facts.ttl, rec.enqueuedAt]);
          else if (q.settings.messageTtl !== undefined) enqueuedAt.set(qm, rec.enqueuedAt);
          qm.pageLog = PageLog.Store;
          qm.pageSegment = segment;
          qm.pageOffset = offset;
          qm.pageLength = payload.length;
          m.set(rec.id, qm);
        }
        if (live > 0) this.state(segment).live += live;
        return;
      }
      const q = byId.get(payload.readUInt32BE(0));
      const id = readU64(payload, 4);
      const msgSegment = payload.readUInt32BE(12);
      if (msgSegment !== segment) this.link(segment, msgSegment);
      const qm = q && pending.get(q)?.get(id);
      if (!qm) return;
      if (type === DELIVERED) qm.deliveryCount++;
      else if (type === RETURNED) {
        // to the back: a Map iterates in insertion order
        const m = pending.get(q)!;
        m.delete(id);
        m.set(id, qm);
      } else if (type === SETTLED) {
        pending.get(q)!.delete(id);
        const st = this.segments.get(msgSegment);
        if (st) st.live--;
      }
    });
    this.nextId = maxId + 1;
    let count = 0;
    for (const [q, m] of pending) {
      for (const qm of m.values()) {
        const t = ttls.get(qm);
        q.restore(qm, t ? t[0] : -1, t ? t[1] : enqueuedAt.get(qm));
        count++;
      }
    }
    // Only once every queue has its messages back: what expired meanwhile is dead-lettered behind
    // what its dead-letter queue already held.
    for (const q of pending.keys()) q.restored();
    // Delete what recovery shows is no longer needed.
    this.lastSegment = this.log.currentSegment;
    for (const seg of [...this.segments.keys()]) this.maybeDelete(seg);
    return { messages: count, queues: pending.size };
  }

  /** The message of a MESSAGE record read back (for the pager). */
  readMessages(refs: readonly RecordRef[]): Message[] {
    const payloads = refs.length === 1 ? [this.log.read(refs[0])] : this.log.readMany(refs);
    return payloads.map((p) => decodeMessage(p, decodeRecordHead(p).rest, false));
  }

  close(): Promise<void> {
    return this.log.close();
  }
}
