// Dead-lettering: the message a queue republishes to its dead-letter exchange, with the x-death history
// RabbitMQ writes, and RabbitMQ's rule for when a dead-letter cycle is dropped.
import { stringOf, type Field, type FieldTable } from '../amqp/field-table.js';
import { encodeProperties } from '../amqp/properties.js';
import type { BasicProperties } from '../amqp/spec.js';
import { Message } from './message.js';

export type DeathReason = 'rejected' | 'expired' | 'maxlen' | 'delivery_limit';

/** Header tables are kept sorted by key, as RabbitMQ sorts a table it modifies. */
function sorted(t: FieldTable): FieldTable {
  return new Map([...t.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

const str = (s: string): Field => ({ type: 'S', value: s });

/** The string keys of a message's CC or BCC header. */
export function publishedRoutingKeys(msg: Message, header: 'CC' | 'BCC'): string[] {
  const keys: string[] = [];
  const f = msg.maySelectRecipients ? msg.properties.headers?.get(header) : undefined;
  if (f?.type === 'A') for (const k of f.value) {
    const s = stringOf(k);
    if (s !== undefined) keys.push(s);
  }
  return keys;
}

/**
 * The message as published to the dead-letter exchange: x-death updated (the entry for this queue and
 * reason counted up and moved to the front, or a new entry there), x-first-death-* set on the first
 * death, expiration removed (kept in x-death as original-expiration), and — when the queue names a
 * dead-letter routing key — routed by that key alone, without CC.
 */
export function deadLetteredMessage(msg: Message, reason: DeathReason, queue: string, dlx: string, dlrk: string | undefined, nowMs: number): Message {
  const p: BasicProperties = { ...msg.properties };
  const headers: FieldTable = new Map(p.headers ?? []);
  const info: [string, Field][] = [
    ['reason', str(reason)],
    ['queue', str(queue)],
    ['time', { type: 'T', value: Math.floor(nowMs / 1000) }],
    ['exchange', str(msg.exchange)],
    ['routing-keys', { type: 'A', value: [msg.routingKey, ...publishedRoutingKeys(msg, 'CC')].map(str) }],
  ];
  if (p.expiration !== undefined) info.push(['original-expiration', str(p.expiration)]);
  const existing = headers.get('x-death');
  if (existing?.type !== 'A') {
    // The first death; an x-death that is not an array is replaced, without x-first-death-* (as RabbitMQ).
    if (existing === undefined) {
      headers.set('x-first-death-reason', str(reason));
      headers.set('x-first-death-queue', str(queue));
      headers.set('x-first-death-exchange', str(msg.exchange));
    }
    headers.set('x-death', { type: 'A', value: [{ type: 'F', value: new Map([['count', { type: 'l', value: 1n }], ...info]) }] });
  } else {
    let match: FieldTable | undefined;
    const others: Field[] = [];
    for (const d of existing.value) {
      if (!match && d.type === 'F' && stringOf(d.value.get('queue')!) === queue && stringOf(d.value.get('reason')!) === reason) match = d.value;
      else others.push(d);
    }
    let entry: FieldTable;
    if (match) {
      // RabbitMQ counts the repeat on the old entry and keeps its other fields.
      entry = new Map(match);
      const c = match.get('count');
      const n = c && (c.type === 'l' ? c.value : BigInt(typeof c.value === 'number' ? c.value : 0));
      entry.set('count', { type: 'l', value: (n ?? 0n) + 1n });
    } else entry = new Map([['count', { type: 'l', value: 1n }], ...info]);
    headers.set('x-death', { type: 'A', value: [{ type: 'F', value: sorted(entry) }, ...others] });
  }
  if (dlrk !== undefined) headers.delete('CC');
  p.headers = sorted(headers);
  delete p.expiration;
  const raw = encodeProperties(p);
  const dead = new Message(dlx, dlrk ?? msg.routingKey, raw, msg.body);
  if (dlrk === undefined) dead.bcc = msg.bcc;
  return dead;
}

/**
 * Whether dead-lettering to `target` closes a cycle that RabbitMQ drops: the target already appears in
 * the message's x-death history, and no death since then (including that one) was a rejection — a
 * cycle with a client's reject in it is the client's doing and goes on.
 */
export function isDeadLetterCycle(target: string, msg: Message): boolean {
  const deaths = msg.properties.headers?.get('x-death');
  if (deaths?.type !== 'A') return false;
  for (const d of deaths.value) {
    if (d.type !== 'F') return false;
    if (stringOf(d.value.get('reason') ?? str('')) === 'rejected') return false;
    if (stringOf(d.value.get('queue') ?? str('')) === target) return true;
  }
  return false;
}
