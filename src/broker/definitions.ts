// What the model reports about durable definitions (and about vhosts, users and permissions), so storage can keep them across restarts.
// The model calls these after each change; it does not know how (or whether) they are stored.
import type { Binding } from './binding.js';
import type { Exchange } from './exchange.js';
import type { Policy } from './policies.js';
import type { Queue } from './queue.js';
import type { Permission, User } from './users.js';
import type { VHost } from './vhost.js';

export interface DefinitionsSink {
  exchangeDeclared(x: Exchange): void;
  exchangeDeleted(x: Exchange): void;
  queueDeclared(q: Queue): void;
  queueDeleted(q: Queue): void;
  bindingAdded(b: Binding): void;
  bindingRemoved(b: Binding): void;
  policySet(p: Policy): void;
  policyCleared(vhost: string, name: string): void;
  vhostPut(vh: VHost): void;
  vhostDeleted(name: string): void;
  userPut(u: User): void;
  userDeleted(name: string): void;
  permissionSet(p: Permission): void;
  permissionCleared(vhost: string, user: string): void;
}

/** A binding survives a restart when both its ends do, as in RabbitMQ. */
export function isDurableBinding(b: Binding): boolean {
  return b.source.durable && b.destination.durable;
}
