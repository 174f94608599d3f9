// Fetches messages from the queue (POST …/get) and shows them; by default they go back to the queue.
import { useState } from 'preact/hooks';
import { getMessages, type AckMode } from '../../api/endpoints';
import type { FetchedMessage } from '../../api/types';
import { Field, Select } from '../../components/form';
import { ErrorBox, Notice } from '../../components/ui';
import { MessageCard } from './MessageCard';

const MODES: Array<{ value: AckMode; label: string }> = [
  { value: 'ack_requeue_true', label: 'Peek — put them back (requeue)' },
  { value: 'ack_requeue_false', label: 'Take — remove them (ack)' },
  { value: 'reject_requeue_true', label: 'Reject, requeue' },
  { value: 'reject_requeue_false', label: 'Reject — dead-letter or drop' },
];

export function GetMessagesPanel({ vhost, name, onChanged }: { vhost: string; name: string; onChanged: () => void }) {
  const [countText, setCountText] = useState('5');
  const [mode, setMode] = useState<AckMode>('ack_requeue_true');
  const [truncate, setTruncate] = useState('50000');
  const [messages, setMessages] = useState<FetchedMessage[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function fetchNow(e: Event) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const limit = Number(truncate);
      setMessages(await getMessages(vhost, name, Math.max(1, Number(countText) || 1), mode, limit > 0 ? limit : undefined));
      onChanged();
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <div>
      <form class="form-inline" onSubmit={fetchNow}>
        <Field label="Messages">
          <input class="input input-narrow" type="number" min={1} value={countText} onInput={(e) => setCountText((e.target as HTMLInputElement).value)} name="get-count" />
        </Field>
        <Field label="Then">
          <Select value={mode} options={MODES} onChange={setMode} name="get-mode" />
        </Field>
        <Field label="Truncate at (bytes)">
          <input class="input input-narrow" type="number" min={0} value={truncate} onInput={(e) => setTruncate((e.target as HTMLInputElement).value)} />
        </Field>
        <button class="button button-primary" type="submit" disabled={busy}>
          {busy ? 'Getting…' : 'Get messages'}
        </button>
      </form>
      {mode !== 'ack_requeue_true' && mode !== 'reject_requeue_true' && (
        <Notice tone="warn">These messages will leave the queue.</Notice>
      )}
      {error && <ErrorBox>{error}</ErrorBox>}
      {messages && messages.length === 0 && <div class="empty">The queue has no ready messages.</div>}
      {messages && messages.length > 0 && (
        <div class="messages">
          {messages.map((m, i) => (
            <MessageCard message={m} index={i} />
          ))}
        </div>
      )}
    </div>
  );
}
