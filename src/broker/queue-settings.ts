// What a queue does with its messages, resolved from its x-arguments and the policy that applies to it,
// with RabbitMQ's precedence: for limits and TTLs the lower of the two wins; for the dead-letter target,
// the overflow behaviour and the queue mode the queue's own argument wins.
import { integerOf, stringOf, type FieldTable } from '../amqp/field-table.js';

export type Overflow = 'drop-head' | 'reject-publish' | 'reject-publish-dlx';

/** The keys a policy definition may set that concern queues and exchanges (RabbitMQ 3.10 names). */
export interface PolicyDefinition {
  'dead-letter-exchange'?: string;
  'dead-letter-routing-key'?: string;
  'message-ttl'?: number;
  expires?: number;
  'max-length'?: number;
  'max-length-bytes'?: number;
  overflow?: Overflow;
  'delivery-limit'?: number;
  'queue-mode'?: 'default' | 'lazy';
  'alternate-exchange'?: string;
}

export interface QueueSettings {
  /** Per-queue message TTL in ms. */
  messageTtl: number | undefined;
  /** Idle time in ms after which the queue is deleted. */
  expires: number | undefined;
  deadLetterExchange: string | undefined;
  deadLetterRoutingKey: string | undefined;
  maxLength: number | undefined;
  maxLengthBytes: number | undefined;
  overflow: Overflow;
  /** Quorum queues: deliveries after which a message is dead-lettered (delivery_limit). */
  deliveryLimit: number | undefined;
  /** Highest priority level (x-max-priority, arguments only); 0 when the queue has no priorities. */
  maxPriority: number;
  singleActiveConsumer: boolean;
  quorum: boolean;
  lazy: boolean;
}

function lower(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Math.min(a, b);
}

function intArg(args: FieldTable, key: string): number | undefined {
  const f = args.get(key);
  if (f === undefined) return undefined;
  const v = integerOf(f);
  return v === undefined ? undefined : Number(v);
}

function strArg(args: FieldTable, key: string): string | undefined {
  const f = args.get(key);
  return f === undefined ? undefined : stringOf(f);
}

/** A quorum queue takes reject-publish-dlx (with a warning in RabbitMQ's log) and acts as drop-head. */
function overflowFor(quorum: boolean, o: Overflow): Overflow {
  return quorum && o === 'reject-publish-dlx' ? 'drop-head' : o;
}

export function resolveQueueSettings(args: FieldTable, policy: PolicyDefinition | undefined): QueueSettings {
  const p = policy ?? {};
  const quorum = strArg(args, 'x-queue-type') === 'quorum';
  return {
    messageTtl: lower(intArg(args, 'x-message-ttl'), p['message-ttl']),
    expires: lower(intArg(args, 'x-expires'), p.expires),
    deadLetterExchange: strArg(args, 'x-dead-letter-exchange') ?? p['dead-letter-exchange'],
    deadLetterRoutingKey: strArg(args, 'x-dead-letter-routing-key') ?? p['dead-letter-routing-key'],
    maxLength: lower(intArg(args, 'x-max-length'), p['max-length']),
    maxLengthBytes: lower(intArg(args, 'x-max-length-bytes'), p['max-length-bytes']),
    overflow: overflowFor(quorum, (strArg(args, 'x-overflow') as Overflow | undefined) ?? p.overflow ?? 'drop-head'),
    deliveryLimit: quorum ? lower(intArg(args, 'x-delivery-limit'), p['delivery-limit']) : undefined,
    maxPriority: quorum ? 0 : Math.min(intArg(args, 'x-max-priority') ?? 0, 255),
    singleActiveConsumer: args.get('x-single-active-consumer')?.value === true,
    quorum,
    lazy: (strArg(args, 'x-queue-mode') ?? p['queue-mode']) === 'lazy',
  };
}
