// The broker at a glance: totals, live rate and depth charts from the overview feed, and the queues that
// most need a look.
import { queuesPage } from '../api/endpoints';
import { Chart, type ChartLine } from '../components/Chart';
import { QueueNameCell } from '../components/QueueName';
import { Card, ErrorBox, Loading, PageHeader, Stat } from '../components/ui';
import { count, rate } from '../lib/format';
import { overviewFeed } from '../lib/overview-feed';
import { usePoll } from '../lib/poll';
import { growthRate, recordDepths } from '../lib/queue-watch';
import { href } from '../lib/router';
import { selectedVhost } from '../lib/settings';
import { detailRateOf } from '../lib/stats';
import { useStore } from '../lib/store';
import { useDeadLetterQueues } from '../lib/use-dead-letters';

export const RATE_LINES: ChartLine[] = [
  { label: 'Publish', color: '#0f8a7e' },
  { label: 'Deliver / get', color: '#3b6fd8' },
  { label: 'Ack', color: '#8a5cd6' },
  { label: 'Redeliver', color: '#e0891b' },
];
const OVERVIEW_RATE_LINES: ChartLine[] = [...RATE_LINES, { label: 'Confirm', color: '#8d99ae' }];
export const DEPTH_LINES: ChartLine[] = [
  { label: 'Ready', color: '#0f8a7e', fill: true },
  { label: 'Unacked', color: '#e0891b', fill: true },
];

const formatRate = (v: number) => rate(v);
const formatCount = (v: number) => count(v);

function DeepestQueues() {
  const vhost = useStore(selectedVhost);
  const deadLetters = useDeadLetterQueues(vhost);
  const { data, error } = usePoll(
    async (signal) => {
      const page = await queuesPage(vhost, { page: 1, pageSize: 8, name: '', useRegex: false, sort: 'messages', sortReverse: true }, signal);
      recordDepths(page.items);
      return page;
    },
    [vhost],
  );
  if (error) return <ErrorBox error={error} />;
  if (!data) return <Loading />;
  const rows = data.items.filter((q) => (q.messages ?? 0) > 0);
  if (rows.length === 0) return <div class="empty">Every queue is empty.</div>;
  return (
    <table class="table">
      <thead>
        <tr>
          <th>Queue</th>
          <th class="num">Ready</th>
          <th class="num">Unacked</th>
          <th class="num">In</th>
          <th class="num">Out</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((q) => (
          <tr>
            <td>
              <QueueNameCell queue={q} deadLetter={deadLetters.get(q)} growth={growthRate(q)} showVhost={vhost === null} />
            </td>
            <td class="num">{count(q.messages_ready)}</td>
            <td class="num">{count(q.messages_unacknowledged)}</td>
            <td class="num">{rate(detailRateOf(q.message_stats, 'publish'))}</td>
            <td class="num">{rate(detailRateOf(q.message_stats, 'deliver_get'))}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function OverviewPage() {
  const feed = useStore(overviewFeed);
  const o = feed.overview;
  const history = feed.history;
  const last = (key: Parameters<typeof history.last>[0]) => history.last(key) ?? undefined;
  const totals = o?.object_totals;
  const product = o ? `${o.product_name ?? 'Broker'} ${o.product_version ?? o.rabbitmq_version ?? ''}` : '';

  return (
    <div class="page">
      <PageHeader title="Overview" subtitle={o ? `${product} · ${o.cluster_name ?? o.node ?? ''}` : 'Connecting…'} />
      <ErrorBox error={feed.error} />
      <div class="stats">
        <Stat label="Ready" value={count(o?.queue_totals?.messages_ready)} />
        <Stat label="Unacked" value={count(o?.queue_totals?.messages_unacknowledged)} />
        <Stat label="Total queued" value={count(o?.queue_totals?.messages)} />
        <Stat label="Publish" value={rate(last('publish'))} />
        <Stat label="Deliver / get" value={rate(last('deliver_get'))} />
        <Stat label="Ack" value={rate(last('ack'))} />
      </div>
      <div class="stats stats-links">
        <a href={href('connections')}>
          <Stat label="Connections" value={count(totals?.connections)} />
        </a>
        <a href={href('channels')}>
          <Stat label="Channels" value={count(totals?.channels)} />
        </a>
        <a href={href('exchanges')}>
          <Stat label="Exchanges" value={count(totals?.exchanges)} />
        </a>
        <a href={href('queues')}>
          <Stat label="Queues" value={count(totals?.queues)} />
        </a>
        <a href={href('queues')}>
          <Stat label="Consumers" value={count(totals?.consumers)} />
        </a>
      </div>
      <div class="grid-2">
        <Card title="Message rates" actions={<span class="muted">per second, all vhosts</span>}>
          <Chart
            lines={OVERVIEW_RATE_LINES}
            data={history.aligned(['publish', 'deliver_get', 'ack', 'redeliver', 'confirm'])}
            version={feed.version}
            formatValue={formatRate}
          />
        </Card>
        <Card title="Queued messages" actions={<span class="muted">all vhosts</span>}>
          <Chart lines={DEPTH_LINES} data={history.aligned(['ready', 'unacked'])} version={feed.version} formatValue={formatCount} integer />
        </Card>
      </div>
      <div class="grid-2">
        <Card title="Deepest queues" actions={<a href={href('queues')}>All queues →</a>}>
          <DeepestQueues />
        </Card>
        <Card title="Listeners">
          {o?.listeners?.length ? (
            <table class="table">
              <thead>
                <tr>
                  <th>Protocol</th>
                  <th>Address</th>
                  <th class="num">Port</th>
                </tr>
              </thead>
              <tbody>
                {o.listeners.map((l) => (
                  <tr>
                    <td>{l.protocol}</td>
                    <td class="mono">{l.ip_address ?? ''}</td>
                    <td class="num">{l.port}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : (
            <div class="empty">No listeners reported.</div>
          )}
        </Card>
      </div>
    </div>
  );
}
