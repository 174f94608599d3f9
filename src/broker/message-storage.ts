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
  /** A quorum queue put the message at its back (it keeps that place across restarts). */
  returned(q: Queue, qm: QueuedMessage): void;
  /** Calls done once everything persisted so far is on disk (one sync serves many callers). */
  whenDurable(done: () => void): void;
  /**
   * Hands pending records to the OS. Called before frames go to a client, so that what a client
   * learns (a delivery, the reply after its acks) is never ahead of what survives a process crash.
   */
  writeAhead(): void;
}

/**
 * Stores a message for the queues that keep it on disk: persistent messages for every durable queue,
 * and every message for quorum queues. Returns its storage id (0 when nothing was written).
 */
export function storeMessage(storage: MessageStorage, msg: Message, queues: Queue[]): number {
  if (msg.persistent) return storage.persist(msg, queues);
  let quorum = false;
  for (let i = 0; i < queues.length; i++) if (queues[i].settings.quorum) quorum = true;
  return quorum ? storage.persist(msg, queues.filter((q) => q.settings.quorum)) : 0;
}

/** The storage id a queue keeps for a message stored by storeMessage (0 if the queue did not store it). */
export function storeIdIn(q: Queue, msg: Message, storeId: number): number {
  return q.storeId !== 0 && (msg.persistent || q.settings.quorum) ? storeId : 0;
}
