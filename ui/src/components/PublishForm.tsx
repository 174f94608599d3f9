// Publishes one message through an exchange (POST /api/exchanges/{vhost}/{name}/publish).
import { useState } from 'preact/hooks';
import { publish } from '../api/endpoints';
import type { MessageProperties } from '../api/types';
import { Field, KeyValueEditor, TextInput, entriesToObject, type TypedEntry } from './form';
import { notify } from './notify';
import { ErrorBox } from './ui';

interface Props {
  vhost: string;
  exchange: string;
  routingKey: string;
  /** false when publishing to a queue: the routing key is its name */
  routingKeyEditable: boolean;
  onPublished?: () => void;
}

const PROPERTY_FIELDS: Array<{ key: keyof MessageProperties; label: string; numeric?: boolean }> = [
  { key: 'correlation_id', label: 'Correlation id' },
  { key: 'message_id', label: 'Message id' },
  { key: 'reply_to', label: 'Reply to' },
  { key: 'expiration', label: 'Expiration (ms)' },
  { key: 'priority', label: 'Priority', numeric: true },
  { key: 'type', label: 'Type' },
  { key: 'app_id', label: 'App id' },
];

export function PublishForm({ vhost, exchange, routingKey: initialKey, routingKeyEditable, onPublished }: Props) {
  const [routingKey, setRoutingKey] = useState(initialKey);
  const [persistent, setPersistent] = useState(true);
  const [contentType, setContentType] = useState('application/json');
  const [headers, setHeaders] = useState<TypedEntry[]>([]);
  const [props, setProps] = useState<Record<string, string>>({});
  const [showMore, setShowMore] = useState(false);
  const [payload, setPayload] = useState('{\n  \n}');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  function formatJson() {
    try {
      setPayload(JSON.stringify(JSON.parse(payload), null, 2));
      setError(null);
    } catch {
      setError('The payload is not valid JSON');
    }
  }

  async function submit(e: Event) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const properties: MessageProperties = { delivery_mode: persistent ? 2 : 1 };
      if (contentType) properties.content_type = contentType;
      const headerObject = entriesToObject(headers);
      if (Object.keys(headerObject).length) properties.headers = headerObject;
      for (const field of PROPERTY_FIELDS) {
        const value = props[field.key]?.trim();
        if (value) (properties as Record<string, unknown>)[field.key] = field.numeric ? Number(value) : value;
      }
      const result = await publish(vhost, exchange, { routing_key: routingKey, payload, payload_encoding: 'string', properties });
      if (result.routed) notify('Message published');
      else notify('Published, but no queue was bound to take it (not routed)', 'error');
      onPublished?.();
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form class="form" onSubmit={submit}>
      {error && <ErrorBox>{error}</ErrorBox>}
      <div class="form-row">
        <Field label="Routing key" hint={routingKeyEditable ? undefined : 'Published through the default exchange, so it goes straight to this queue.'}>
          {routingKeyEditable ? <TextInput value={routingKey} onInput={setRoutingKey} name="routing-key" /> : <input class="input" value={routingKey} disabled />}
        </Field>
        <Field label="Content type">
          <TextInput value={contentType} onInput={setContentType} placeholder="application/json" />
        </Field>
        <label class="check check-aligned">
          <input type="checkbox" checked={persistent} onChange={(e) => setPersistent((e.target as HTMLInputElement).checked)} /> Persistent
        </label>
      </div>
      <Field label="Headers" wide group>
        <KeyValueEditor entries={headers} onChange={setHeaders} keyPlaceholder="header" />
      </Field>
      <button type="button" class="link-button" onClick={() => setShowMore(!showMore)}>
        {showMore ? '− Fewer properties' : '+ More properties'}
      </button>
      {showMore && (
        <div class="form-grid">
          {PROPERTY_FIELDS.map((field) => (
            <Field label={field.label}>
              <TextInput value={props[field.key] ?? ''} onInput={(v) => setProps({ ...props, [field.key]: v })} type={field.numeric ? 'number' : 'text'} />
            </Field>
          ))}
        </div>
      )}
      <Field label="Payload" wide>
        <textarea class="input code-input" rows={8} value={payload} name="payload" spellcheck={false} onInput={(e) => setPayload((e.target as HTMLTextAreaElement).value)} />
      </Field>
      <div class="form-actions">
        <button type="button" class="button" onClick={formatJson}>
          Format JSON
        </button>
        <button type="submit" class="button button-primary" disabled={busy}>
          {busy ? 'Publishing…' : 'Publish message'}
        </button>
      </div>
    </form>
  );
}
