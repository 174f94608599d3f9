// Exchanges: the route map of a vhost (every binding as a graph) and the list of exchanges.
import { useState } from 'preact/hooks';
import { bindings as fetchBindings, exchanges as fetchExchanges } from '../api/endpoints';
import type { Exchange } from '../api/types';
import { Select } from '../components/form';
import { RouteGraph } from '../components/RouteGraph';
import { EmptyRow, FilterBox, Pager, SortHeader, useBrowserListing } from '../components/table';
import { Badge, Card, ErrorBox, FeatureFlags, Loading, PageHeader } from '../components/ui';
import { exchangeLabel, rate } from '../lib/format';
import { usePoll } from '../lib/poll';
import { queueKey } from '../lib/queue-watch';
import { href } from '../lib/router';
import { selectedVhost } from '../lib/settings';
import { detailRateOf } from '../lib/stats';
import { useStore } from '../lib/store';
import { useDeadLetterQueues } from '../lib/use-dead-letters';
import { vhostNames } from '../lib/vhosts';
import { AddExchangeDialog } from './exchange/AddExchangeDialog';

function sortValue(x: Exchange, key: string): unknown {
  switch (key) {
    case 'in':
      return detailRateOf(x.message_stats, 'publish_in') ?? 0;
    case 'out':
      return detailRateOf(x.message_stats, 'publish_out') ?? 0;
    default:
      return (x as unknown as Record<string, unknown>)[key];
  }
}

export function ExchangesPage() {
  const vhost = useStore(selectedVhost);
  const names = useStore(vhostNames);
  // The graph shows one vhost: the chosen one, else "/" (or the first there is).
  const [graphVhostChoice, setGraphVhost] = useState<string | null>(null);
  const graphVhost = vhost ?? graphVhostChoice ?? (names.includes('/') ? '/' : names[0] ?? '/');
  const [adding, setAdding] = useState(false);
  const [showBuiltIn, setShowBuiltIn] = useState(false);

  const { data, error, refresh } = usePoll(
    async (signal) => {
      const [exchanges, bindings] = await Promise.all([fetchExchanges(vhost, signal), fetchBindings(vhost, signal)]);
      return { exchanges, bindings };
    },
    [vhost],
  );
  const list = data?.exchanges;
  const { data: graphData, error: graphError } = usePoll(
    async (signal) => {
      const [exchanges, bindings] = await Promise.all([fetchExchanges(graphVhost, signal), fetchBindings(graphVhost, signal)]);
      return { exchanges, bindings };
    },
    [graphVhost],
  );
  const deadLetters = useDeadLetterQueues(graphVhost);
  const bindingCounts = new Map<string, number>();
  for (const b of data?.bindings ?? []) {
    const key = `${b.vhost}\u0000${b.source}`;
    bindingCounts.set(key, (bindingCounts.get(key) ?? 0) + 1);
  }

  // RabbitMQ's predeclared exchanges (the default one and amq.*) are hidden unless asked for.
  const isBuiltIn = (name: string) => name === '' || name.startsWith('amq.');
  const builtInCount = (list ?? []).filter((x) => isBuiltIn(x.name)).length;
  const listing = useBrowserListing(
    list && (showBuiltIn ? list : list.filter((x) => !isBuiltIn(x.name))),
    (x, needle) => exchangeLabel(x.name).toLowerCase().includes(needle),
    sortValue,
  );
  const { sortProps, filter } = listing;

  return (
    <div class="page">
      <PageHeader
        title="Exchanges"
        subtitle={vhost === null ? 'All virtual hosts' : `Virtual host ${vhost}`}
        actions={
          <button class="button button-primary" onClick={() => setAdding(true)}>
            Add exchange
          </button>
        }
      />
      <div class="toolbar">
        <FilterBox {...listing.filterProps} placeholder="Filter exchanges and routes" />
        <label class="check" title="The default exchange and the amq.* exchanges every vhost has">
          <input type="checkbox" checked={showBuiltIn} onChange={(e) => (setShowBuiltIn((e.target as HTMLInputElement).checked), listing.firstPage())} /> show built-in
          exchanges <span class="muted">({builtInCount})</span>
        </label>
      </div>
      <Card
        title="Route map"
        actions={
          <>
            {vhost === null && names.length > 1 && (
              <label class="inline-label">
                vhost <Select value={graphVhost} options={names} onChange={setGraphVhost} />
              </label>
            )}
            <span class="graph-legend">
              <span class="legend-exchange">exchange</span>
              <span class="legend-queue">queue</span>
              <span class="legend-dlq">dead-letter queue</span>
            </span>
          </>
        }
      >
        <ErrorBox error={graphError} />
        {graphData ? (
          <RouteGraph
            vhost={graphVhost}
            exchanges={graphData.exchanges}
            bindings={graphData.bindings}
            filter={filter}
            isDeadLetterQueue={(name) => deadLetters.all.has(queueKey(graphVhost, name))}
          />
        ) : (
          !graphError && <Loading what="Loading routes" />
        )}
      </Card>
      <ErrorBox error={error} />
      <div class="card card-flush">
        {!list && !error ? (
          <Loading what="Loading exchanges" />
        ) : (
          <table class="table">
            <thead>
              <tr>
                <SortHeader label="Name" sortKey="name" {...sortProps} />
                {vhost === null && <SortHeader label="Vhost" sortKey="vhost" {...sortProps} />}
                <SortHeader label="Type" sortKey="type" {...sortProps} />
                <th>Features</th>
                <th class="num">Bindings</th>
                <SortHeader label="In" sortKey="in" numeric title="Messages published in per second" {...sortProps} />
                <SortHeader label="Out" sortKey="out" numeric title="Messages routed out per second" {...sortProps} />
              </tr>
            </thead>
            <tbody>
              {listing.rows.map((x) => (
                <tr>
                  <td>
                    <a class="strong" href={href('exchanges', x.vhost, x.name)}>
                      {exchangeLabel(x.name)}
                    </a>
                  </td>
                  {vhost === null && <td class="muted">{x.vhost}</td>}
                  <td>
                    <span class={`type-tag type-${x.type}`}>{x.type}</span>
                  </td>
                  <td>
                    <FeatureFlags durable={x.durable} autoDelete={x.auto_delete} internal={x.internal} />
                    {x.arguments?.['alternate-exchange'] !== undefined && <Badge title={`Alternate exchange ${String(x.arguments['alternate-exchange'])}`}>AE</Badge>}
                    {x.policy && <Badge tone="accent">{x.policy}</Badge>}
                  </td>
                  <td class="num">{x.name === '' ? <span class="muted">implicit</span> : bindingCounts.get(`${x.vhost}\u0000${x.name}`) ?? 0}</td>
                  <td class="num">{rate(detailRateOf(x.message_stats, 'publish_in'))}</td>
                  <td class="num">{rate(detailRateOf(x.message_stats, 'publish_out'))}</td>
                </tr>
              ))}
              {listing.rows.length === 0 && (
                <EmptyRow colSpan={7}>{listing.needle ? 'No exchange matches.' : 'Only the built-in exchanges so far.'}</EmptyRow>
              )}
            </tbody>
          </table>
        )}
        {list && <Pager {...listing.pagerProps} />}
      </div>
      {adding && (
        <AddExchangeDialog
          vhost={vhost}
          onClose={() => setAdding(false)}
          onCreated={() => {
            setAdding(false);
            refresh();
          }}
        />
      )}
    </div>
  );
}
