// One exchange: its routes as a graph, bindings out and in, a binding form, publish, delete.
import { useState } from 'preact/hooks';
import { ApiError } from '../../api/client';
import { bind, bindings as fetchBindings, deleteExchange, exchange as fetchExchange, exchanges as fetchExchanges, queueRouting, unbind } from '../../api/endpoints';
import type { Binding } from '../../api/types';
import { Select, TextInput } from '../../components/form';
import { Confirm } from '../../components/Modal';
import { notify, notifyError } from '../../components/notify';
import { PublishForm } from '../../components/PublishForm';
import { RouteGraph } from '../../components/RouteGraph';
import { ArgumentList, Badge, Card, Empty, ErrorBox, FeatureFlags, Loading, PageHeader, Stat } from '../../components/ui';
import { exchangeLabel, rate } from '../../lib/format';
import { usePoll } from '../../lib/poll';
import { queueKey } from '../../lib/queue-watch';
import { href, navigate } from '../../lib/router';
import { detailRateOf } from '../../lib/stats';
import { invalidateDeadLetters, useDeadLetterQueues } from '../../lib/use-dead-letters';

function BindingRows({ list, vhost, show, onChanged }: { list: Binding[]; vhost: string; show: 'destination' | 'source'; onChanged: () => void }) {
  if (list.length === 0) return <Empty>None.</Empty>;
  return (
    <table class="table table-compact">
      <thead>
        <tr>
          <th>{show === 'destination' ? 'To' : 'From exchange'}</th>
          <th>Routing key</th>
          <th>Arguments</th>
          <th />
        </tr>
      </thead>
      <tbody>
        {list.map((b) => {
          const isQueue = show === 'destination' && b.destination_type === 'queue';
          const target = show === 'destination' ? b.destination : b.source;
          return (
            <tr>
              <td>
                <Badge>{show === 'destination' ? b.destination_type : 'exchange'}</Badge>{' '}
                <a href={href(isQueue ? 'queues' : 'exchanges', vhost, target)}>{exchangeLabel(target)}</a>
              </td>
              <td class="mono">{b.routing_key || <span class="muted">""</span>}</td>
              <td>
                <ArgumentList args={b.arguments} />
              </td>
              <td class="actions">
                <button
                  class="button button-small"
                  onClick={async () => {
                    try {
                      await unbind(b);
                      notify('Binding removed');
                      invalidateDeadLetters();
                      onChanged();
                    } catch (err) {
                      notifyError(err);
                    }
                  }}
                >
                  Unbind
                </button>
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

function AddBindingForm({ vhost, source, onAdded }: { vhost: string; source: string; onAdded: () => void }) {
  const [kind, setKind] = useState<'queue' | 'exchange'>('queue');
  const [destination, setDestination] = useState('');
  const [routingKey, setRoutingKey] = useState('');
  const { data } = usePoll(
    async (signal) => {
      const [queues, exchanges] = await Promise.all([queueRouting(vhost, signal), fetchExchanges(vhost, signal)]);
      return { queues: queues.map((q) => q.name).sort(), exchanges: exchanges.map((x) => x.name).filter((n) => n !== '').sort() };
    },
    [vhost],
    60_000,
  );
  const choices = kind === 'queue' ? data?.queues ?? [] : data?.exchanges ?? [];
  const chosen = choices.includes(destination) ? destination : choices[0] ?? '';

  async function submit(e: Event) {
    e.preventDefault();
    try {
      await bind(vhost, source, kind, chosen, routingKey, {});
      notify(`Bound ${chosen}`);
      setRoutingKey('');
      invalidateDeadLetters();
      onAdded();
    } catch (err) {
      notifyError(err);
    }
  }

  return (
    <form class="form-inline bind-form" onSubmit={submit}>
      <Select value={kind} options={[{ value: 'queue', label: 'to queue' }, { value: 'exchange', label: 'to exchange' }]} onChange={(v) => setKind(v as 'queue' | 'exchange')} />
      <Select value={chosen} options={choices} onChange={setDestination} />
      <TextInput value={routingKey} onInput={setRoutingKey} placeholder="routing key" />
      <button class="button" type="submit" disabled={!chosen}>
        Bind
      </button>
    </form>
  );
}

export function ExchangePage({ vhost, name }: { vhost: string; name: string }) {
  const { data: x, error } = usePoll((signal) => fetchExchange(vhost, name, signal), [vhost, name]);
  const { data: routes, refresh: refreshRoutes } = usePoll(
    async (signal) => {
      const [exchanges, bindings] = await Promise.all([fetchExchanges(vhost, signal), fetchBindings(vhost, signal)]);
      return { exchanges, bindings };
    },
    [vhost],
  );
  const deadLetters = useDeadLetterQueues(vhost);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const isDefault = name === '';

  if (error instanceof ApiError && error.status === 404) {
    return (
      <div class="page">
        <PageHeader title={exchangeLabel(name)} />
        <div class="empty">
          This exchange does not exist (any more). <a href={href('exchanges')}>All exchanges</a>
        </div>
      </div>
    );
  }

  const out = (routes?.bindings ?? []).filter((b) => b.source === name);
  const into = (routes?.bindings ?? []).filter((b) => b.destination_type === 'exchange' && b.destination === name);

  return (
    <div class="page">
      <nav class="crumbs">
        <a href={href('exchanges')}>Exchanges</a> <span class="crumb-sep">›</span> <span>vhost {vhost}</span>
      </nav>
      <PageHeader
        title={
          <span class="title-with-badges">
            {exchangeLabel(name)}
            {x && <span class={`type-tag type-${x.type}`}>{x.type}</span>}
          </span>
        }
        subtitle={x && <>Virtual host {vhost} · <FeatureFlags durable={x.durable} autoDelete={x.auto_delete} internal={x.internal} />{x.policy && <> · policy {x.policy}</>}</>}
        actions={
          !isDefault &&
          !name.startsWith('amq.') && (
            <button class="button button-danger" onClick={() => setConfirmDelete(true)} disabled={!x}>
              Delete
            </button>
          )
        }
      />
      <ErrorBox error={error} />
      {!x ? (
        !error && <Loading what="Loading exchange" />
      ) : (
        <>
          <div class="stats">
            <Stat label="In" value={rate(detailRateOf(x.message_stats, 'publish_in'))} />
            <Stat label="Out" value={rate(detailRateOf(x.message_stats, 'publish_out'))} />
            <Stat label="Bindings out" value={isDefault ? 'implicit' : out.length} />
            <Stat label="Bindings in" value={into.length} />
          </div>
          {!isDefault && (
            <Card title="Routes">
              {routes ? (
                <RouteGraph
                  vhost={vhost}
                  exchanges={routes.exchanges}
                  bindings={routes.bindings}
                  focus={{ kind: 'exchange', name }}
                  isDeadLetterQueue={(q) => deadLetters.all.has(queueKey(vhost, q))}
                />
              ) : (
                <Loading />
              )}
            </Card>
          )}
          <div class="grid-2">
            <Card title="Bindings from this exchange">
              {isDefault ? (
                <Empty>The default exchange routes to every queue by its name; these bindings cannot be changed.</Empty>
              ) : (
                <>
                  <BindingRows list={out} vhost={vhost} show="destination" onChanged={refreshRoutes} />
                  <AddBindingForm vhost={vhost} source={name} onAdded={refreshRoutes} />
                </>
              )}
            </Card>
            <Card title="Bindings to this exchange">
              <BindingRows list={into} vhost={vhost} show="source" onChanged={refreshRoutes} />
              {x.arguments && Object.keys(x.arguments).length > 0 && (
                <>
                  <h3>Arguments</h3>
                  <ArgumentList args={x.arguments} />
                </>
              )}
            </Card>
          </div>
          {!x.internal && (
            <Card title="Publish message">
              <PublishForm vhost={vhost} exchange={name} routingKey="" routingKeyEditable />
            </Card>
          )}
        </>
      )}
      {confirmDelete && (
        <Confirm
          title="Delete exchange"
          message={
            <>
              Delete <strong>{name}</strong> and its {out.length} bindings?
            </>
          }
          confirmLabel="Delete exchange"
          danger
          onConfirm={async () => {
            await deleteExchange(vhost, name);
            invalidateDeadLetters();
            notify(`Deleted exchange ${name}`);
            navigate(href('exchanges'));
          }}
          onClose={() => setConfirmDelete(false)}
        />
      )}
    </div>
  );
}
