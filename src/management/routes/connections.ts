// /api/connections, /api/channels, /api/consumers. Management users see their own connections;
// monitoring users and administrators see all. DELETE closes a connection with 320 and X-Reason.
import type { ConnectionSnapshot } from '../../server/connection.js';
import type { Connection } from '../../server/connection.js';
import type { Api, Call } from '../api.js';
import { notFound } from '../http-error.js';
import { vhostOf } from '../lookup.js';
import { listResponse } from '../paging.js';
import { channelName, channelView, connectionView, consumerView } from '../views.js';

export function connectionRoutes(api: Api): void {
  const ctx = api.ctx;

  /** Open connections the caller may see (optionally of one vhost), with their snapshots. */
  const visible = (call: Call, vhost?: string): [Connection, ConnectionSnapshot][] => {
    const out: [Connection, ConnectionSnapshot][] = [];
    for (const c of ctx.amqp.connections) {
      if (c.vhost === null) continue; // still in the handshake
      const s = c.snapshot();
      if (vhost !== undefined && s.vhost !== vhost) continue;
      if (!call.user.monitoring && s.user !== call.user.name) continue;
      out.push([c, s]);
    }
    return out;
  };
  const byName = (call: Call): [Connection, ConnectionSnapshot] => {
    const found = visible(call).find(([, s]) => s.name === call.params.name);
    if (!found) throw notFound();
    return found;
  };

  api.get('/api/connections', 'management', (call) =>
    listResponse(call.query, visible(call), ([c, s]) => connectionView(ctx, s, c), ([, s]) => s.name),
  );
  api.get('/api/vhosts/:vhost/connections', 'management', (call) =>
    listResponse(call.query, visible(call, vhostOf(api, call).name), ([c, s]) => connectionView(ctx, s, c), ([, s]) => s.name),
  );
  api.get('/api/connections/:name', 'management', (call) => {
    const [c, s] = byName(call);
    return connectionView(ctx, s, c);
  });
  api.delete('/api/connections/:name', 'management', async (call) => {
    const [c] = byName(call);
    const reason = call.headers['x-reason'];
    await c.forceClose(typeof reason === 'string' && reason !== '' ? reason : 'Closed via management plugin');
  });
  api.get('/api/connections/:name/channels', 'management', (call) => {
    const [, s] = byName(call);
    return s.channels.map((ch) => channelView(ctx, s, ch));
  });

  const channels = (call: Call, vhost?: string) => visible(call, vhost).flatMap(([, s]) => s.channels.map((ch) => ({ s, ch })));
  api.get('/api/channels', 'management', (call) =>
    listResponse(call.query, channels(call), ({ s, ch }) => channelView(ctx, s, ch), ({ s, ch }) => channelName(s, ch)),
  );
  api.get('/api/vhosts/:vhost/channels', 'management', (call) =>
    listResponse(call.query, channels(call, vhostOf(api, call).name), ({ s, ch }) => channelView(ctx, s, ch), ({ s, ch }) => channelName(s, ch)),
  );
  api.get('/api/channels/:name', 'management', (call) => {
    const found = channels(call).find(({ s, ch }) => channelName(s, ch) === call.params.name);
    if (!found) throw notFound();
    const { s, ch } = found;
    return {
      ...channelView(ctx, s, ch),
      consumer_details: ch.consumers.map((consumer) => consumerView(ctx, s, ch, consumer)),
      publishes: [],
      deliveries: [],
    };
  });

  const consumers = (call: Call, vhost?: string) =>
    visible(call, vhost).flatMap(([, s]) => s.channels.flatMap((ch) => ch.consumers.map((consumer) => consumerView(ctx, s, ch, consumer))));
  api.get('/api/consumers', 'management', (call) => consumers(call));
  api.get('/api/consumers/:vhost', 'management', (call) => consumers(call, vhostOf(api, call).name));
}
