// Declares an exchange (PUT /api/exchanges/{vhost}/{name}).
import { useState } from 'preact/hooks';
import { createExchange } from '../../api/endpoints';
import { Field, KeyValueEditor, Select, TextInput, entriesToObject, type TypedEntry } from '../../components/form';
import { Modal } from '../../components/Modal';
import { notify } from '../../components/notify';
import { ErrorBox } from '../../components/ui';
import { overviewFeed } from '../../lib/overview-feed';
import { useStore } from '../../lib/store';
import { vhostNames } from '../../lib/vhosts';

export function AddExchangeDialog({ vhost, onClose, onCreated }: { vhost: string | null; onClose: () => void; onCreated: () => void }) {
  const names = useStore(vhostNames);
  const feed = useStore(overviewFeed);
  const types = feed.overview?.exchange_types?.map((t) => t.name) ?? ['direct', 'fanout', 'topic', 'headers'];
  const [target, setTarget] = useState(vhost ?? names[0] ?? '/');
  const [name, setName] = useState('');
  const [type, setType] = useState('direct');
  const [durable, setDurable] = useState(true);
  const [autoDelete, setAutoDelete] = useState(false);
  const [internal, setInternal] = useState(false);
  const [args, setArgs] = useState<TypedEntry[]>([]);
  const [error, setError] = useState<string | null>(null);

  async function submit(e: Event) {
    e.preventDefault();
    setError(null);
    try {
      await createExchange(target, name, { type, durable, auto_delete: autoDelete, internal, arguments: entriesToObject(args) });
      notify(`Exchange ${name} declared`);
      onCreated();
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  }

  return (
    <Modal title="Add exchange" onClose={onClose} wide>
      <form onSubmit={submit} class="form">
        {error && <ErrorBox>{error}</ErrorBox>}
        <div class="form-row">
          <Field label="Virtual host">
            <Select value={target} options={names.length ? names : [target]} onChange={setTarget} />
          </Field>
          <Field label="Name">
            <TextInput value={name} onInput={setName} required autoFocus />
          </Field>
          <Field label="Type">
            <Select value={type} options={types} onChange={setType} />
          </Field>
        </div>
        <div class="form-row">
          <label class="check">
            <input type="checkbox" checked={durable} onChange={(e) => setDurable((e.target as HTMLInputElement).checked)} /> Durable
          </label>
          <label class="check">
            <input type="checkbox" checked={autoDelete} onChange={(e) => setAutoDelete((e.target as HTMLInputElement).checked)} /> Auto-delete
          </label>
          <label class="check">
            <input type="checkbox" checked={internal} onChange={(e) => setInternal((e.target as HTMLInputElement).checked)} /> Internal
          </label>
        </div>
        <Field label="Arguments" wide group>
          <KeyValueEditor entries={args} onChange={setArgs} suggestions={[{ key: 'alternate-exchange', type: 'string', label: 'Alternate exchange' }]} />
        </Field>
        <div class="form-actions">
          <button type="button" class="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" class="button button-primary" disabled={!name}>
            Add exchange
          </button>
        </div>
      </form>
    </Modal>
  );
}
