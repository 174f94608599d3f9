// What queues and channels need from message storage. The model calls these; store/ implements them.
import type { Message, QueuedMessage } from './message.js';
import type { Queue } from './queue.js';

export interface MessageStorage {
  /**
   * Writes a persistent message once for all the durable queues among `queues`; returns its id, or 0
   * when none of them is durable (nothing written).
   */
  persist(msg: Message, queues: readonly Queue[]): number;
  /** The message left this queue for good (acked, rejected, purged, or its queue deleted). */
  settled(q: Queue, qm: QueuedMessage): void;
  /** The message is being delivered (again): counted, so redelivered flags survive a restart. */
  delivered(q: Queue, qm: QueuedMessage): void;
  /** Calls done once everything persisted so far is on disk (one sync serves many callers). */
  whenDurable(done: () => void): void;
  /**
   * Hands pending records to the OS. Called before frames go to a client, so that what a client
   * learns (a delivery, the reply after its acks) is never ahead of what survives a process crash.
   */
  writeAhead(): void;
}
