// The exchange types Warren knows, by the name a client declares them with.
import type { FieldTable } from '../../amqp/field-table.js';
import { commandInvalid } from '../errors.js';
import type { Router } from '../exchange.js';
import { ConsistentHashRouter, validateConsistentHashArguments } from './consistent-hash.js';
import { DirectRouter } from './direct.js';
import { FanoutRouter } from './fanout.js';
import { HeadersRouter } from './headers.js';
import { TopicRouter } from './topic.js';

const TYPES: Record<string, () => Router> = {
  direct: () => new DirectRouter(),
  fanout: () => new FanoutRouter(),
  topic: () => new TopicRouter(),
  headers: () => new HeadersRouter(),
  // RabbitMQ's rabbitmq_consistent_hash_exchange plugin, which Warren always has enabled.
  'x-consistent-hash': () => new ConsistentHashRouter(),
};

/** Arguments each type checks when an exchange of that type is created (RabbitMQ's validate/1). */
const ARGUMENT_CHECKS: Record<string, (args: FieldTable) => void> = {
  'x-consistent-hash': validateConsistentHashArguments,
};

/** A router for the type, or 503 COMMAND_INVALID as RabbitMQ answers an unknown type. */
export function routerFor(type: string): Router {
  // own properties only: "constructor" or "__proto__" are no exchange types
  const make = Object.hasOwn(TYPES, type) ? TYPES[type] : undefined;
  if (!make) throw commandInvalid(`unknown exchange type '${type}'`);
  return make();
}

/**
 * Checks a new exchange's arguments as its type requires (throws AmqpError). RabbitMQ does this only
 * when the exchange is created — after the name and alternate-exchange checks, and never on a redeclare
 * of an existing exchange.
 */
export function validateExchangeArguments(type: string, args: FieldTable): void {
  if (Object.hasOwn(ARGUMENT_CHECKS, type)) ARGUMENT_CHECKS[type](args);
}
