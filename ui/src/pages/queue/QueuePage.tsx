// One queue: its numbers and charts, consumers and bindings, and the message tools (get, publish, replay),
// with purge and delete.
import { useState } from 'preact/hooks';
import { ApiError } from '../../api/client';
import { deleteQueue, purgeQueue, queue as fetchQueue } from '../../api/endpoints';
import { Chart } from '../../components/Chart';
import { Confirm } from '../../components/Modal';
import { notify } from '../../components/notify';
import { deadLetterTitle } from '../../components/QueueName';
import { ArgumentList, Badge, Card, ErrorBox, FeatureFlags, Loading, PageHeader, Stat } from '../../components/ui';
import { bytes, count, percent, rate } from '../../lib/format';
import { usePoll } from '../../lib/poll';
import { QUEUE_RATE_KEYS, growthRate, queueHistory, recordDepths, recordQueueSample } from '../../lib/queue-watch';
import { href, navigate } from '../../lib/router';
import { invalidateDeadLetters, useDeadLetterQueues } from '../../lib/use-dead-letters';
import { historyQuery } from '../../lib/seed-history';
import { DEPTH_LINES, RATE_LINES } from '../OverviewPage';
import { BindingsCard } from './BindingsCard';
import { ConsumersTable } from './ConsumersTable';
import { GetMessagesPanel } from './GetMessagesPanel';
import { PublishPanel } from './PublishPanel';
import { ReplayPanel } from './ReplayPanel';

type Tool = 'get' | 'publish' | 'replay';

