// /api/queues: list, show, declare, delete, purge, get messages, bindings; and Warren's replay of
// dead-lettered messages to where they came from.
import { decodeProperties, encodeProperties } from '../../amqp/properties.js';
import { tableToJson, type Json } from '../../amqp/field-json.js';
import { stringOf, type Field } from '../../amqp/field-table.js';
import { Message, type QueuedMessage } from '../../broker/message.js';
import type { Queue } from '../../broker/queue.js';
import type { VHost } from '../../broker/vhost.js';
import { created, noContent, objectBody, Reply, type Api, type Call } from '../api.js';
import { badRequest } from '../http-error.js';
import { argumentsFromJson, propertiesToJson } from '../json-fields.js';
import { exchangeOf, flag, queueOf, vhostOf, vhostsOf } from '../lookup.js';
import { listResponse } from '../paging.js';
import { bindingView, defaultBindingView, queueView } from '../views.js';

export function queueRoutes(api: Api): void {
  const ctx = api.ctx;
  const list = (call: Call) => {
    const queues = vhostsOf(api, call).flatMap((vh) => [...vh.queues.values()]);
    return listResponse(call.query, queues, (q) => queueView(ctx, q), (q) => q.name, (q) => q.vhost);
  };
  api.get('/api/queues', 'management', list);
  api.get('/api/queues/:vhost', 'management', list);

  api.get('/api/queues/:vhost/:name', 'management', (call) => {
    const q = queueOf(vhostOf(api, call), call.params.name);
    return { ...queueView(ctx, q), consumer_details: consumerDetails(api, q), incoming: [], deliveries: [] };
  });

  api.put('/api/queues/:vhost/:name', 'management', (call) => {
    const vh = vhostOf(api, call);
    call.user.requireVhostAccess(vh.name);
    const body = objectBody(call.body);
    const name = call.params.name;
    const existed = vh.queues.has(name);
    const durable = body.durable === undefined ? true : body.durable === true || body.durable === 'true';
    const autoDelete = body.auto_delete === true || body.auto_delete === 'true';
    const args = argumentsFromJson(body.arguments);
    if (body.type !== undefined && !args.has('x-queue-type') && typeof body.type === 'string') args.set('x-queue-type', { type: 'S', value: body.type });
    vh.declareQueue(name, false, durable, false, autoDelete, args, 0);
    return existed ? noContent() : created();
  });

  api.delete('/api/queues/:vhost/:name', 'management', (call) => {
    const vh = vhostOf(api, call);
    call.user.requireVhostAccess(vh.name);
    queueOf(vh, call.params.name);
    vh.deleteQueue(call.params.name, flag(call.query['if-unused']), flag(call.query['if-empty']), 0);
    return noContent();
  });

  api.delete('/api/queues/:vhost/:name/contents', 'management', (call) => {
    const vh = vhostOf(api, call);
    call.user.requireVhostAccess(vh.name);
    queueOf(vh, call.params.name).purge();
    return noContent();
  });

  api.get('/api/queues/:vhost/:name/bindings', 'management', (call) => {
    const vh = vhostOf(api, call);
    const q = queueOf(vh, call.params.name);
    return [defaultBindingView(q), ...queueBindings(vh, q).map(bindingView)];
  });

  api.post('/api/queues/:vhost/:name/get', 'management', (call) => {
    const vh = vhostOf(api, call);
    call.user.requireVhostAccess(vh.name);
    const q = queueOf(vh, call.params.name);
    return getMessages(q, objectBody(call.body));
  });

  api.post('/api/queues/:vhost/:name/replay', 'management', (call) => {
    const vh = vhostOf(api, call);
    call.user.requireVhostAccess(vh.name);
    const q = queueOf(vh, call.params.name);
    return { moved: replay(vh, q, objectBody(call.body)) };
  });

  api.post('/api/queues/:vhost/:name/actions', 'management', (call) => {
    const vh = vhostOf(api, call);
    queueOf(vh, call.params.name);
    const action = objectBody(call.body).action;
    // Mirroring does not exist in Warren: there is nothing to synchronise.
    if (action === 'sync' || action === 'cancel_sync') return noContent();
    throw badRequest(`unknown action ${JSON.stringify(action)}`);
  });
}

