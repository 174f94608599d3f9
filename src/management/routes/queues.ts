// /api/queues: list, show, declare, delete, purge, get messages, bindings; and Warren's replay of
// dead-lettered messages to where they came from.
import { decodeProperties, encodeProperties } from '../../amqp/properties.js';
import type { Json } from '../../amqp/field-json.js';
import { stringOf, type Field } from '../../amqp/field-table.js';
import { Message, type QueuedMessage } from '../../broker/message.js';
import type { Queue } from '../../broker/queue.js';
import type { VHost } from '../../broker/vhost.js';
import { created, noContent, type Api, type Call } from '../api.js';
import { badRequest, notFoundNamed, withReplyCode } from '../http-error.js';
import { argumentsFromJson, propertiesToJson } from '../json-fields.js';
import { exchangeOf, flag, queueOf, requirePermission, requireShortString, vhostOf, vhostsOf } from '../lookup.js';
import { listResponse } from '../paging.js';
import { rangesOf } from '../ranges.js';
import { bindingView, consumerView, defaultBindingView, queueSortField, queueView } from '../views.js';

export function queueRoutes(api: Api): void {
  const ctx = api.ctx;
  const list = (call: Call) => {
    const queues = vhostsOf(api, call).flatMap((vh) => [...vh.queues.values()]);
    return listResponse(call.query, queues, (q) => queueView(ctx, q), (q) => q.name, (q) => q.vhost, queueSortField);
  };
  api.get('/api/queues', 'management', list);
  api.get('/api/queues/:vhost', 'management', list);

  api.get('/api/queues/:vhost/:name', 'management', (call) => {
    const q = queueOf(vhostOf(api, call), call.params.name);
    return { ...queueView(ctx, q, rangesOf(call)), consumer_details: consumerDetails(api, q), incoming: [], deliveries: [] };
  });

  api.put('/api/queues/:vhost/:name', 'management', (call) => {
    const vh = vhostOf(api, call);
    const body = call.body;
    const name = call.params.name;
    // The API's default is a non-durable queue (AMQP's declare has no default to speak of).
    const durable = booleanField(body, 'durable');
    const autoDelete = booleanField(body, 'auto_delete');
    const args = argumentsFromJson(body.arguments);
    requireShortString('queue', name);
    requirePermission(api, call, vh.name, 'configure', name);
    const existed = vh.queues.has(name);
    vh.declareQueue(name, false, durable, false, autoDelete, args, 0);
    return existed ? noContent() : created();
  });

  api.delete('/api/queues/:vhost/:name', 'management', (call) => {
    const vh = vhostOf(api, call);
    const q = queueOf(vh, call.params.name);
    requirePermission(api, call, vh.name, 'configure', q.name);
    // With both flags, RabbitMQ reports "not empty" before "in use".
    if (flag(call.query['if-empty']) && q.exclusiveOwner === 0 && q.messageCount > 0) throw badRequest(`${vh.describeQueue(q.name)} not empty`);
    vh.deleteQueue(call.params.name, flag(call.query['if-unused']), flag(call.query['if-empty']), 0);
    return noContent();
  });

  api.delete('/api/queues/:vhost/:name/contents', 'management', (call) => {
    const vh = vhostOf(api, call);
    const q = queueOf(vh, call.params.name);
    requirePermission(api, call, vh.name, 'read', q.name);
    vh.purgeQueue(q.name, 0);
    return noContent();
  });

  // RabbitMQ lists the bindings a queue would have even when it or its vhost is missing.
  api.get('/api/queues/:vhost/:name/bindings', 'management', (call) => {
    const vh = ctx.broker.vhosts.get(call.params.vhost);
    if (!vh) return [];
    call.user.requireVhostAccess(vh.name);
    const name = call.params.name;
    const q = vh.queues.get(name);
    return [defaultBindingView(vh.name, name), ...(q ? queueBindings(vh, q).map(bindingView) : [])];
  });

  api.post('/api/queues/:vhost/:name/get', 'management', (call) => {
    const vh = vhostOf(api, call);
    const body = call.body;
    const missing = ['count', 'ackmode', 'encoding'].filter((k) => body[k] === undefined);
    if (missing.length > 0) throw badRequest(`[${missing.map((k) => `{key_missing,${k}}`).join(',')}]`);
    if (!vh.queues.has(call.params.name)) throw notFoundNamed(`NOT_FOUND - no queue '${call.params.name}' in vhost '${vh.name}'`);
    let q: Queue;
    try {
      q = vh.queueFor(call.params.name, 0);
    } catch (err) {
      throw withReplyCode(err);
    }
    requirePermission(api, call, vh.name, 'read', q.name);
    return getMessages(q, body);
  });

  api.post('/api/queues/:vhost/:name/replay', 'management', (call) => {
    const vh = vhostOf(api, call);
    const q = queueOf(vh, call.params.name);
    requirePermission(api, call, vh.name, 'read', q.name);
    return { moved: replay(vh, q, call.body) };
  });

  api.post('/api/queues/:vhost/:name/actions', 'management', (call) => {
    const vh = vhostOf(api, call);
    queueOf(vh, call.params.name);
    const action = call.body.action;
    // Mirroring does not exist in Warren: there is nothing to synchronise.
    if (action === 'sync' || action === 'cancel_sync') return noContent();
    throw badRequest(`unknown action ${JSON.stringify(action)}`);
  });
}

