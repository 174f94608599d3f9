// Polls /api/overview for as long as someone is signed in, whatever page is open, so the overview charts
// already have a history when the user comes back to them.
import { overview as fetchOverview } from '../api/endpoints';
import type { Overview } from '../api/types';
import { historyQuery, seedSeries, type Sampled } from './seed-history';
import { Series } from './series';
import { refreshInterval } from './settings';
import { RateTracker } from './stats';
import { createStore } from './store';

export const RATE_KEYS = ['publish', 'deliver_get', 'ack', 'redeliver', 'confirm', 'return_unroutable', 'drop_unroutable'] as const;
export const DEPTH_KEYS = ['ready', 'unacked'] as const;
export type OverviewKey = (typeof RATE_KEYS)[number] | (typeof DEPTH_KEYS)[number];

export interface OverviewState {
  overview: Overview | undefined;
  error: Error | undefined;
  /** bumps with every sample, so charts know to redraw */
  version: number;
  history: Series<OverviewKey>;
}

export const overviewFeed = createStore<OverviewState>({
  overview: undefined,
  error: undefined,
  version: 0,
  history: new Series<OverviewKey>([...RATE_KEYS, ...DEPTH_KEYS]),
});

let timer: ReturnType<typeof setTimeout> | undefined;
let running = false;
let tracker = new RateTracker();

async function sampleOnce(): Promise<void> {
  const state = overviewFeed.get();
  try {
    const seeding = state.history.length === 0;
    const data = await fetchOverview(seeding ? historyQuery(600) : '');
    if (!running) return;
    const now = Date.now();
    if (seeding) {
      const stats = data.message_stats as Record<string, Sampled | undefined> | undefined;
      seedSeries(
        state.history,
        { ready: data.queue_totals?.messages_ready_details, unacked: data.queue_totals?.messages_unacknowledged_details },
        Object.fromEntries(RATE_KEYS.map((key) => [key, stats?.[`${key}_details`]])),
        now,
      );
    }
    const rates = tracker.sample(now, data.message_stats, RATE_KEYS);
    state.history.push(now, {
      ...rates,
      ready: data.queue_totals?.messages_ready,
      unacked: data.queue_totals?.messages_unacknowledged,
    });
    overviewFeed.set({ ...state, overview: data, error: undefined, version: state.version + 1 });
  } catch (err) {
    if (!running) return;
    overviewFeed.set({ ...state, error: err instanceof Error ? err : new Error(String(err)), version: state.version + 1 });
  }
}

function schedule(): void {
  if (!running) return;
  const period = refreshInterval.get() || 5000;
  timer = setTimeout(async () => {
    // Paused or hidden: keep the timer going but take no sample.
    if (refreshInterval.get() !== 0 && document.visibilityState === 'visible') await sampleOnce();
    schedule();
  }, period);
}

export function startOverviewFeed(): void {
  if (running) return;
  running = true;
  void sampleOnce().then(schedule);
}

/** On sign-out: stop polling and forget the history (it belongs to the user who saw it). */
export function stopOverviewFeed(): void {
  running = false;
  clearTimeout(timer);
  tracker = new RateTracker();
  overviewFeed.set({ overview: undefined, error: undefined, version: 0, history: new Series<OverviewKey>([...RATE_KEYS, ...DEPTH_KEYS]) });
}
