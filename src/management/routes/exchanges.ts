// /api/exchanges and /api/bindings: list, declare, delete, publish; bindings between exchanges and
// queues or exchanges, addressed by their properties key.
import { ReplyCode } from '../../amqp/spec.js';
import { encodeProperties } from '../../amqp/properties.js';
import type { Binding } from '../../broker/binding.js';
import { AmqpError, accessRefused as accessRefusedAmqp, noExchange, precondition } from '../../broker/errors.js';
import type { Exchange } from '../../broker/exchange.js';
import { Message } from '../../broker/message.js';
import type { VHost } from '../../broker/vhost.js';
import { created, noContent, type Api, type Call } from '../api.js';
import { badRequest, notFound, notFoundNamed, withReplyCode } from '../http-error.js';
import { argumentsFromJson, propertiesFromJson, type Json } from '../json-fields.js';
import { exchangeOf, flag, requirePermission, requireShortString, vhostOf, vhostsOf } from '../lookup.js';
import { listResponse } from '../paging.js';
import { bindingView, defaultBindingView, exchangeView, propertiesKey } from '../views.js';
import { booleanField } from './queues.js';

export function exchangeRoutes(api: Api): void {
  const ctx = api.ctx;
  const list = (call: Call) => {
    const exchanges = vhostsOf(api, call).flatMap((vh) => [...vh.exchanges.values()]);
    return listResponse(call.query, exchanges, (x) => exchangeView(ctx, x), (x) => x.name, (x) => x.vhost);
  };
  api.get('/api/exchanges', 'management', list);
  api.get('/api/exchanges/:vhost', 'management', list);
  api.get('/api/exchanges/:vhost/:name', 'management', (call) => ({
    ...exchangeView(ctx, exchangeOf(vhostOf(api, call), call.params.name)),
    incoming: [],
    outgoing: [],
  }));

  api.put('/api/exchanges/:vhost/:name', 'management', (call) => {
    const vh = vhostOf(api, call);
    const body = call.body;
    const name = call.params.name === 'amq.default' ? '' : call.params.name;
    const type = body.type ?? 'direct';
    if (typeof type !== 'string') throw badRequest(['not_string', type as Json]);
    const durable = booleanField(body, 'durable');
    const autoDelete = booleanField(body, 'auto_delete');
    const internal = booleanField(body, 'internal');
    const args = argumentsFromJson(body.arguments);
    // RabbitMQ 3.10 takes a longer name here, but no AMQP client could then name the exchange and
    // every delivery from it would close its consumer's connection: refused, in the words it uses for queues.
    requireShortString('exchange', name);
    requirePermission(api, call, vh.name, 'configure', name);
    const existed = vh.exchanges.has(name);
    try {
      vh.declareExchange(name, type, false, durable, autoDelete, internal, args);
    } catch (err) {
      // the AMQP reply text without its code name, as RabbitMQ gives it
      if (err instanceof AmqpError && err.code === ReplyCode.CommandInvalid) throw badRequest(err.text);
      throw err;
    }
    return existed ? noContent() : created();
  });

  api.delete('/api/exchanges/:vhost/:name', 'management', (call) => {
    const vh = vhostOf(api, call);
    const x = exchangeOf(vh, call.params.name);
    requirePermission(api, call, vh.name, 'configure', x.name);
    vh.deleteExchange(x.name, flag(call.query['if-unused']));
    return noContent();
  });

  api.post('/api/exchanges/:vhost/:name/publish', 'management', (call) => {
    const vh = vhostOf(api, call);
    const body = call.body;
    const missing = ['properties', 'routing_key', 'payload', 'payload_encoding'].filter((k) => body[k] === undefined);
    if (missing.length > 0) throw badRequest(`[${missing.map((k) => `{key_missing,${k}}`).join(',')}]`);
    const name = call.params.name === 'amq.default' ? '' : call.params.name;
    const x = vh.exchanges.get(name);
    if (!x) throw withReplyCode(noExchange(name, vh.name));
    requirePermission(api, call, vh.name, 'write', x.name);
    const key = body.routing_key;
    if (typeof key !== 'string') throw badRequest(['not_string', 'routing_key']);
    // RabbitMQ routes a longer key and then closes the connection of the consumer it reaches (541):
    // Warren refuses it here instead, so one API call cannot break another client.
    requireShortString('routing_key', key);
    const encoding = body.payload_encoding;
    if (encoding !== 'string' && encoding !== 'base64') throw badRequest(['unsupported_encoding', encoding as Json]);
    if (typeof body.payload !== 'string') throw badRequest(['not_string', 'payload']);
    if (encoding === 'base64' && !isBase64(body.payload)) throw badRequest(['not_base64', body.payload]);
    const payload = Buffer.from(body.payload, encoding === 'base64' ? 'base64' : 'utf8');
    const props = propertiesFromJson(body.properties);
    if (props.userId !== undefined && props.userId !== call.user.name) {
      throw withReplyCode(precondition(`user_id property set to '${props.userId}' but authenticated user was '${call.user.name}'`));
    }
    if (x.internal) throw withReplyCode(accessRefusedAmqp(`cannot publish to internal ${vh.describeExchange(x.name)}`));
    const msg = new Message(x.name, key, encodeProperties(props), payload);
    const queues = vh.route(x, key, msg);
    // Counted like an AMQP publish: RabbitMQ publishes over an internal channel with mandatory set (the
    // return is how it learns routed: false), so an unroutable one counts as returned, not dropped.
    vh.stats.received++;
    if (queues.length > 0) {
      vh.stats.routed++;
      vh.enqueueRouted(queues, msg);
    } else {
      vh.stats.unroutableReturned++;
    }
    return { routed: queues.length > 0 };
  });

  // Listing the bindings of an exchange that does not exist is not an error in RabbitMQ: none.
  const bindingsOf = (call: Call, pick: (x: Exchange) => Binding[]) => {
    const vh = ctx.broker.vhosts.get(call.params.vhost);
    if (!vh) return [];
    call.user.requireVhostAccess(vh.name);
    const x = vh.exchanges.get(call.params.name === 'amq.default' ? '' : call.params.name);
    return x ? pick(x).map(bindingView) : [];
  };
  api.get('/api/exchanges/:vhost/:name/bindings/source', 'management', (call) => bindingsOf(call, (x) => x.bindings));
  api.get('/api/exchanges/:vhost/:name/bindings/destination', 'management', (call) => bindingsOf(call, (x) => x.incoming));

  // ---- bindings ----

  const allBindings = (vh: VHost) => {
    const out = [...vh.queues.values()].map((q) => defaultBindingView(vh.name, q.name));
    for (const x of vh.exchanges.values()) for (const b of x.bindings) out.push(bindingView(b));
    return out;
  };
  api.get('/api/bindings', 'management', (call) => vhostsOf(api, call).flatMap(allBindings));
  api.get('/api/bindings/:vhost', 'management', (call) => allBindings(vhostOf(api, call)));

  for (const kind of ['q', 'e'] as const) {
    const base = `/api/bindings/:vhost/e/:source/${kind}/:destination`;
    const sourceName = (call: Call) => (call.params.source === 'amq.default' ? '' : call.params.source);
    /** The bindings between the two (none when either is missing). */
    const between = (call: Call): Binding[] => {
      const vh = ctx.broker.vhosts.get(call.params.vhost);
      if (!vh) return [];
      call.user.requireVhostAccess(vh.name);
      const x = vh.exchanges.get(sourceName(call));
      const d = kind === 'q' ? vh.queues.get(call.params.destination) : vh.exchanges.get(call.params.destination);
      if (!x || !d) return [];
      return x.bindings.filter((b) => b.destination === d);
    };
    const one = (call: Call): Binding => {
      const b = between(call).find((b) => propertiesKey(b.routingKey, b.args) === call.params.props);
      if (!b) throw notFound();
      return b;
    };
    api.get(base, 'management', (call) => between(call).map(bindingView));
    api.post(base, 'management', (call) => {
      const vh = vhostOf(api, call);
      const body = call.body;
      const key = body.routing_key ?? '';
      if (typeof key !== 'string') throw badRequest(['not_string', 'routing_key']);
      const args = argumentsFromJson(body.arguments);
      const source = sourceName(call);
      const destination = call.params.destination;
      try {
        requirePermission(api, call, vh.name, 'write', destination);
        requirePermission(api, call, vh.name, 'read', source);
        vh.bind(source, destination, kind === 'q', key, args, 0);
      } catch (err) {
        if (err instanceof AmqpError && err.code === ReplyCode.NotFound) throw notFoundNamed(err.text);
        throw err;
      }
      return created({ location: `${encodeURIComponent(destination)}/${encodeURIComponent(propertiesKey(key, args))}` });
    });
    api.get(`${base}/:props`, 'management', (call) => bindingView(one(call)));
    api.delete(`${base}/:props`, 'management', (call) => {
      const vh = vhostOf(api, call);
      const b = one(call);
      requirePermission(api, call, vh.name, 'write', b.destination.name);
      requirePermission(api, call, vh.name, 'read', b.source.name);
      vh.unbind(b.source.name, b.destination.name, kind === 'q', b.routingKey, b.args, 0);
      return noContent();
    });
  }
}

function isBase64(s: string): boolean {
  return /^[A-Za-z0-9+/]*={0,2}$/.test(s) && s.length % 4 === 0;
}
