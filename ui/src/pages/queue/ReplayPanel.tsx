// Moves dead-lettered messages back where they came from, with Warren's POST …/replay: each message is
// republished to the exchange and routing keys of its first x-death entry (or to an explicit target) and
// acknowledged here only once routed. RabbitMQ has no such endpoint; the panel says so when it answers
// 404 or 405.
import { useState } from 'preact/hooks';
import { ApiError } from '../../api/client';
import { exchanges as fetchExchanges, getMessages, replayMessages } from '../../api/endpoints';
import { Field, Select, TextInput } from '../../components/form';
import { ErrorBox, Notice } from '../../components/ui';
import { firstDeath } from '../../lib/dead-letter';
import { count, exchangeLabel } from '../../lib/format';
import { overviewFeed } from '../../lib/overview-feed';
import { usePoll } from '../../lib/poll';
import { useStore } from '../../lib/store';

interface TargetGroup {
  exchange: string | null;
  routingKeys: string;
  messages: number;
}

/** The targets of the next few messages, by a peek that puts them back. */
async function peekTargets(vhost: string, name: string): Promise<TargetGroup[]> {
  const messages = await getMessages(vhost, name, 20, 'ack_requeue_true', 1);
  const groups = new Map<string, TargetGroup>();
  for (const m of messages) {
    const death = firstDeath(m);
    const exchange = death ? death.exchange ?? '' : null;
    const routingKeys = death ? (death['routing-keys'] ?? []).join(', ') : '';
    const key = `${exchange}\u0000${routingKeys}`;
    const group = groups.get(key) ?? { exchange, routingKeys, messages: 0 };
    group.messages++;
    groups.set(key, group);
  }
  return [...groups.values()];
}

export function ReplayPanel({ vhost, name, ready, onReplayed }: { vhost: string; name: string; ready: number; onReplayed: () => void }) {
  const feed = useStore(overviewFeed);
  const product = feed.overview?.product_name;
  const productLabel = product ? `${product} ${feed.overview?.product_version ?? ''}`.trim() : 'This broker';
  const [countText, setCountText] = useState(String(Math.min(Math.max(ready, 1), 1000)));
  const [mode, setMode] = useState<'original' | 'explicit'>('original');
  const [exchange, setExchange] = useState('');
  const [routingKey, setRoutingKey] = useState('');
  const [moved, setMoved] = useState<number | null>(null);
  const [unsupported, setUnsupported] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [targets, setTargets] = useState<TargetGroup[] | null>(null);
  const { data: exchangeList } = usePoll((signal) => fetchExchanges(vhost, signal), [vhost], 60_000);

  async function replay(e: Event) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    setMoved(null);
    try {
      const body = { count: Math.max(1, Number(countText) || 1), ...(mode === 'explicit' ? { exchange, routing_key: routingKey } : {}) };
      const result = await replayMessages(vhost, name, body);
      setMoved(result.moved);
      setTargets(null);
      onReplayed();
    } catch (err) {
      if (err instanceof ApiError && (err.status === 404 || err.status === 405)) setUnsupported(true);
      else setError(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  }

  async function peek() {
    setError(null);
    try {
      setTargets(await peekTargets(vhost, name));
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  }

  return (
    <div class="replay">
      <p class="muted replay-intro">
        Moves messages from this queue back to where they were dead-lettered from: each one is republished to the exchange and
        routing keys in its first <span class="mono">x-death</span> entry, and removed from here only after the broker routed it.
      </p>
      {unsupported && (
        <div class="alert alert-warn" data-testid="replay-unsupported">
          <strong>Replay needs Warren.</strong> {productLabel} has no replay endpoint (<span class="mono">POST …/replay</span> is not
          there), so dead letters cannot be moved back from this UI.
        </div>
      )}
      {!unsupported && product === 'RabbitMQ' && (
        <Notice>Replay is a Warren feature; {productLabel} is likely to refuse it.</Notice>
      )}
      {error && <ErrorBox>{error}</ErrorBox>}
      {moved !== null && (
        <div class="alert alert-ok" data-testid="replay-result">
          Moved {count(moved)} message{moved === 1 ? '' : 's'}.
        </div>
      )}
      <form class="form" onSubmit={replay}>
        <div class="form-row">
          <Field label="Messages" hint={`${count(ready)} ready`}>
            <input class="input input-narrow" type="number" min={1} name="replay-count" value={countText} onInput={(e) => setCountText((e.target as HTMLInputElement).value)} />
          </Field>
          <div class="field">
            <span class="field-label">Send them to</span>
            <label class="radio">
              <input type="radio" name="replay-target" checked={mode === 'original'} onChange={() => setMode('original')} /> where each came from (x-death)
            </label>
            <label class="radio">
              <input type="radio" name="replay-target" checked={mode === 'explicit'} onChange={() => setMode('explicit')} /> an exchange and routing key of my choosing
            </label>
          </div>
        </div>
        {mode === 'explicit' && (
          <div class="form-row">
            <Field label="Exchange">
              <Select
                value={exchange}
                options={(exchangeList ?? []).map((x) => ({ value: x.name, label: exchangeLabel(x.name) }))}
                onChange={setExchange}
              />
            </Field>
            <Field label="Routing key">
              <TextInput value={routingKey} onInput={setRoutingKey} name="replay-routing-key" />
            </Field>
          </div>
        )}
        <div class="form-actions">
          <button type="button" class="button" onClick={peek} title="Looks at the next 20 messages and puts them back">
            Preview targets
          </button>
          <button type="submit" class="button button-primary" disabled={busy || ready === 0}>
            {busy ? 'Replaying…' : `Replay ${count(Math.max(1, Number(countText) || 1))} message${Number(countText) === 1 ? '' : 's'}`}
          </button>
        </div>
      </form>
      {targets && (
        <table class="table table-compact">
          <thead>
            <tr>
              <th>Back to exchange</th>
              <th>Routing keys</th>
              <th class="num">Of the next 20</th>
            </tr>
          </thead>
          <tbody>
            {targets.map((t) => (
              <tr>
                <td class="mono">{t.exchange === null ? <span class="muted">no x-death: needs an explicit target</span> : exchangeLabel(t.exchange)}</td>
                <td class="mono">{t.routingKeys}</td>
                <td class="num">{t.messages}</td>
              </tr>
            ))}
            {targets.length === 0 && (
              <tr>
                <td colSpan={3} class="empty">
                  No ready messages.
                </td>
              </tr>
            )}
          </tbody>
        </table>
      )}
    </div>
  );
}
