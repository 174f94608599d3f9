// Channels of every connection: mode, prefetch, unacknowledged messages and rates.
import { channels as fetchChannels, connections as fetchConnections } from '../api/endpoints';
import type { Channel } from '../api/types';
import { EmptyRow, FilterBox, Pager, SortHeader, useBrowserListing } from '../components/table';
import { Badge, ErrorBox, Loading, PageHeader } from '../components/ui';
import { count, rate } from '../lib/format';
import { usePoll } from '../lib/poll';
import { selectedVhost } from '../lib/settings';
import { detailRateOf } from '../lib/stats';
import { useStore } from '../lib/store';

function sortValue(c: Channel, key: string): unknown {
  if (key.startsWith('rate:')) return detailRateOf(c.message_stats, key.slice(5)) ?? 0;
  return (c as unknown as Record<string, unknown>)[key];
}

export function ChannelsPage() {
  const vhost = useStore(selectedVhost);
  const { data, error } = usePoll((signal) => fetchChannels(vhost, signal), [vhost]);
  // Connection names as clients gave them, to say whose channel each is.
  const { data: connections } = usePoll((signal) => fetchConnections(vhost, signal), [vhost], 30_000);
  const clientName = new Map((connections ?? []).map((c) => [c.name, c.user_provided_name ?? c.client_properties?.connection_name]));
  const listing = useBrowserListing(data, (c, needle) => [c.name, c.user].some((v) => v?.toLowerCase().includes(needle)), sortValue);
  const { sortProps } = listing;

  return (
    <div class="page">
      <PageHeader title="Channels" subtitle={vhost === null ? 'All virtual hosts' : `Virtual host ${vhost}`} />
      <div class="toolbar">
        <FilterBox {...listing.filterProps} placeholder="Filter by name or user" />
      </div>
      <ErrorBox error={error} />
      <div class="card card-flush">
        {!data && !error ? (
          <Loading what="Loading channels" />
        ) : (
          <table class="table">
            <thead>
              <tr>
                <SortHeader label="Channel" sortKey="name" {...sortProps} />
                <SortHeader label="User" sortKey="user" {...sortProps} />
                {vhost === null && <SortHeader label="Vhost" sortKey="vhost" {...sortProps} />}
                <th>Mode</th>
                <SortHeader label="State" sortKey="state" {...sortProps} />
                <SortHeader label="Prefetch" sortKey="prefetch_count" numeric {...sortProps} />
                <SortHeader label="Consumers" sortKey="consumer_count" numeric {...sortProps} />
                <SortHeader label="Unacked" sortKey="messages_unacknowledged" numeric {...sortProps} />
                <SortHeader label="Unconfirmed" sortKey="messages_unconfirmed" numeric {...sortProps} />
                <SortHeader label="Publish" sortKey="rate:publish" numeric {...sortProps} />
                <SortHeader label="Deliver" sortKey="rate:deliver_get" numeric {...sortProps} />
                <SortHeader label="Ack" sortKey="rate:ack" numeric {...sortProps} />
              </tr>
            </thead>
            <tbody>
              {listing.rows.map((c) => (
                <tr>
                  <td>
                    {clientName.get(c.connection_details?.name ?? '') ? (
                      <>
                        <div class="strong">
                          {clientName.get(c.connection_details?.name ?? '')} <span class="muted">#{c.number}</span>
                        </div>
                        <div class="muted small mono">{c.name}</div>
                      </>
                    ) : (
                      <span class="mono small">{c.name}</span>
                    )}
                  </td>
                  <td>{c.user}</td>
                  {vhost === null && <td class="muted">{c.vhost}</td>}
                  <td>
                    {c.confirm && <Badge title="publisher confirms">confirm</Badge>}
                    {c.transactional && <Badge title="transactional">tx</Badge>}
                  </td>
                  <td>
                    <span class={`state state-${c.state ?? 'running'}`}>{c.state ?? 'running'}</span>
                  </td>
                  <td class="num">
                    {count(c.prefetch_count)}
                    {c.global_prefetch_count ? <span class="muted"> / {c.global_prefetch_count} global</span> : null}
                  </td>
                  <td class="num">{count(c.consumer_count)}</td>
                  <td class="num">{count(c.messages_unacknowledged)}</td>
                  <td class="num">{count(c.messages_unconfirmed)}</td>
                  <td class="num">{rate(detailRateOf(c.message_stats, 'publish'))}</td>
                  <td class="num">{rate(detailRateOf(c.message_stats, 'deliver_get'))}</td>
                  <td class="num">{rate(detailRateOf(c.message_stats, 'ack'))}</td>
                </tr>
              ))}
              {listing.rows.length === 0 && <EmptyRow colSpan={12}>{listing.needle ? 'No channel matches.' : 'No channels are open.'}</EmptyRow>}
            </tbody>
          </table>
        )}
        {data && <Pager {...listing.pagerProps} />}
      </div>
    </div>
  );
}
