// The bindings that route to a queue, with unbind and a form to bind it to another exchange.
import { useState } from 'preact/hooks';
import { bind, exchanges as fetchExchanges, queueBindings, unbind } from '../../api/endpoints';
import { Select, TextInput } from '../../components/form';
import { notify, notifyError } from '../../components/notify';
import { ArgumentList, Card, ErrorBox, Loading } from '../../components/ui';
import { exchangeLabel } from '../../lib/format';
import { usePoll } from '../../lib/poll';
import { href } from '../../lib/router';
import { invalidateDeadLetters } from '../../lib/use-dead-letters';

export function BindingsCard({ vhost, name }: { vhost: string; name: string }) {
  const { data, error, refresh } = usePoll((signal) => queueBindings(vhost, name, signal), [vhost, name]);
  const { data: exchangeList } = usePoll((signal) => fetchExchanges(vhost, signal), [vhost], 60_000);
  const [source, setSource] = useState('');
  const [routingKey, setRoutingKey] = useState('');
  // Binding to the default exchange is implicit and cannot be changed.
  const bindable = (exchangeList ?? []).filter((x) => x.name !== '').map((x) => x.name);

  async function add(e: Event) {
    e.preventDefault();
    try {
      await bind(vhost, source || bindable[0]!, 'queue', name, routingKey, {});
      notify('Binding added');
      setRoutingKey('');
      invalidateDeadLetters();
      refresh();
    } catch (err) {
      notifyError(err);
    }
  }

  return (
    <Card title={`Bindings${data ? ` (${data.length})` : ''}`}>
      <ErrorBox error={error} />
      {!data ? (
        !error && <Loading />
      ) : (
        <table class="table table-compact">
          <thead>
            <tr>
              <th>From exchange</th>
              <th>Routing key</th>
              <th>Arguments</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {data.map((b) => (
              <tr>
                <td>
                  {b.source === '' ? (
                    <span class="muted">(AMQP default)</span>
                  ) : (
                    <a href={href('exchanges', vhost, b.source)}>{exchangeLabel(b.source)}</a>
                  )}
                </td>
                <td class="mono">{b.routing_key || <span class="muted">""</span>}</td>
                <td>
                  <ArgumentList args={b.arguments} />
                </td>
                <td class="actions">
                  {b.source !== '' && (
                    <button
                      class="button button-small"
                      onClick={async () => {
                        try {
                          await unbind(b);
                          notify('Binding removed');
                          invalidateDeadLetters();
                          refresh();
                        } catch (err) {
                          notifyError(err);
                        }
                      }}
                    >
                      Unbind
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {bindable.length > 0 && (
        <form class="form-inline bind-form" onSubmit={add}>
          <Select value={source || bindable[0]!} options={bindable} onChange={setSource} />
          <TextInput value={routingKey} onInput={setRoutingKey} placeholder="routing key" />
          <button class="button" type="submit">
            Bind
          </button>
        </form>
      )}
    </Card>
  );
}
