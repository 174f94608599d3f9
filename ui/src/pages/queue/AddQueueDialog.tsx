// Declares a queue (PUT /api/queues/{vhost}/{name}) with RabbitMQ's optional x-arguments.
import { useState } from 'preact/hooks';
import { createQueue } from '../../api/endpoints';
import { Field, KeyValueEditor, Select, TextInput, entriesToObject, type TypedEntry, type ValueType } from '../../components/form';
import { Modal } from '../../components/Modal';
import { notify } from '../../components/notify';
import { ErrorBox } from '../../components/ui';
import { useStore } from '../../lib/store';
import { invalidateDeadLetters } from '../../lib/use-dead-letters';
import { vhostNames } from '../../lib/vhosts';

export const QUEUE_ARGUMENTS: Array<{ key: string; type: ValueType; label: string }> = [
  { key: 'x-message-ttl', type: 'number', label: 'Message TTL' },
  { key: 'x-expires', type: 'number', label: 'Auto expire' },
  { key: 'x-max-length', type: 'number', label: 'Max length' },
  { key: 'x-max-length-bytes', type: 'number', label: 'Max bytes' },
  { key: 'x-overflow', type: 'string', label: 'Overflow' },
  { key: 'x-dead-letter-exchange', type: 'string', label: 'Dead-letter exchange' },
  { key: 'x-dead-letter-routing-key', type: 'string', label: 'Dead-letter routing key' },
  { key: 'x-max-priority', type: 'number', label: 'Max priority' },
  { key: 'x-single-active-consumer', type: 'boolean', label: 'Single active consumer' },
  { key: 'x-delivery-limit', type: 'number', label: 'Delivery limit' },
];

export function AddQueueDialog({ vhost, onClose, onCreated }: { vhost: string | null; onClose: () => void; onCreated: () => void }) {
  const names = useStore(vhostNames);
  const [target, setTarget] = useState(vhost ?? names[0] ?? '/');
  const [name, setName] = useState('');
  const [type, setType] = useState<'classic' | 'quorum'>('classic');
  const [durable, setDurable] = useState(true);
  const [autoDelete, setAutoDelete] = useState(false);
  const [args, setArgs] = useState<TypedEntry[]>([]);
  const [error, setError] = useState<string | null>(null);

  async function submit(e: Event) {
    e.preventDefault();
    setError(null);
    try {
      const argumentsObject = entriesToObject(args);
      if (type !== 'classic') argumentsObject['x-queue-type'] = type;
      await createQueue(target, name, { durable: type === 'quorum' ? true : durable, auto_delete: autoDelete, arguments: argumentsObject });
      invalidateDeadLetters();
      notify(`Queue ${name} declared`);
      onCreated();
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  }

  return (
    <Modal title="Add queue" onClose={onClose} wide>
      <form onSubmit={submit} class="form">
        {error && <ErrorBox>{error}</ErrorBox>}
        <div class="form-row">
          <Field label="Virtual host">
            <Select value={target} options={names.length ? names : [target]} onChange={setTarget} />
          </Field>
          <Field label="Name">
            <TextInput value={name} onInput={setName} required autoFocus name="queue-name" />
          </Field>
          <Field label="Type">
            <Select value={type} options={['classic', 'quorum'] as const} onChange={setType} />
          </Field>
        </div>
        <div class="form-row">
          <label class="check">
            <input type="checkbox" checked={type === 'quorum' || durable} disabled={type === 'quorum'} onChange={(e) => setDurable((e.target as HTMLInputElement).checked)} /> Durable
          </label>
          <label class="check">
            <input type="checkbox" checked={autoDelete} onChange={(e) => setAutoDelete((e.target as HTMLInputElement).checked)} /> Auto-delete
          </label>
        </div>
        <Field label="Arguments" wide group>
          <KeyValueEditor entries={args} onChange={setArgs} suggestions={QUEUE_ARGUMENTS} keyPlaceholder="x-argument" />
        </Field>
        <div class="form-actions">
          <button type="button" class="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" class="button button-primary" disabled={!name}>
            Add queue
          </button>
        </div>
      </form>
    </Modal>
  );
}
