// The exchange types Warren knows, by the name a client declares them with.
import { commandInvalid } from '../errors.js';
import type { Router } from '../exchange.js';
import { DirectRouter } from './direct.js';
import { FanoutRouter } from './fanout.js';
import { HeadersRouter } from './headers.js';
import { TopicRouter } from './topic.js';

const TYPES: Record<string, () => Router> = {
  direct: () => new DirectRouter(),
  fanout: () => new FanoutRouter(),
  topic: () => new TopicRouter(),
  headers: () => new HeadersRouter(),
};

/** A router for the type, or 503 COMMAND_INVALID as RabbitMQ answers an unknown type. */
export function routerFor(type: string): Router {
  const make = TYPES[type];
  if (!make) throw commandInvalid(`unknown exchange type '${type}'`);
  return make();
}
