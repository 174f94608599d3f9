// One fetched message: where it came from (and, for a dead letter, where it died), its properties and
// headers, and its body pretty-printed.
import type { DeathEntry, FetchedMessage, MessageProperties } from '../../api/types';
import { JsonBlock, PayloadView, decodePayload } from '../../components/JsonView';
import { notify } from '../../components/notify';
import { Badge } from '../../components/ui';
import { bytes, dateTime, exchangeLabel } from '../../lib/format';
import { firstDeath } from '../../lib/dead-letter';

function DeathSummary({ death, total }: { death: DeathEntry; total: number }) {
  return (
    <div class="death">
      <Badge tone="dlq">dead-lettered</Badge>
      <span>
        <strong>{death.reason ?? 'unknown reason'}</strong> in queue <span class="mono">{death.queue ?? '?'}</span>
        {death.count !== undefined && death.count > 1 && <> ({death.count}×)</>}; it had been published to{' '}
        <span class="mono">{exchangeLabel(death.exchange ?? '')}</span> with routing key
        {(death['routing-keys']?.length ?? 0) > 1 ? 's' : ''}{' '}
        <span class="mono">{(death['routing-keys'] ?? []).join(', ') || '""'}</span>
        {death.time !== undefined && <span class="muted"> · {dateTime(death.time * 1000)}</span>}
        {total > 1 && <span class="muted"> · {total} x-death entries</span>}
      </span>
    </div>
  );
}

export function MessageCard({ message, index }: { message: FetchedMessage; index: number }) {
  const properties = (Array.isArray(message.properties) ? {} : message.properties) as MessageProperties;
  const { headers, ...rest } = properties;
  const death = firstDeath(message);
  const deaths = Array.isArray(headers?.['x-death']) ? (headers!['x-death'] as unknown[]).length : 0;
  const copy = async () => {
    await navigator.clipboard.writeText(decodePayload(message.payload, message.payload_encoding).text);
    notify('Payload copied');
  };
  return (
    <article class="message" data-testid="message">
      <header class="message-head">
        <span class="message-index">#{index + 1}</span>
        <span>
          exchange <span class="mono">{exchangeLabel(message.exchange)}</span>
        </span>
        <span>
          routing key <span class="mono">{message.routing_key || '""'}</span>
        </span>
        <span class="muted">{bytes(message.payload_bytes)}</span>
        {message.redelivered && <Badge tone="warn">redelivered</Badge>}
        <span class="spacer" />
        <button class="button button-small button-ghost" onClick={copy}>
          Copy payload
        </button>
      </header>
      {death && <DeathSummary death={death} total={deaths} />}
      <div class="message-body">
        <div class="message-meta">
          <h4>Properties</h4>
          {Object.keys(rest).length ? (
            <dl class="arg-list">
              {Object.entries(rest).map(([key, value]) => (
                <>
                  <dt>{key}</dt>
                  <dd>{key === 'timestamp' && typeof value === 'number' ? dateTime(value * 1000) : String(value)}</dd>
                </>
              ))}
            </dl>
          ) : (
            <span class="muted">none</span>
          )}
          {headers && Object.keys(headers).length > 0 && (
            // A dead letter's headers are mostly x-death, summarised above: folded until asked for.
            <details class="headers" open={!death}>
              <summary>Headers ({Object.keys(headers).length})</summary>
              <JsonBlock value={headers} />
            </details>
          )}
        </div>
        <div class="message-payload">
          <h4>Payload</h4>
          <PayloadView payload={message.payload} encoding={message.payload_encoding} />
        </div>
      </div>
    </article>
  );
}
