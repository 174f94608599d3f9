// What the model reports about durable definitions, so storage can keep them across restarts.
// The model calls these after each change; it does not know how (or whether) they are stored.
import type { Binding } from './binding.js';
import type { Exchange } from './exchange.js';
import type { Policy } from './policies.js';
import type { Queue } from './queue.js';

export interface DefinitionsSink {
  exchangeDeclared(x: Exchange): void;
  exchangeDeleted(x: Exchange): void;
  queueDeclared(q: Queue): void;
  queueDeleted(q: Queue): void;
  bindingAdded(b: Binding): void;
  bindingRemoved(b: Binding): void;
  policySet(p: Policy): void;
  policyCleared(vhost: string, name: string): void;
}

/** A binding survives a restart when both its ends do, as in RabbitMQ. */
export function isDurableBinding(b: Binding): boolean {
  return b.source.durable && b.destination.durable;
}