function queueBindings(vh: VHost, q: Queue) {
  const out = [];
  for (const x of vh.exchanges.values()) for (const b of x.bindings) if (b.destination === q) out.push(b);
  return out;
}

function consumerDetails(api: Api, q: Queue): Json[] {
  const out: Json[] = [];
  for (const conn of api.ctx.amqp.connections) {
    const c = conn.snapshot();
    for (const ch of c.channels) {
      for (const consumer of ch.consumers) {
        if (consumer.queue !== q) continue;
        out.push({
          consumer_tag: consumer.tag,
          queue: { name: q.name, vhost: q.vhost },
          channel_details: { name: `${c.name} (${ch.number})`, number: ch.number, connection_name: c.name, peer_host: c.peerHost, peer_port: c.peerPort, user: c.user },
          ack_required: !consumer.noAck,
          prefetch_count: consumer.prefetch,
          exclusive: consumer.exclusive,
          active: true,
          activity_status: 'up',
          arguments: tableToJson(consumer.args),
        });
      }
    }
  }
  return out;
}

const ACK_MODES = ['ack_requeue_true', 'ack_requeue_false', 'reject_requeue_true', 'reject_requeue_false'];

/**
 * POST …/get: takes up to count messages from the head, then settles each as ackmode says:
 * requeued (back at the head, now marked redelivered), acked, or rejected (dead-lettered if the queue
 * has a dead-letter exchange). Payloads as UTF-8 text when they are, else base64 (encoding auto).
 */
function getMessages(q: Queue, body: { [key: string]: unknown }): Json {
  const count = body.count === undefined ? 1 : Number(body.count);
  if (!Number.isInteger(count) || count < 1) throw badRequest(`count must be a positive integer, not ${JSON.stringify(body.count)}`);
  const ackmode = body.ackmode;
  if (typeof ackmode !== 'string' || !ACK_MODES.includes(ackmode)) throw badRequest(`ackmode must be one of ${ACK_MODES.join(', ')}`);
  const encoding = body.encoding ?? 'auto';
  if (encoding !== 'auto' && encoding !== 'base64') throw badRequest(`encoding must be auto or base64, not ${JSON.stringify(encoding)}`);
  const truncate = body.truncate === undefined || body.truncate === '' ? undefined : Number(body.truncate);
  if (truncate !== undefined && !(Number.isInteger(truncate) && truncate >= 0)) throw badRequest('truncate must be a number of bytes');

  const taken: QueuedMessage[] = [];
  /** messages left in the queue after each get, as basic.get-ok reports it */
  const left: number[] = [];
  for (let i = 0; i < count; i++) {
    const qm = q.get(false);
    if (!qm) break;
    taken.push(qm);
    left.push(q.messageCount);
  }
  const out: Json[] = [];
  for (const [i, qm] of taken.entries()) {
    const msg = qm.message!;
    let payload = msg.body;
    if (truncate !== undefined && payload.length > truncate) payload = payload.subarray(0, truncate);
    const text = encoding === 'auto' ? utf8OrUndefined(payload) : undefined;
    out.push({
      payload_bytes: msg.body.length,
      redelivered: qm.redelivered,
      exchange: msg.exchange,
      routing_key: msg.routingKey,
      message_count: left[i],
      properties: propertiesToJson(decodeProperties(msg.rawProperties)),
      payload: text ?? payload.toString('base64'),
      payload_encoding: text === undefined ? 'base64' : 'string',
    });
  }
  // Settled after all are read, so requeued messages are not taken again by this same request.
  for (let i = taken.length - 1; i >= 0; i--) {
    const qm = taken[i];
    qm.deliveryCount++;
    if (ackmode.endsWith('requeue_true')) q.requeue(qm, null);
    else if (ackmode === 'ack_requeue_false') q.settle(qm, null);
    else q.reject(qm, null);
  }
  q.dispatch();
  return out;
}