export function QueuePage({ vhost, name }: { vhost: string; name: string }) {
  const [version, setVersion] = useState(0);
  const { data: q, error, refresh } = usePoll(
    async (signal) => {
      // The first look asks for the last 10 minutes of samples to start the charts with.
      const detail = await fetchQueue(vhost, name, queueHistory(vhost, name)?.length ? '' : historyQuery(600), signal);
      recordQueueSample(detail);
      recordDepths([detail]);
      setVersion((v) => v + 1);
      return detail;
    },
    [vhost, name],
  );
  const deadLetters = useDeadLetterQueues(vhost);
  const deadLetter = deadLetters.get({ vhost, name });
  const [tool, setTool] = useState<Tool | null>(null);
  const [confirm, setConfirm] = useState<'purge' | 'delete' | null>(null);
  const activeTool: Tool = tool ?? (deadLetter ? 'replay' : 'get');

  if (error instanceof ApiError && error.status === 404) {
    return (
      <div class="page">
        <PageHeader title={name} subtitle={`Virtual host ${vhost}`} />
        <div class="empty">
          This queue does not exist (any more). <a href={href('queues')}>All queues</a>
        </div>
      </div>
    );
  }

  const history = q ? queueHistory(vhost, name) : undefined;
  const growth = q ? growthRate(q) : 0;
  const dlx = q?.arguments?.['x-dead-letter-exchange'] ?? q?.effective_policy_definition?.['dead-letter-exchange'];
  const dlrk = q?.arguments?.['x-dead-letter-routing-key'] ?? q?.effective_policy_definition?.['dead-letter-routing-key'];

  return (
    <div class="page">
      <nav class="crumbs">
        <a href={href('queues')}>Queues</a> <span class="crumb-sep">›</span> <span>vhost {vhost}</span>
      </nav>
      <PageHeader
        title={
          <span class="title-with-badges">
            {name}
            {q && <Badge>{q.type ?? 'classic'}</Badge>}
            {deadLetter && (
              <Badge tone="dlq" title={deadLetterTitle(deadLetter)}>
                dead-letter queue
              </Badge>
            )}
            {growth > 0 && <Badge tone="warn">growing {rate(growth)}</Badge>}
          </span>
        }
        subtitle={
          q && (
            <>
              Virtual host {vhost} · <FeatureFlags durable={q.durable} autoDelete={q.auto_delete} exclusive={q.exclusive} /> ·{' '}
              <span class={`state state-${q.state ?? 'running'}`}>{q.state ?? 'running'}</span>
              {q.policy && <> · policy {q.policy}</>}
            </>
          )
        }
        actions={
          <>
            <button class="button" onClick={() => setConfirm('purge')} disabled={!q}>
              Purge
            </button>
            <button class="button button-danger" onClick={() => setConfirm('delete')} disabled={!q}>
              Delete
            </button>
          </>
        }
      />
      <ErrorBox error={error} />
      {!q ? (
        !error && <Loading what="Loading queue" />
      ) : (
        <>
          <div class="stats">
            <Stat label="Ready" value={count(q.messages_ready)} tone={growth > 0 ? 'warn' : undefined} />
            <Stat label="Unacked" value={count(q.messages_unacknowledged)} />
            <Stat label="Total" value={count(q.messages)} hint={q.message_bytes !== undefined ? bytes(q.message_bytes) : undefined} />
            <Stat label="Consumers" value={count(q.consumers)} hint={q.consumer_utilisation != null ? `utilisation ${percent(q.consumer_utilisation)}` : undefined} />
            <Stat label="In" value={rate(history?.last('publish'))} />
            <Stat label="Out" value={rate(history?.last('deliver_get'))} />
          </div>
          {deadLetter && !deadLetter.byNameOnly && (
            <div class="alert alert-dlq">
              Dead letters arrive here from <strong>{deadLetter.sources.join(', ')}</strong>. Use <em>Replay</em> below to send them back
              where they came from once the cause is fixed.
            </div>
          )}
          <div class="grid-2">
            <Card title="Queued messages">
              {history && <Chart lines={DEPTH_LINES} data={history.aligned(['ready', 'unacked'])} version={version} formatValue={(v) => count(v)} integer />}
            </Card>
            <Card title="Message rates">
              {history && <Chart lines={RATE_LINES} data={history.aligned([...QUEUE_RATE_KEYS])} version={version} formatValue={(v) => rate(v)} />}
            </Card>
          </div>
          <Card
            title="Messages"
            class="card-tools"
            actions={
              <div class="tabs" role="tablist">
                {(['get', 'publish', 'replay'] as const).map((t) => (
                  <button role="tab" aria-selected={activeTool === t} class={activeTool === t ? 'active' : ''} onClick={() => setTool(t)}>
                    {t === 'get' ? 'Get messages' : t === 'publish' ? 'Publish' : 'Replay dead letters'}
                  </button>
                ))}
              </div>
            }
          >
            {activeTool === 'get' && <GetMessagesPanel vhost={vhost} name={name} onChanged={refresh} />}
            {activeTool === 'publish' && <PublishPanel vhost={vhost} queueName={name} onPublished={refresh} />}
            {activeTool === 'replay' && <ReplayPanel vhost={vhost} name={name} ready={q.messages_ready ?? 0} onReplayed={refresh} />}
          </Card>
          <div class="grid-2">
            <Card title={`Consumers (${q.consumer_details?.length ?? q.consumers ?? 0})`}>
              <ConsumersTable consumers={q.consumer_details ?? []} />
            </Card>
            <BindingsCard vhost={vhost} name={name} />
          </div>
          <Card title="Details">
            <div class="details-grid">
              <div>
                <h3>Arguments</h3>
                <ArgumentList args={q.arguments} />
              </div>
              <div>
                <h3>Effective policy</h3>
                {q.policy ? <ArgumentList args={q.effective_policy_definition} /> : <span class="muted">none</span>}
              </div>
              <div>
                <h3>Dead letters go to</h3>
                {dlx === undefined ? (
                  <span class="muted">nowhere (no dead-letter exchange)</span>
                ) : (
                  <span>
                    exchange{' '}
                    <a href={href('exchanges', vhost, String(dlx))} class="mono">
                      {String(dlx) === '' ? '(AMQP default)' : String(dlx)}
                    </a>
                    {dlrk !== undefined && (
                      <>
                        {' '}
                        with routing key <span class="mono">{String(dlrk)}</span>
                      </>
                    )}
                  </span>
                )}
              </div>
            </div>
          </Card>
        </>
      )}
      {confirm === 'purge' && (
        <Confirm
          title="Purge queue"
          message={
            <>
              Remove all <strong>{count(q?.messages_ready)}</strong> ready messages from <strong>{name}</strong>? Unacknowledged messages stay.
            </>
          }
          confirmLabel="Purge"
          danger
          onConfirm={async () => {
            await purgeQueue(vhost, name);
            notify(`Purged ${name}`);
            refresh();
          }}
          onClose={() => setConfirm(null)}
        />
      )}
      {confirm === 'delete' && (
        <Confirm
          title="Delete queue"
          message={
            <>
              Delete <strong>{name}</strong> and its {count(q?.messages)} messages? Its consumers are cancelled.
            </>
          }
          confirmLabel="Delete queue"
          danger
          onConfirm={async () => {
            await deleteQueue(vhost, name);
            invalidateDeadLetters();
            notify(`Deleted queue ${name}`);
            navigate(href('queues'));
          }}
          onClose={() => setConfirm(null)}
        />
      )}
    </div>
  );
}
