// The bar across the top: navigation, the vhost in view, the refresh period, the broker and the user.
import { signOut, type SignedIn } from '../lib/auth';
import { overviewFeed } from '../lib/overview-feed';
import { useRoute } from '../lib/router';
import { REFRESH_CHOICES, refreshInterval, selectedVhost } from '../lib/settings';
import { useStore } from '../lib/store';
import { vhostNames } from '../lib/vhosts';
import { Logo } from './Logo';

const SECTIONS = [
  { path: 'overview', label: 'Overview' },
  { path: 'connections', label: 'Connections' },
  { path: 'channels', label: 'Channels' },
  { path: 'exchanges', label: 'Exchanges' },
  { path: 'queues', label: 'Queues' },
  { path: 'admin', label: 'Admin' },
];

export function TopBar({ user }: { user: SignedIn }) {
  const [section = 'overview'] = useRoute();
  const feed = useStore(overviewFeed);
  const vhost = useStore(selectedVhost);
  const names = useStore(vhostNames);
  const interval = useStore(refreshInterval);
  const product = feed.overview?.product_name;
  const version = feed.overview?.product_version ?? feed.overview?.rabbitmq_version;

  return (
    <header class="topbar">
      <a class="brand" href="#/">
        <Logo />
        <span class="brand-name">Warren</span>
      </a>
      <nav class="nav">
        {SECTIONS.map((s) => (
          <a href={`#/${s.path}`} class={section === s.path ? 'active' : ''}>
            {s.label}
          </a>
        ))}
      </nav>
      <div class="topbar-tools">
        <label class="topbar-control" title="Virtual host in view">
          <span>vhost</span>
          <select
            value={vhost ?? ''}
            onChange={(e) => {
              const value = (e.target as HTMLSelectElement).value;
              selectedVhost.set(value === '' ? null : value);
            }}
            aria-label="Virtual host"
          >
            <option value="">All</option>
            {names.map((n) => (
              <option value={n}>{n}</option>
            ))}
          </select>
        </label>
        <label class="topbar-control" title="How often pages refresh">
          <span class={`live-dot${feed.error ? ' live-error' : interval === 0 ? ' live-paused' : ''}`} />
          <select value={interval} onChange={(e) => refreshInterval.set(Number((e.target as HTMLSelectElement).value))} aria-label="Refresh">
            {REFRESH_CHOICES.map((c) => (
              <option value={c.ms}>{c.label}</option>
            ))}
          </select>
        </label>
        {product && (
          <span class="broker-label" title={feed.overview?.cluster_name ?? ''}>
            {product} {version}
          </span>
        )}
        <span class="user-label" title={user.tags.join(', ') || 'no tags'}>
          {user.username}
        </span>
        <button class="button button-ghost button-small" onClick={() => signOut()}>
          Sign out
        </button>
      </div>
    </header>
  );
}
