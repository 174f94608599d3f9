// Direct reply-to: an RPC client consumes from the pseudo-queue `amq.rabbitmq.reply-to` and sends
// requests with that reply-to; the broker rewrites it to a key naming the client's channel, and a reply
// published to the default exchange with that key goes straight to the client — no queue involved.
import { randomBytes } from 'node:crypto';
import type { Message } from './message.js';

export const REPLY_TO = 'amq.rabbitmq.reply-to';
export const REPLY_TO_PREFIX = `${REPLY_TO}.`;

/** A channel consuming its direct replies. */
export interface ReplyTarget {
  deliverReply(msg: Message): void;
}

/** An unguessable key for one channel's replies (a reply-to address must not be forgeable). */
export function newReplyKey(): string {
  return randomBytes(18).toString('base64url');
}