function utf8OrUndefined(b: Buffer): string | undefined {
  const s = b.toString('utf8');
  return Buffer.byteLength(s) === b.length && !s.includes('\uFFFD') ? s : undefined;
}

/**
 * Warren's replay: moves up to count messages from the queue to an explicit exchange and routing key,
 * or (without one) back to where each was first dead-lettered from — the exchange and routing keys of
 * its first x-death entry. A message is removed only once it was routed to some queue; one that
 * cannot be routed stays (at the head) and stops the replay.
 */
function replay(vh: VHost, q: Queue, body: { [key: string]: unknown }): number {
  const count = body.count === undefined ? 1 : Number(body.count);
  if (!Number.isInteger(count) || count < 1) throw badRequest(`count must be a positive integer, not ${JSON.stringify(body.count)}`);
  const target = body.exchange;
  if (target !== undefined && typeof target !== 'string') throw badRequest('exchange must be a string');
  const targetKey = body.routing_key ?? '';
  if (typeof targetKey !== 'string') throw badRequest('routing_key must be a string');
  if (target !== undefined) exchangeOf(vh, target);
  let moved = 0;
  while (moved < count) {
    const qm = q.get(false);
    if (!qm) break;
    const msg = qm.message!;
    const dest = target !== undefined ? { exchange: target, keys: [targetKey] } : origin(msg);
    if (!dest) {
      q.requeue(qm, null);
      if (moved === 0) throw badRequest(`the message at the head of ${vh.describeQueue(q.name)} has no x-death header: give an exchange to move it to`);
      break;
    }
    const x = vh.exchanges.get(dest.exchange);
    let routed = false;
    if (x) {
      const props = encodeProperties(decodeProperties(msg.rawProperties));
      for (const key of dest.keys) {
        const copy = new Message(dest.exchange, key, props, msg.body);
        const queues = vh.route(x, key, copy);
        if (queues.length > 0) {
          vh.enqueueRouted(queues, copy);
          routed = true;
        }
      }
    }
    if (!routed) {
      q.requeue(qm, null);
      if (moved === 0) throw badRequest(`exchange '${dest.exchange}' in vhost '${vh.name}' routes the message at the head of ${vh.describeQueue(q.name)} nowhere; nothing was moved`);
      break;
    }
    q.settle(qm, null);
    moved++;
  }
  q.dispatch();
  return moved;
}

/**
 * Where a dead-lettered message came from: the x-death entry of its first death (the queue and
 * reason x-first-death-queue and x-first-death-reason name), with that entry's exchange and routing keys.
 */
function origin(msg: Message): { exchange: string; keys: string[] } | undefined {
  const headers = msg.properties.headers;
  const deaths = headers?.get('x-death');
  if (deaths?.type !== 'A' || deaths.value.length === 0) return undefined;
  const firstQueue = stringOf(headers!.get('x-first-death-queue'));
  const firstReason = stringOf(headers!.get('x-first-death-reason'));
  const entries = deaths.value.filter((d): d is Extract<Field, { type: 'F' }> => d.type === 'F');
  const first =
    entries.find((d) => stringOf(d.value.get('queue')) === firstQueue && stringOf(d.value.get('reason')) === firstReason) ?? entries[entries.length - 1];
  if (first === undefined) return undefined;
  const exchange = stringOf(first.value.get('exchange'));
  const keysField = first.value.get('routing-keys');
  if (exchange === undefined || keysField?.type !== 'A') return undefined;
  const keys = keysField.value.map((k) => stringOf(k)).filter((k): k is string => k !== undefined);
  return keys.length > 0 ? { exchange, keys } : undefined;
}

export { Reply };
