// All queues: filtered, sorted and paged by the API itself (page, page_size, name, use_regex, sort,
// sort_reverse), with dead-letter queues and growing queues marked.
import { useEffect, useState } from 'preact/hooks';
import { queuesPage } from '../api/endpoints';
import type { Queue } from '../api/types';
import { QueueNameCell } from '../components/QueueName';
import { FilterBox, Pager, SortHeader, type SortState } from '../components/table';
import { Badge, ErrorBox, FeatureFlags, Loading, PageHeader } from '../components/ui';
import { count, percent, rate } from '../lib/format';
import { usePoll } from '../lib/poll';
import { growthRate, queueKey, recordDepths } from '../lib/queue-watch';
import { selectedVhost } from '../lib/settings';
import { detailRateOf } from '../lib/stats';
import { persistedStore, useStore } from '../lib/store';
import { useDeadLetterQueues } from '../lib/use-dead-letters';
import { AddQueueDialog } from './queue/AddQueueDialog';

interface ListState {
  filter: string;
  regex: boolean;
  deadLetterOnly: boolean;
  sort: SortState;
  page: number;
  pageSize: number;
}

const listState = persistedStore<ListState>('warren.queues', {
  filter: '',
  regex: false,
  deadLetterOnly: false,
  sort: { key: 'name', reverse: false },
  page: 1,
  pageSize: 50,
});

const escapeRegex = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Waits until typing pauses before the filter goes to the API. */
function useDebounced<T>(value: T, ms: number): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setSettled(value), ms);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return settled;
}

function rowClass(deadLetter: boolean, growing: boolean): string {
  return [deadLetter ? 'row-dlq' : '', growing ? 'row-growing' : ''].filter(Boolean).join(' ');
}

