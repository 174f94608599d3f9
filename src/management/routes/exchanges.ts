// /api/exchanges and /api/bindings: list, declare, delete, publish; bindings between exchanges and
// queues or exchanges, addressed by their properties key.
import type { Binding } from '../../broker/binding.js';
import { Message } from '../../broker/message.js';
import { encodeProperties } from '../../amqp/properties.js';
import type { VHost } from '../../broker/vhost.js';
import { created, noContent, objectBody, type Api, type Call } from '../api.js';
import { badRequest, notFound } from '../http-error.js';
import { argumentsFromJson, propertiesFromJson } from '../json-fields.js';
import { exchangeOf, flag, queueOf, vhostOf, vhostsOf } from '../lookup.js';
import { listResponse } from '../paging.js';
import { bindingView, defaultBindingView, exchangeView, propertiesKey } from '../views.js';

export function exchangeRoutes(api: Api): void {
  const list = (call: Call) => {
    const exchanges = vhostsOf(api, call).flatMap((vh) => [...vh.exchanges.values()]);
    return listResponse(call.query, exchanges, exchangeView, (x) => x.name, (x) => x.vhost);
  };
  api.get('/api/exchanges', 'management', list);
  api.get('/api/exchanges/:vhost', 'management', list);
  api.get('/api/exchanges/:vhost/:name', 'management', (call) => exchangeView(exchangeOf(vhostOf(api, call), call.params.name)));

  api.put('/api/exchanges/:vhost/:name', 'management', (call) => {
    const vh = vhostOf(api, call);
    call.user.requireVhostAccess(vh.name);
    const body = objectBody(call.body);
    const name = call.params.name;
    if (typeof body.type !== 'string') throw badRequest('exchange type is required: {"type": "direct" | "fanout" | "topic" | "headers" | …}');
    const existed = vh.exchanges.has(name);
    vh.declareExchange(
      name,
      body.type,
      false,
      body.durable === undefined ? true : body.durable === true,
      body.auto_delete === true,
      body.internal === true,
      argumentsFromJson(body.arguments),
    );
    return existed ? noContent() : created();
  });

  api.delete('/api/exchanges/:vhost/:name', 'management', (call) => {
    const vh = vhostOf(api, call);
    call.user.requireVhostAccess(vh.name);
    exchangeOf(vh, call.params.name);
    vh.deleteExchange(call.params.name, flag(call.query['if-unused']));
    return noContent();
  });

  api.post('/api/exchanges/:vhost/:name/publish', 'management', (call) => {
    const vh = vhostOf(api, call);
    call.user.requireVhostAccess(vh.name);
    const x = exchangeOf(vh, call.params.name);
    const body = objectBody(call.body);
    const key = body.routing_key;
    if (typeof key !== 'string') throw badRequest('routing_key is required (a string)');
    if (typeof body.payload !== 'string') throw badRequest('payload is required (a string)');
    const encoding = body.payload_encoding ?? 'string';
    if (encoding !== 'string' && encoding !== 'base64') throw badRequest(`payload_encoding must be string or base64, not ${JSON.stringify(encoding)}`);
    const payload = Buffer.from(body.payload, encoding === 'base64' ? 'base64' : 'utf8');
    const msg = new Message(x.name, key, encodeProperties(propertiesFromJson(body.properties)), payload);
    const queues = vh.route(x, key, msg);
    if (queues.length > 0) vh.enqueueRouted(queues, msg);
    return { routed: queues.length > 0 };
  });

  api.get('/api/exchanges/:vhost/:name/bindings/source', 'management', (call) => {
    const x = exchangeOf(vhostOf(api, call), call.params.name);
    return x.bindings.map(bindingView);
  });
  api.get('/api/exchanges/:vhost/:name/bindings/destination', 'management', (call) => {
    const x = exchangeOf(vhostOf(api, call), call.params.name);
    return x.incoming.map(bindingView);
  });

  // ---- bindings ----

  const allBindings = (vh: VHost) => {
    const out = [...vh.queues.values()].map(defaultBindingView);
    for (const x of vh.exchanges.values()) for (const b of x.bindings) out.push(bindingView(b));
    return out;
  };
  api.get('/api/bindings', 'management', (call) => vhostsOf(api, call).flatMap(allBindings));
  api.get('/api/bindings/:vhost', 'management', (call) => allBindings(vhostOf(api, call)));

  for (const kind of ['q', 'e'] as const) {
    const base = `/api/bindings/:vhost/e/:source/${kind}/:destination`;
    const between = (call: Call): Binding[] => {
      const vh = vhostOf(api, call);
      const x = exchangeOf(vh, call.params.source);
      const d = kind === 'q' ? queueOf(vh, call.params.destination) : exchangeOf(vh, call.params.destination);
      return x.bindings.filter((b) => b.destination === d);
    };
    api.get(base, 'management', (call) => between(call).map(bindingView));
    api.post(base, 'management', (call) => {
      const vh = vhostOf(api, call);
      call.user.requireVhostAccess(vh.name);
      between(call); // 404 for a missing end
      const body = objectBody(call.body);
      const key = body.routing_key ?? '';
      if (typeof key !== 'string') throw badRequest('routing_key must be a string');
      const args = argumentsFromJson(body.arguments);
      vh.bind(call.params.source, call.params.destination, kind === 'q', key, args, 0);
      return created({ location: propertiesKey(key, args) });
    });
    api.get(`${base}/:props`, 'management', (call) => {
      const b = between(call).find((b) => propertiesKey(b.routingKey, b.args) === call.params.props);
      if (!b) throw notFound();
      return bindingView(b);
    });
    api.delete(`${base}/:props`, 'management', (call) => {
      const vh = vhostOf(api, call);
      call.user.requireVhostAccess(vh.name);
      const b = between(call).find((b) => propertiesKey(b.routingKey, b.args) === call.params.props);
      if (!b) throw notFound();
      vh.unbind(b.source.name, b.destination.name, kind === 'q', b.routingKey, b.args, 0);
      return noContent();
    });
  }
}
