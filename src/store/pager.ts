// Keeps long backlogs on disk. A queue past its in-memory threshold hands new messages to pageOut():
// a persistent message in a durable queue is already in the message store, so only its location is
// kept; any other message is written to a log of its own (never synced: transient messages do not
// survive a restart anyway, and the log is emptied at every start). pageIn() reads a batch back with
// as few reads as the locations allow.
import { rmSync } from 'node:fs';
import { PageLog, type Message, type QueuedMessage } from '../broker/message.js';
import type { MessagePager } from '../broker/message-pager.js';
import { decodeMessage, decodeRecordHead, messageRecordHead } from './message-record.js';
import type { MessageStore } from './message-store.js';
import { SegmentLog, type RecordRef } from './segment-log.js';

const TRANSIENT = 1;
const NO_QUEUES: number[] = [];

export class Pager implements MessagePager {
  private readonly transient: SegmentLog;
  /** Per segment of the transient log: paged-out messages not yet read back or discarded. */
  private readonly live = new Map<number, number>();
  private readonly refs: RecordRef[] = [];
  private readonly group: QueuedMessage[] = [];
  private lastSegment = 0;

  constructor(
    dir: string,
    private readonly store: MessageStore | null,
  ) {
    rmSync(dir, { recursive: true, force: true });
    this.transient = SegmentLog.open({ dir, sync: false, segmentSize: 64 << 20 });
  }

  pageOut(qm: QueuedMessage): void {
    const msg = qm.message!;
    if (qm.storeId !== 0 && msg.storeSegment !== 0) {
      qm.pageLog = PageLog.Store;
      qm.pageSegment = msg.storeSegment;
      qm.pageOffset = msg.storeOffset;
      qm.pageLength = msg.storeLength;
    } else {
      const ref = this.transient.append(TRANSIENT, [messageRecordHead(msg, 0, NO_QUEUES), msg.rawProperties, msg.body]);
      qm.pageLog = PageLog.Transient;
      qm.pageSegment = ref.segment;
      qm.pageOffset = ref.offset;
      qm.pageLength = ref.length;
      this.live.set(ref.segment, (this.live.get(ref.segment) ?? 0) + 1);
      if (ref.segment !== this.lastSegment) {
        // The log moved on: the segment before may already have been read back entirely.
        const previous = this.lastSegment;
        this.lastSegment = ref.segment;
        if (previous !== 0 && !this.live.has(previous)) this.transient.deleteSegment(previous);
      }
    }
    qm.message = null;
  }

  pageIn(qms: readonly QueuedMessage[]): void {
    // Consecutive entries in the same log and segment are read together.
    const group = this.group;
    for (let i = 0; i < qms.length; i++) {
      const qm = qms[i];
      const g0 = group[0];
      if (g0 !== undefined && (g0.pageLog !== qm.pageLog || g0.pageSegment !== qm.pageSegment || group[group.length - 1].pageOffset >= qm.pageOffset)) {
        this.readGroup();
      }
      group.push(qm);
    }
    if (group.length > 0) this.readGroup();
  }

  private readGroup(): void {
    const group = this.group;
    const refs = this.refs;
    for (const qm of group) refs.push({ segment: qm.pageSegment, offset: qm.pageOffset, length: qm.pageLength });
    const first = group[0];
    if (first.pageLog === PageLog.Store) {
      const msgs = this.store!.readMessages(refs);
      for (let i = 0; i < group.length; i++) this.restored(group[i], msgs[i]);
    } else {
      const payloads = refs.length === 1 ? [this.transient.read(refs[0])] : this.transient.readMany(refs);
      for (let i = 0; i < group.length; i++) {
        const p = payloads[i];
        this.restored(group[i], decodeMessage(p, decodeRecordHead(p).rest, false));
        this.release(first.pageSegment);
      }
    }
    group.length = 0;
    refs.length = 0;
  }

  private restored(qm: QueuedMessage, msg: Message): void {
    // The message knows where it is stored, so that paging it out again costs no write.
    if (qm.pageLog === PageLog.Store) {
      msg.storeSegment = qm.pageSegment;
      msg.storeOffset = qm.pageOffset;
      msg.storeLength = qm.pageLength;
    }
    qm.message = msg;
    qm.pageLog = PageLog.None;
  }

  discard(qm: QueuedMessage): void {
    if (qm.pageLog === PageLog.Transient) this.release(qm.pageSegment);
    qm.pageLog = PageLog.None;
  }

  /** One paged-out transient message is gone from its segment; an emptied old segment is deleted. */
  private release(segment: number): void {
    const n = (this.live.get(segment) ?? 1) - 1;
    if (n > 0) {
      this.live.set(segment, n);
      return;
    }
    this.live.delete(segment);
    if (segment !== this.transient.currentSegment) this.transient.deleteSegment(segment);
  }

  close(): Promise<void> {
    return this.transient.close();
  }
}