/** A boolean field of a declaration (absent: false); anything else is RabbitMQ's ["not_boolean", value]. */
export function booleanField(body: { [key: string]: unknown }, key: string): boolean {
  const v = body[key];
  if (v === undefined || v === false || v === 'false') return false;
  if (v === true || v === 'true') return true;
  throw badRequest(['not_boolean', v as Json]);
}

function queueBindings(vh: VHost, q: Queue) {
  const out = [];
  for (const x of vh.exchanges.values()) for (const b of x.bindings) if (b.destination === q) out.push(b);
  return out;
}

function consumerDetails(api: Api, q: Queue): Json[] {
  const out: Json[] = [];
  for (const conn of api.ctx.amqp.connections) {
    if (conn.vhost !== null && conn.vhost.name !== q.vhost) continue;
    const c = conn.snapshot();
    for (const ch of c.channels) for (const consumer of ch.consumers) if (consumer.queue === q) out.push(consumerView(api.ctx, c, ch, consumer));
  }
  return out;
}

const ACK_MODES = ['ack_requeue_true', 'ack_requeue_false', 'reject_requeue_true', 'reject_requeue_false'];
const DEFAULT_ACK_MODE_HINT = `ackmode must be one of ${ACK_MODES.join(', ')}`;

/**
 * POST …/get: takes up to count messages from the head, then settles each as ackmode says:
 * requeued (back at the head, now marked redelivered), acked, or rejected (dead-lettered if the queue
 * has a dead-letter exchange). Payloads as UTF-8 text when they are, else base64 (encoding auto).
 */
function getMessages(q: Queue, body: { [key: string]: unknown }): Json {
  const count = Number(body.count);
  if (!Number.isInteger(count) || count < 1) throw badRequest(`count must be a positive integer, not ${JSON.stringify(body.count)}`);
  const ackmode = body.ackmode;
  // RabbitMQ crashes (500) on an unknown ackmode; Warren says what it accepts and takes nothing.
  if (typeof ackmode !== 'string' || !ACK_MODES.includes(ackmode)) throw badRequest(DEFAULT_ACK_MODE_HINT);
  const encoding = body.encoding;
  if (encoding !== 'auto' && encoding !== 'base64') throw badRequest('Unsupported encoding. Please use auto or base64.');
  const truncate = body.truncate === undefined || body.truncate === '' || body.truncate === null ? undefined : Number(body.truncate);
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

