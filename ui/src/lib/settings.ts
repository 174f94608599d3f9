// User choices that apply across pages: the vhost in view and how often pages refresh.
import { persistedStore } from './store';

/** null = all vhosts */
export const selectedVhost = persistedStore<string | null>('warren.vhost', null);

/** Refresh period in milliseconds; 0 = paused. RabbitMQ updates its statistics every 5 s. */
export const refreshInterval = persistedStore<number>('warren.refresh', 5000);

export const REFRESH_CHOICES: Array<{ label: string; ms: number }> = [
  { label: 'every 2 s', ms: 2000 },
  { label: 'every 5 s', ms: 5000 },
  { label: 'every 10 s', ms: 10000 },
  { label: 'every 30 s', ms: 30000 },
  { label: 'paused', ms: 0 },
];
