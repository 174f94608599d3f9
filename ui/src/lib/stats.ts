// Reading message counters and rates out of `message_stats`, with rates worked out on the client when a
// broker sends counters without `_details`.
import type { MessageStats, RateDetails } from '../api/types';

export function counterOf(stats: MessageStats | undefined, key: string): number | undefined {
  const value = stats?.[key];
  return typeof value === 'number' ? value : undefined;
}

export function detailRateOf(stats: MessageStats | undefined, key: string): number | undefined {
  const value = stats?.[`${key}_details`] as RateDetails | undefined;
  return value && typeof value.rate === 'number' ? value.rate : undefined;
}

/** Remembers the last counters of one object, so the next sample can give a rate from their change. */
export class RateTracker {
  private last: { at: number; counters: Record<string, number> } | undefined;

  /** Rates per second for `keys` at time `at` (ms): the broker's own when given, else counter deltas. */
  sample(at: number, stats: MessageStats | undefined, keys: readonly string[]): Record<string, number | undefined> {
    const counters: Record<string, number> = {};
    const rates: Record<string, number | undefined> = {};
    for (const key of keys) {
      const counter = counterOf(stats, key);
      if (counter !== undefined) counters[key] = counter;
      const given = detailRateOf(stats, key);
      if (given !== undefined) {
        rates[key] = given;
      } else if (counter !== undefined && this.last && this.last.counters[key] !== undefined && at > this.last.at) {
        rates[key] = Math.max(0, (counter - this.last.counters[key]!) / ((at - this.last.at) / 1000));
      } else {
        rates[key] = counter === undefined ? undefined : 0;
      }
    }
    this.last = { at, counters };
    return rates;
  }
}
