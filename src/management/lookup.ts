// Finding the objects a request names, with 404 for what does not exist or the caller may not see.
import type { Exchange } from '../broker/exchange.js';
import type { Queue } from '../broker/queue.js';
import type { VHost } from '../broker/vhost.js';
import type { Api, Call } from './api.js';
import type { AccessKind } from '../broker/users.js';
import { accessRefused, badRequest, notFound } from './http-error.js';

export function visibleVhosts(api: Api, call: Call): VHost[] {
  return [...api.ctx.broker.vhosts.values()].filter((vh) => call.user.sees(vh.name));
}

/** The vhost of the path (or all visible ones when the path has none). */
export function vhostsOf(api: Api, call: Call): VHost[] {
  return call.params.vhost === undefined ? visibleVhosts(api, call) : [vhostOf(api, call)];
}

export function vhostOf(api: Api, call: Call, name = call.params.vhost): VHost {
  const vh = api.ctx.broker.vhosts.get(name);
  if (!vh) throw notFound();
  call.user.requireVhostAccess(name);
  return vh;
}

export function queueOf(vh: VHost, name: string): Queue {
  const q = vh.queues.get(name);
  if (!q) throw notFound();
  return q;
}

export function exchangeOf(vh: VHost, name: string): Exchange {
  const x = vh.exchanges.get(name === 'amq.default' ? '' : name);
  if (!x) throw notFound();
  return x;
}

/** Query flags as RabbitMQ reads them: present and 'true'. */
/**
 * A name or key AMQP carries as a short string: at most 255 bytes, else 400 in the words RabbitMQ uses
 * for a queue name ("queue should be less than 255 bytes, actually was 256").
 */
export function requireShortString(what: string, value: string): void {
  const size = Buffer.byteLength(value);
  if (size > 255) throw badRequest(`${what} should be less than 255 bytes, actually was ${size}\n`);
}

export function flag(v: string | undefined): boolean {
  return v === 'true';
}

/**
 * The AMQP permission an operation needs on a resource (configure to declare or delete, write to
 * publish or bind to, read to get or bind from); 401 "Access refused." without it, as RabbitMQ.
 */
export function requirePermission(api: Api, call: Call, vhost: string, kind: AccessKind, resource: string): void {
  if (!api.ctx.broker.access(vhost, call.user.name)?.allows(kind, resource)) throw accessRefused();
}