export function QueuesPage() {
  const vhost = useStore(selectedVhost);
  const state = useStore(listState);
  const update = (patch: Partial<ListState>) => listState.set({ ...listState.get(), ...patch });
  const filter = useDebounced(state.filter, 300);
  const [adding, setAdding] = useState(false);
  const deadLetters = useDeadLetterQueues(vhost);

  // "Dead-letter queues only" becomes a name regex, so the API still does the paging.
  const deadLetterNames = [...deadLetters.all.keys()].map((key) => key.split('\u0000')[1]!);
  const nameQuery = state.deadLetterOnly
    ? { name: deadLetterNames.length ? `^(${[...new Set(deadLetterNames)].map(escapeRegex).join('|')})$` : '^$', useRegex: true }
    : { name: filter, useRegex: state.regex };

  const { data, error, refresh } = usePoll(
    async (signal) => {
      const page = await queuesPage(vhost, { page: state.page, pageSize: state.pageSize, ...nameQuery, sort: state.sort.key, sortReverse: state.sort.reverse }, signal);
      recordDepths(page.items);
      return page;
    },
    [vhost, nameQuery.name, nameQuery.useRegex, state.sort.key, state.sort.reverse, state.page, state.pageSize],
  );

  // A filter that leaves fewer pages than the current one: go to the last.
  useEffect(() => {
    if (data && data.page_count > 0 && state.page > data.page_count) update({ page: data.page_count });
  }, [data?.page_count]);

  const sortProps = { sort: state.sort, onSort: (sort: SortState) => update({ sort, page: 1 }) };
  const items: Queue[] = data?.items ?? [];
  const visible = state.deadLetterOnly && filter ? items.filter((q) => q.name.toLowerCase().includes(filter.toLowerCase())) : items;

  return (
    <div class="page">
      <PageHeader
        title="Queues"
        subtitle={vhost === null ? 'All virtual hosts' : `Virtual host ${vhost}`}
        actions={
          <button class="button button-primary" onClick={() => setAdding(true)}>
            Add queue
          </button>
        }
      />
      <div class="toolbar">
        <FilterBox
          value={state.filter}
          onInput={(value) => update({ filter: value, page: 1 })}
          placeholder="Filter by name"
          regex={state.regex}
          onRegex={(regex) => update({ regex, page: 1 })}
        />
        <div class="segmented" role="group" aria-label="Which queues">
          <button class={state.deadLetterOnly ? '' : 'active'} onClick={() => update({ deadLetterOnly: false, page: 1 })}>
            All queues
          </button>
          <button class={state.deadLetterOnly ? 'active' : ''} onClick={() => update({ deadLetterOnly: true, page: 1 })}>
            Dead-letter queues <span class="count-pill">{deadLetters.all.size}</span>
          </button>
        </div>
      </div>
      <ErrorBox error={error} />
      <div class="card card-flush">
        {!data && !error ? (
          <Loading what="Loading queues" />
        ) : (
          <table class="table table-queues">
            <thead>
              <tr>
                <SortHeader label="Name" sortKey="name" {...sortProps} />
                {vhost === null && <SortHeader label="Vhost" sortKey="vhost" {...sortProps} />}
                <SortHeader label="Type" sortKey="type" {...sortProps} />
                <th>Features</th>
                <SortHeader label="State" sortKey="state" {...sortProps} />
                <SortHeader label="Consumers" sortKey="consumers" numeric {...sortProps} />
                <SortHeader label="Ready" sortKey="messages_ready" numeric {...sortProps} />
                <SortHeader label="Unacked" sortKey="messages_unacknowledged" numeric {...sortProps} />
                <SortHeader label="Total" sortKey="messages" numeric {...sortProps} />
                <SortHeader label="In" sortKey="message_stats.publish_details.rate" numeric title="Publish rate" {...sortProps} />
                <SortHeader label="Out" sortKey="message_stats.deliver_get_details.rate" numeric title="Deliver and get rate" {...sortProps} />
                <SortHeader label="Ack" sortKey="message_stats.ack_details.rate" numeric title="Ack rate" {...sortProps} />
              </tr>
            </thead>
            <tbody>
              {visible.map((q) => {
                const deadLetter = deadLetters.get(q);
                const growth = growthRate(q);
                return (
                  <tr key={queueKey(q.vhost, q.name)} class={rowClass(!!deadLetter, growth > 0)}>
                    <td>
                      <QueueNameCell queue={q} deadLetter={deadLetter} growth={growth} />
                    </td>
                    {vhost === null && <td class="muted">{q.vhost}</td>}
                    <td>{q.type ?? 'classic'}</td>
                    <td>
                      <FeatureFlags durable={q.durable} autoDelete={q.auto_delete} exclusive={q.exclusive} />
                      {q.arguments?.['x-dead-letter-exchange'] !== undefined && (
                        <Badge title={`Dead letters go to exchange "${String(q.arguments['x-dead-letter-exchange'])}"`}>DLX</Badge>
                      )}
                      {q.arguments?.['x-message-ttl'] !== undefined && <Badge title="Message TTL">TTL</Badge>}
                      {q.arguments?.['x-max-length'] !== undefined && <Badge title="Length limit">Lim</Badge>}
                      {q.policy && (
                        <Badge tone="accent" title="Policy">
                          {q.policy}
                        </Badge>
                      )}
                    </td>
                    <td>
                      <span class={`state state-${q.state ?? 'running'}`}>{q.state ?? 'running'}</span>
                    </td>
                    <td class="num" title={q.consumer_utilisation != null ? `utilisation ${percent(q.consumer_utilisation)}` : undefined}>
                      {count(q.consumers)}
                    </td>
                    <td class="num strong" data-col="ready">
                      {count(q.messages_ready)}
                    </td>
                    <td class="num">{count(q.messages_unacknowledged)}</td>
                    <td class="num">{count(q.messages)}</td>
                    <td class="num">{rate(detailRateOf(q.message_stats, 'publish'))}</td>
                    <td class="num">{rate(detailRateOf(q.message_stats, 'deliver_get'))}</td>
                    <td class="num">{rate(detailRateOf(q.message_stats, 'ack'))}</td>
                  </tr>
                );
              })}
              {visible.length === 0 && (
                <tr>
                  <td colSpan={12} class="empty">
                    {state.deadLetterOnly ? 'No dead-letter queues here.' : state.filter ? 'No queue matches the filter.' : 'No queues yet.'}
                  </td>
                </tr>
              )}
            </tbody>
          </table>
        )}
        {data && (
          <Pager
            page={data.page}
            pageCount={data.page_count}
            pageSize={state.pageSize}
            shown={data.item_count}
            total={data.filtered_count}
            unfiltered={data.total_count}
            onPage={(page) => update({ page })}
            onPageSize={(pageSize) => update({ pageSize, page: 1 })}
          />
        )}
      </div>
      <p class="legend muted">
        <Badge tone="dlq">DLQ</Badge> a dead-letter queue: another queue's x-dead-letter-exchange routes to it, or its name says so
        (*.dlq, *dead*). <Badge tone="warn">↑</Badge> its depth keeps rising.
      </p>
      {adding && (
        <AddQueueDialog
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
