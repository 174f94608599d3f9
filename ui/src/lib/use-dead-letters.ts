// The dead-letter queues of a vhost (or all), worked out from every queue's arguments and the bindings.
// Fetched at most every 30 s and shared by every component that asks.
import { bindings as fetchBindings, queueRouting } from '../api/endpoints';
import type { Queue } from '../api/types';
import { findDeadLetterQueues, type DeadLetterInfo } from './dead-letter';
import { usePoll } from './poll';
import { queueKey } from './queue-watch';

const MAX_AGE_MS = 30_000;
const cache = new Map<string, { at: number; found: Promise<Map<string, DeadLetterInfo>> }>();

function load(vhost: string | null): Promise<Map<string, DeadLetterInfo>> {
  const key = vhost ?? '\u0000all';
  const hit = cache.get(key);
  if (hit && Date.now() - hit.at < MAX_AGE_MS) return hit.found;
  const found = Promise.all([queueRouting(vhost), fetchBindings(vhost)]).then(([queues, bindings]) => findDeadLetterQueues(queues, bindings));
  found.catch(() => cache.delete(key));
  cache.set(key, { at: Date.now(), found });
  return found;
}

/** Forget what was worked out (after queues or bindings changed). */
export function invalidateDeadLetters(): void {
  cache.clear();
}

export interface DeadLetterLookup {
  get(q: Pick<Queue, 'vhost' | 'name'>): DeadLetterInfo | undefined;
  all: Map<string, DeadLetterInfo>;
}

export function useDeadLetterQueues(vhost: string | null): DeadLetterLookup {
  const { data } = usePoll(() => load(vhost), [vhost], MAX_AGE_MS);
  const all = data ?? new Map<string, DeadLetterInfo>();
  return { all, get: (q) => all.get(queueKey(q.vhost, q.name)) };
}
