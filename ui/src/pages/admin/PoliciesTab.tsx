// Policies: list, add, edit, delete. A policy applies its definition to the queues or exchanges of a vhost
// whose names match its pattern.
import { useState } from 'preact/hooks';
import { deletePolicy, policies as fetchPolicies, savePolicy } from '../../api/endpoints';
import type { Policy } from '../../api/types';
import { Field, KeyValueEditor, Select, TextInput, entriesToObject, objectToEntries, type TypedEntry, type ValueType } from '../../components/form';
import { Confirm, Modal } from '../../components/Modal';
import { notify } from '../../components/notify';
import { ArgumentList, Card, ErrorBox, Loading } from '../../components/ui';
import { usePoll } from '../../lib/poll';
import { selectedVhost } from '../../lib/settings';
import { useStore } from '../../lib/store';
import { vhostNames } from '../../lib/vhosts';

const POLICY_KEYS: Array<{ key: string; type: ValueType; label?: string }> = [
  { key: 'message-ttl', type: 'number' },
  { key: 'expires', type: 'number' },
  { key: 'max-length', type: 'number' },
  { key: 'max-length-bytes', type: 'number' },
  { key: 'overflow', type: 'string' },
  { key: 'dead-letter-exchange', type: 'string' },
  { key: 'dead-letter-routing-key', type: 'string' },
  { key: 'delivery-limit', type: 'number' },
  { key: 'alternate-exchange', type: 'string' },
];

const APPLY_TO = ['queues', 'exchanges', 'all', 'classic_queues', 'quorum_queues'] as const;

function PolicyDialog({ policy, onClose, onSaved }: { policy: Policy | null; onClose: () => void; onSaved: () => void }) {
  const names = useStore(vhostNames);
  const chosen = useStore(selectedVhost);
  const [vhost, setVhost] = useState(policy?.vhost ?? chosen ?? names[0] ?? '/');
  const [name, setName] = useState(policy?.name ?? '');
  const [pattern, setPattern] = useState(policy?.pattern ?? '');
  const [applyTo, setApplyTo] = useState(policy?.['apply-to'] ?? 'queues');
  const [priority, setPriority] = useState(String(policy?.priority ?? 0));
  const [definition, setDefinition] = useState<TypedEntry[]>(objectToEntries(policy?.definition));
  const [error, setError] = useState<string | null>(null);

  async function submit(e: Event) {
    e.preventDefault();
    setError(null);
    try {
      const body = entriesToObject(definition);
      if (Object.keys(body).length === 0) throw new Error('A policy needs at least one definition key');
      await savePolicy({ vhost, name, pattern, 'apply-to': applyTo, priority: Number(priority) || 0, definition: body });
      notify(policy ? `Updated policy ${name}` : `Added policy ${name}`);
      onSaved();
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  }

  return (
    <Modal title={policy ? `Edit policy ${policy.name}` : 'Add policy'} onClose={onClose} wide>
      <form class="form" onSubmit={submit}>
        {error && <ErrorBox>{error}</ErrorBox>}
        <div class="form-row">
          <Field label="Virtual host">
            <Select value={vhost} options={names.length ? names : [vhost]} onChange={setVhost} />
          </Field>
          <Field label="Name">
            {policy ? <input class="input" value={name} disabled /> : <TextInput value={name} onInput={setName} required autoFocus />}
          </Field>
        </div>
        <div class="form-row">
          <Field label="Pattern" hint="A regular expression matched against names, e.g. ^orders\.">
            <TextInput value={pattern} onInput={setPattern} required />
          </Field>
          <Field label="Apply to">
            <Select value={applyTo} options={APPLY_TO} onChange={setApplyTo} />
          </Field>
          <Field label="Priority">
            <input class="input input-narrow" type="number" value={priority} onInput={(e) => setPriority((e.target as HTMLInputElement).value)} />
          </Field>
        </div>
        <Field label="Definition" wide group>
          <KeyValueEditor entries={definition} onChange={setDefinition} suggestions={POLICY_KEYS} />
        </Field>
        <div class="form-actions">
          <button type="button" class="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" class="button button-primary" disabled={!name || !pattern}>
            {policy ? 'Save policy' : 'Add policy'}
          </button>
        </div>
      </form>
    </Modal>
  );
}

export function PoliciesTab() {
  const vhost = useStore(selectedVhost);
  const { data, error, refresh } = usePoll((signal) => fetchPolicies(signal), []);
  const [editing, setEditing] = useState<Policy | 'new' | null>(null);
  const [deleting, setDeleting] = useState<Policy | null>(null);
  const shown = (data ?? []).filter((p) => vhost === null || p.vhost === vhost);

  return (
    <Card
      title="Policies"
      actions={
        <button class="button button-primary" onClick={() => setEditing('new')}>
          Add policy
        </button>
      }
    >
      <ErrorBox error={error} />
      {!data ? (
        !error && <Loading />
      ) : shown.length === 0 ? (
        <div class="empty">No policies{vhost !== null ? ` in ${vhost}` : ''}.</div>
      ) : (
        <table class="table">
          <thead>
            <tr>
              <th>Name</th>
              <th>Vhost</th>
              <th>Pattern</th>
              <th>Applies to</th>
              <th class="num">Priority</th>
              <th>Definition</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {shown.map((p) => (
              <tr>
                <td class="strong">{p.name}</td>
                <td>{p.vhost}</td>
                <td class="mono">{p.pattern}</td>
                <td>{p['apply-to']}</td>
                <td class="num">{p.priority}</td>
                <td>
                  <ArgumentList args={p.definition} />
                </td>
                <td class="actions">
                  <button class="button button-small" onClick={() => setEditing(p)}>
                    Edit
                  </button>
                  <button class="button button-small button-danger-ghost" onClick={() => setDeleting(p)}>
                    Delete
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {editing && (
        <PolicyDialog
          policy={editing === 'new' ? null : editing}
          onClose={() => setEditing(null)}
          onSaved={() => {
            setEditing(null);
            refresh();
          }}
        />
      )}
      {deleting && (
        <Confirm
          title="Delete policy"
          message={
            <>
              Delete policy <strong>{deleting.name}</strong> from {deleting.vhost}? What it set stops applying at once.
            </>
          }
          confirmLabel="Delete policy"
          danger
          onConfirm={async () => {
            await deletePolicy(deleting.vhost, deleting.name);
            notify(`Deleted policy ${deleting.name}`);
            refresh();
          }}
          onClose={() => setDeleting(null)}
        />
      )}
    </Card>
  );
}
