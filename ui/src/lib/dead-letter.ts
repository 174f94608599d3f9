// Which queues are dead-letter queues: those other queues dead-letter into (named by their
// x-dead-letter-exchange / x-dead-letter-routing-key arguments or a policy's dead-letter-* keys, followed
// through the bindings), and those whose names say so (*.dlq, *dead*).
import type { Binding, DeathEntry, FetchedMessage, MessageProperties, Queue } from '../api/types';
import { queueKey } from './queue-watch';

export interface DeadLetterInfo {
  /** queues that dead-letter into this one (vhost-local names) */
  sources: string[];
  /** true when only the name suggests it */
  byNameOnly: boolean;
}

const DLQ_NAME = /(?:[.\-_]dlq$|^dlq[.\-_]|dead)/i;

function setting(q: Queue, argument: string, policyKey: string): string | undefined {
  const value = q.arguments?.[argument] ?? q.effective_policy_definition?.[policyKey];
  return typeof value === 'string' ? value : undefined;
}

/** Queues an exchange routes to through any chain of bindings (exchange-to-exchange included). */
function queuesReachedFrom(exchange: string, vhost: string, routingKey: string | undefined, bindings: Binding[]): string[] {
  const out = new Set<string>();
  const seen = new Set<string>();
  const pending = [exchange];
  while (pending.length) {
    const source = pending.pop()!;
    if (seen.has(source)) continue;
    seen.add(source);
    for (const b of bindings) {
      if (b.vhost !== vhost || b.source !== source) continue;
      // A binding key that cannot match the fixed dead-letter routing key is left out; topic and header
      // matching is not worked out here, so anything with wildcards or empty keys counts.
      if (source === exchange && routingKey !== undefined && b.routing_key !== '' && !/[*#]/.test(b.routing_key) && b.routing_key !== routingKey) continue;
      if (b.destination_type === 'queue') out.add(b.destination);
      else pending.push(b.destination);
    }
  }
  return [...out];
}

export function findDeadLetterQueues(queues: Queue[], bindings: Binding[]): Map<string, DeadLetterInfo> {
  const found = new Map<string, DeadLetterInfo>();
  const add = (vhost: string, target: string, source: string) => {
    const key = queueKey(vhost, target);
    const info = found.get(key) ?? { sources: [], byNameOnly: false };
    info.byNameOnly = false;
    if (!info.sources.includes(source)) info.sources.push(source);
    found.set(key, info);
  };
  for (const q of queues) {
    const dlx = setting(q, 'x-dead-letter-exchange', 'dead-letter-exchange');
    if (dlx === undefined) continue;
    const routingKey = setting(q, 'x-dead-letter-routing-key', 'dead-letter-routing-key');
    if (dlx === '') {
      // Through the default exchange the routing key is the target queue's name.
      if (routingKey) add(q.vhost, routingKey, q.name);
    } else {
      for (const target of queuesReachedFrom(dlx, q.vhost, routingKey, bindings)) if (target !== q.name) add(q.vhost, target, q.name);
    }
  }
  for (const q of queues) {
    const key = queueKey(q.vhost, q.name);
    if (!found.has(key) && DLQ_NAME.test(q.name)) found.set(key, { sources: [], byNameOnly: true });
  }
  return found;
}

/**
 * The first x-death entry of a fetched message: the most recent dead-lettering, naming the exchange and
 * routing keys the message had when it died. Warren's replay republishes to exactly these.
 */
export function firstDeath(message: FetchedMessage): DeathEntry | undefined {
  const properties = message.properties as MessageProperties;
  const deaths = properties && !Array.isArray(properties) ? properties.headers?.['x-death'] : undefined;
  if (!Array.isArray(deaths) || deaths.length === 0) return undefined;
  return deaths[0] as DeathEntry;
}
