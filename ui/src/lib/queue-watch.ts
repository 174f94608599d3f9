// What the browser has seen of queues over time: a rates/depth history per open queue page, and recent
// depths from the queues table, from which "growing" is judged.
import type { Queue } from '../api/types';
import { seedSeries, type Sampled } from './seed-history';
import { Series } from './series';
import { RateTracker } from './stats';

export const QUEUE_RATE_KEYS = ['publish', 'deliver_get', 'ack', 'redeliver'] as const;
export type QueueSeriesKey = (typeof QUEUE_RATE_KEYS)[number] | 'ready' | 'unacked';

export const queueKey = (vhost: string, name: string) => `${vhost}\u0000${name}`;

interface Watched {
  series: Series<QueueSeriesKey>;
  tracker: RateTracker;
}

const watched = new Map<string, Watched>();
const MAX_WATCHED = 50;

/** Adds a sample of a queue's detail to its history and returns the history. */
export function recordQueueSample(queue: Queue, atMs = Date.now()): Series<QueueSeriesKey> {
  const key = queueKey(queue.vhost, queue.name);
  let entry = watched.get(key);
  if (!entry) {
    entry = { series: new Series<QueueSeriesKey>([...QUEUE_RATE_KEYS, 'ready', 'unacked']), tracker: new RateTracker() };
    watched.set(key, entry);
    // Forget the queue looked at longest ago.
    if (watched.size > MAX_WATCHED) watched.delete(watched.keys().next().value!);
  }
  const stats = queue.message_stats as Record<string, Sampled | undefined> | undefined;
  seedSeries(
    entry.series,
    { ready: queue.messages_ready_details, unacked: queue.messages_unacknowledged_details },
    Object.fromEntries(QUEUE_RATE_KEYS.map((k) => [k, stats?.[`${k}_details`]])),
    atMs,
  );
  const rates = entry.tracker.sample(atMs, queue.message_stats, QUEUE_RATE_KEYS);
  // A queue that has seen no traffic has no counters at all: that is a rate of 0.
  for (const key of QUEUE_RATE_KEYS) rates[key] ??= 0;
  entry.series.push(atMs, { ...rates, ready: queue.messages_ready, unacked: queue.messages_unacknowledged });
  return entry.series;
}

export function queueHistory(vhost: string, name: string): Series<QueueSeriesKey> | undefined {
  return watched.get(queueKey(vhost, name))?.series;
}

// Growth, judged from the queues table's polls.

const depths = new Map<string, Array<{ at: number; messages: number }>>();
const DEPTH_SAMPLES = 6;

export function recordDepths(queues: Queue[], atMs = Date.now()): void {
  for (const q of queues) {
    if (typeof q.messages !== 'number') continue;
    const key = queueKey(q.vhost, q.name);
    const list = depths.get(key) ?? [];
    list.push({ at: atMs, messages: q.messages });
    if (list.length > DEPTH_SAMPLES) list.shift();
    depths.set(key, list);
  }
}

/**
 * How fast a queue is growing (messages per second), or 0 when it is not: the broker's rate of change of
 * `messages` when it gives one, else the trend of the last few depths the browser saw, counted only when
 * each was higher than the one before.
 */
export function growthRate(q: Queue): number {
  if (!q.messages) return 0;
  const given = q.messages_details?.rate;
  if (typeof given === 'number') return given > 0.05 ? given : 0;
  const list = depths.get(queueKey(q.vhost, q.name));
  if (!list || list.length < 3) return 0;
  for (let i = 1; i < list.length; i++) if (list[i]!.messages <= list[i - 1]!.messages) return 0;
  const first = list[0]!;
  const last = list[list.length - 1]!;
  return (last.messages - first.messages) / ((last.at - first.at) / 1000);
}
