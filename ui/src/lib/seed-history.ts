// Fills an empty client-side history from the samples a RabbitMQ-style API returns when asked for them
// (`?lengths_age=…&msg_rates_age=…`), so a chart has a past the moment it opens. A broker that sends no
// samples leaves the history to fill from live polls.
import type { Series } from './series';

export interface Sampled {
  samples?: Array<{ sample: number; timestamp: number }>;
}

/** Query parameters asking for `seconds` of history in 5-second steps. */
export function historyQuery(seconds: number): string {
  return `?lengths_age=${seconds}&lengths_incr=5&msg_rates_age=${seconds}&msg_rates_incr=5`;
}

/**
 * `levels` are gauges (queue depths): each sample is a value. `counters` are cumulative message counts:
 * the rate at a sample is its rise since the previous one. Only samples before `beforeMs` are taken, so
 * the live sample at `beforeMs` comes after them.
 */
export function seedSeries<K extends string>(
  series: Series<K>,
  levels: Partial<Record<K, Sampled | undefined>>,
  counters: Partial<Record<K, Sampled | undefined>>,
  beforeMs: number,
): void {
  if (series.length > 0) return;
  const points = new Map<number, Partial<Record<K, number>>>();
  const at = (timestamp: number) => {
    let point = points.get(timestamp);
    if (!point) points.set(timestamp, (point = {}));
    return point;
  };
  for (const [key, source] of Object.entries(levels) as Array<[K, Sampled | undefined]>) {
    for (const s of source?.samples ?? []) at(s.timestamp)[key] = s.sample;
  }
  for (const [key, source] of Object.entries(counters) as Array<[K, Sampled | undefined]>) {
    const samples = [...(source?.samples ?? [])].sort((a, b) => a.timestamp - b.timestamp);
    for (let i = 1; i < samples.length; i++) {
      const seconds = (samples[i]!.timestamp - samples[i - 1]!.timestamp) / 1000;
      if (seconds > 0) at(samples[i]!.timestamp)[key] = Math.max(0, (samples[i]!.sample - samples[i - 1]!.sample) / seconds);
    }
  }
  for (const timestamp of [...points.keys()].sort((a, b) => a - b)) {
    if (timestamp < beforeMs - 1000) series.push(timestamp, points.get(timestamp)!);
  }
}
