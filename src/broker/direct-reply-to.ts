// Direct reply-to: an RPC client consumes from the pseudo-queue `amq.rabbitmq.reply-to` and sends
// requests with that reply-to; the broker rewrites it to an address naming the client's channel, and a
// reply published to the default exchange with that address goes straight to the client — no queue.
// The address has RabbitMQ's shape, `amq.rabbitmq.reply-to.<channel>.<secret>`: both parts base64, the
// first the same for every request of a channel, the second 16 random bytes new for each reply consumer.
import type { Message } from './message.js';
import { randomBytes } from './random.js';

export const REPLY_TO = 'amq.rabbitmq.reply-to';
export const REPLY_TO_PREFIX = `${REPLY_TO}.`;

/** A channel consuming its direct replies. */
export interface ReplyTarget {
  deliverReply(msg: Message): void;
}

const CHANNEL_MAGIC = 'warren-reply:';

/** The address key of a new reply consumer on a channel. */
export function newReplyKey(connectionId: number, channelId: number): string {
  const channel = Buffer.from(`${CHANNEL_MAGIC}${connectionId}:${channelId}`).toString('base64');
  return `${channel}.${randomBytes(16).toString('base64')}`;
}

/**
 * The key to look up for an address suffix, undefined when it cannot name a reply consumer, or
 * 'malformed' when its channel part does not decode — which crashes RabbitMQ's channel (541).
 */
export function replyKeyOf(suffix: string): string | undefined | 'malformed' {
  const parts = suffix.split('.').filter((p) => p !== '');
  if (parts.length !== 2) return undefined;
  const channel = Buffer.from(parts[0], 'base64').toString('latin1');
  if (!channel.startsWith(CHANNEL_MAGIC)) return 'malformed';
  return `${parts[0]}.${parts[1]}`;
}
