// Virtual hosts: list with their message totals, add, delete.
import { useState } from 'preact/hooks';
import { deleteVhost, saveVhost, vhosts as fetchVhosts } from '../../api/endpoints';
import type { Vhost } from '../../api/types';
import { Field, TextInput } from '../../components/form';
import { Confirm, Modal } from '../../components/Modal';
import { notify } from '../../components/notify';
import { Card, ErrorBox, Loading } from '../../components/ui';
import { count, rate, tagList } from '../../lib/format';
import { usePoll } from '../../lib/poll';
import { detailRateOf } from '../../lib/stats';
import { reloadVhosts } from '../../lib/vhosts';

function AddVhostDialog({ onClose, onSaved }: { onClose: () => void; onSaved: () => void }) {
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [tags, setTags] = useState('');
  const [error, setError] = useState<string | null>(null);
  return (
    <Modal title="Add virtual host" onClose={onClose}>
      <form
        class="form"
        onSubmit={async (e) => {
          e.preventDefault();
          try {
            await saveVhost(name, { description, tags });
            notify(`Added vhost ${name}`);
            onSaved();
          } catch (err) {
            setError(err instanceof Error ? err.message : String(err));
          }
        }}
      >
        {error && <ErrorBox>{error}</ErrorBox>}
        <Field label="Name">
          <TextInput value={name} onInput={setName} required autoFocus />
        </Field>
        <Field label="Description">
          <TextInput value={description} onInput={setDescription} />
        </Field>
        <Field label="Tags" hint="comma-separated">
          <TextInput value={tags} onInput={setTags} />
        </Field>
        <div class="form-actions">
          <button type="button" class="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" class="button button-primary" disabled={!name}>
            Add virtual host
          </button>
        </div>
      </form>
    </Modal>
  );
}

export function VhostsTab() {
  const { data, error, refresh } = usePoll((signal) => fetchVhosts(signal), []);
  const [adding, setAdding] = useState(false);
  const [deleting, setDeleting] = useState<Vhost | null>(null);
  const changed = () => {
    refresh();
    void reloadVhosts();
  };
  return (
    <Card
      title="Virtual hosts"
      actions={
        <button class="button button-primary" onClick={() => setAdding(true)}>
          Add virtual host
        </button>
      }
    >
      <ErrorBox error={error} />
      {!data ? (
        !error && <Loading />
      ) : (
        <table class="table">
          <thead>
            <tr>
              <th>Name</th>
              <th>Description</th>
              <th class="num">Ready</th>
              <th class="num">Unacked</th>
              <th class="num">Publish</th>
              <th class="num">Deliver</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {data.map((v) => (
              <tr>
                <td class="strong">{v.name}</td>
                <td>
                  {v.description || <span class="muted">–</span>}
                  {tagList(v.tags).length > 0 && <span class="muted"> · {tagList(v.tags).join(', ')}</span>}
                </td>
                <td class="num">{count(v.messages_ready)}</td>
                <td class="num">{count(v.messages_unacknowledged)}</td>
                <td class="num">{rate(detailRateOf(v.message_stats, 'publish'))}</td>
                <td class="num">{rate(detailRateOf(v.message_stats, 'deliver_get'))}</td>
                <td class="actions">
                  <button class="button button-small button-danger-ghost" onClick={() => setDeleting(v)}>
                    Delete
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {adding && (
        <AddVhostDialog
          onClose={() => setAdding(false)}
          onSaved={() => {
            setAdding(false);
            changed();
          }}
        />
      )}
      {deleting && (
        <Confirm
          title="Delete virtual host"
          message={
            <>
              Delete <strong>{deleting.name}</strong> with all its exchanges, queues, messages and permissions? Its connections are closed.
            </>
          }
          confirmLabel="Delete virtual host"
          danger
          onConfirm={async () => {
            await deleteVhost(deleting.name);
            notify(`Deleted vhost ${deleting.name}`);
            changed();
          }}
          onClose={() => setDeleting(null)}
        />
      )}
    </Card>
  );
}
