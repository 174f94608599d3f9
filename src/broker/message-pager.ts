// How a long queue keeps its backlog on disk: past a threshold, queued messages keep only their disk
// location in memory and are read back, a batch ahead, when they near the head. store/ implements it.
import type { QueuedMessage } from './message.js';

export interface MessagePager {
  /** Moves the message's bytes to disk (if they are not there already) and drops them from qm. */
  pageOut(qm: QueuedMessage): void;
  /** Reads back the messages of these paged-out entries (in queue order), with as few reads as it can. */
  pageIn(qms: readonly QueuedMessage[]): void;
  /** A paged-out entry left its queue without being read back (purge, queue deleted). */
  discard(qm: QueuedMessage): void;
}
