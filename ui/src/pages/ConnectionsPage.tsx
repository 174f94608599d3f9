// Client connections, with a way to close one (DELETE /api/connections/{name}, reason in X-Reason).
import { useState } from 'preact/hooks';
import { closeConnection, connections as fetchConnections } from '../api/endpoints';
import type { Connection } from '../api/types';
import { Field, TextInput } from '../components/form';
import { Modal } from '../components/Modal';
import { notify, notifyError } from '../components/notify';
import { EmptyRow, FilterBox, Pager, SortHeader, useBrowserListing } from '../components/table';
import { Badge, ErrorBox, Loading, PageHeader } from '../components/ui';
import { ago, bytes, count } from '../lib/format';
import { usePoll } from '../lib/poll';
import { selectedVhost } from '../lib/settings';
import { useStore } from '../lib/store';

function sortValue(c: Connection, key: string): unknown {
  switch (key) {
    case 'client':
      return `${c.client_properties?.product ?? ''} ${c.client_properties?.version ?? ''}`;
    case 'recv':
      return c.recv_oct_details?.rate ?? 0;
    case 'send':
      return c.send_oct_details?.rate ?? 0;
    default:
      return (c as unknown as Record<string, unknown>)[key];
  }
}

/** The name the client gave its connection, else the broker's (its addresses). */
const displayName = (c: Connection) => c.user_provided_name ?? c.client_properties?.connection_name ?? c.name;

function CloseDialog({ connection, onClose, onClosed }: { connection: Connection; onClose: () => void; onClosed: () => void }) {
  const [reason, setReason] = useState('Closed from the management UI');
  const [busy, setBusy] = useState(false);
  return (
    <Modal title="Close connection" onClose={onClose}>
      <form
        class="form"
        onSubmit={async (e) => {
          e.preventDefault();
          setBusy(true);
          try {
            await closeConnection(connection.name, reason);
            notify('Connection closed');
            onClosed();
          } catch (err) {
            notifyError(err);
            setBusy(false);
          }
        }}
      >
        <p>
          Close <strong>{displayName(connection)}</strong> ({connection.user ?? '?'} from {connection.peer_host}:
          {connection.peer_port})? The client is told why with connection.close 320.
        </p>
        <Field label="Reason the client sees" wide>
          <TextInput value={reason} onInput={setReason} autoFocus />
        </Field>
        <div class="form-actions">
          <button type="button" class="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" class="button button-danger" disabled={busy}>
            Close connection
          </button>
        </div>
      </form>
    </Modal>
  );
}

export function ConnectionsPage() {
  const vhost = useStore(selectedVhost);
  const { data, error, refresh } = usePoll((signal) => fetchConnections(vhost, signal), [vhost]);
  const [closing, setClosing] = useState<Connection | null>(null);
  const listing = useBrowserListing(
    data,
    (c, needle) => [c.name, c.user_provided_name, c.user, c.client_properties?.product].some((v) => v?.toLowerCase().includes(needle)),
    sortValue,
  );
  const { sortProps } = listing;

  return (
    <div class="page">
      <PageHeader title="Connections" subtitle={vhost === null ? 'All virtual hosts' : `Virtual host ${vhost}`} />
      <div class="toolbar">
        <FilterBox {...listing.filterProps} placeholder="Filter by name, user or client" />
      </div>
      <ErrorBox error={error} />
      <div class="card card-flush">
        {!data && !error ? (
          <Loading what="Loading connections" />
        ) : (
          <table class="table">
            <thead>
              <tr>
                <SortHeader label="Connection" sortKey="name" {...sortProps} />
                <SortHeader label="User" sortKey="user" {...sortProps} />
                {vhost === null && <SortHeader label="Vhost" sortKey="vhost" {...sortProps} />}
                <SortHeader label="Client" sortKey="client" {...sortProps} />
                <SortHeader label="State" sortKey="state" {...sortProps} />
                <SortHeader label="Channels" sortKey="channels" numeric {...sortProps} />
                <SortHeader label="From client" sortKey="recv" numeric {...sortProps} />
                <SortHeader label="To client" sortKey="send" numeric {...sortProps} />
                <SortHeader label="Connected" sortKey="connected_at" numeric {...sortProps} />
                <th />
              </tr>
            </thead>
            <tbody>
              {listing.rows.map((c) => (
                <tr>
                  <td>
                    <div class="strong">{displayName(c)}</div>
                    {(c.user_provided_name || c.client_properties?.connection_name) && <div class="muted small mono">{c.name}</div>}
                  </td>
                  <td>{c.user}</td>
                  {vhost === null && <td class="muted">{c.vhost}</td>}
                  <td>
                    {c.client_properties?.product ?? '–'} <span class="muted">{c.client_properties?.version ?? ''}</span>
                    <div class="muted small">
                      {c.protocol}
                      {c.ssl && (
                        <>
                          {' '}
                          <Badge tone="ok">TLS</Badge>
                        </>
                      )}
                    </div>
                  </td>
                  <td>
                    <span class={`state state-${c.state ?? 'running'}`}>{c.state ?? 'running'}</span>
                  </td>
                  <td class="num">{count(c.channels)}</td>
                  <td class="num">{c.recv_oct_details ? `${bytes(c.recv_oct_details.rate)}/s` : bytes(c.recv_oct)}</td>
                  <td class="num">{c.send_oct_details ? `${bytes(c.send_oct_details.rate)}/s` : bytes(c.send_oct)}</td>
                  <td class="num muted">{ago(c.connected_at)}</td>
                  <td class="actions">
                    <button class="button button-small button-danger-ghost" onClick={() => setClosing(c)}>
                      Close
                    </button>
                  </td>
                </tr>
              ))}
              {listing.rows.length === 0 && <EmptyRow colSpan={10}>{listing.needle ? 'No connection matches.' : 'No client is connected.'}</EmptyRow>}
            </tbody>
          </table>
        )}
        {data && <Pager {...listing.pagerProps} />}
      </div>
      {closing && (
        <CloseDialog
          connection={closing}
          onClose={() => setClosing(null)}
          onClosed={() => {
            setClosing(null);
            refresh();
          }}
        />
      )}
    </div>
  );
}
