// Dead-lettering (x-dead-letter-exchange / x-dead-letter-routing-key), pinned against RabbitMQ 3.10.
// Every test here passes against the reference RabbitMQ; docs/notes-rabbitmq-dlx-ttl.md lists the facts.
//
// amqplib decodes header tables into plain JS values: x-death's "count" (a 64-bit 'l') becomes a number
// and "time" (a 'T' timestamp, in seconds) becomes { '!': 'timestamp', value }. The tests that pin the
// exact wire types and the order of table keys read the content header with the raw client instead.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Channel, ChannelModel, ConfirmChannel, ConsumeMessage, GetMessage } from 'amqplib';
import { testBroker, uniqueName, type TestBroker } from '../helpers/broker.js';
import { AsyncQueue, closeQuietly, connect, openChannel, openConfirmChannel, within, sleep, exclusiveQueue } from '../helpers/amqp-expect.js';
import { expectChannelError } from '../helpers/amqp-errors.js';
import {
  FRAME_HEADER,
  M,
  RawClient,
  Reader,
  Writer,
  decodeTableTyped,
  methodFrame,
  parseGetOk,
  type DecodedField,
  type TypedTable,
} from '../helpers/raw-amqp.js';

let broker: TestBroker;
let conn: ChannelModel;
/** non-exclusive queues and exchanges, deleted in after() */
const sharedQueues = new Set<string>();
const exchanges = new Set<string>();

before(async () => {
  broker = await testBroker();
  conn = await connect(broker.url);
});

after(async () => {
  if (conn) {
    const ch = await openChannel(conn);
    for (const q of sharedQueues) await ch.deleteQueue(q).catch(() => {});
    for (const x of exchanges) await ch.deleteExchange(x).catch(() => {});
    await closeQuietly(conn);
  }
  await broker?.close();
});



const queue = exclusiveQueue;

/** A non-exclusive queue, for the raw client on another connection; deleted in after(). */
async function sharedQueue(ch: Channel, prefix: string, args: Record<string, unknown> = {}): Promise<string> {
  const name = uniqueName(prefix);
  sharedQueues.add(name);
  await ch.assertQueue(name, { durable: false, arguments: args });
  return name;
}

async function exchange(ch: Channel, prefix: string, type: 'direct' | 'fanout' | 'topic'): Promise<string> {
  const name = uniqueName(prefix);
  exchanges.add(name);
  await ch.assertExchange(name, type, { durable: false });
  return name;
}

/** Dead-letter straight into `target` through the default exchange. */
const toQueue = (target: string) => ({ 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': target });

/** Starts a no-ack consumer on q and collects its deliveries. */
async function collect(ch: Channel, q: string): Promise<AsyncQueue<ConsumeMessage>> {
  const seen = new AsyncQueue<ConsumeMessage>();
  await ch.consume(q, (m) => {
    if (m) seen.push(m);
  }, { noAck: true });
  return seen;
}

/** basic.get until a message comes (dead-lettering is asynchronous), at most `ms`. */
async function getEventually(ch: Channel, q: string, ms = 2000): Promise<GetMessage> {
  const deadline = Date.now() + ms;
  for (;;) {
    const m = await ch.get(q, { noAck: false });
    if (m) return m;
    if (Date.now() > deadline) throw new Error(`no message in ${q} within ${ms} ms`);
    await sleep(10);
  }
}

async function publishConfirmed(ch: ConfirmChannel, exchangeName: string, key: string, body: string, opts: object = {}): Promise<void> {
  ch.publish(exchangeName, key, Buffer.from(body), opts);
  await ch.waitForConfirms();
}

async function ready(ch: Channel, q: string): Promise<number> {
  return (await ch.checkQueue(q)).messageCount;
}

type Headers = Record<string, unknown>;
type Death = Record<string, unknown>;

function deaths(m: { properties: { headers?: Headers } }): Death[] {
  const xd = m.properties.headers?.['x-death'];
  assert.ok(Array.isArray(xd), `x-death should be an array, headers: ${JSON.stringify(m.properties.headers)}`);
  return xd as Death[];
}

/** x-death's time: a timestamp in whole seconds, taken while the test ran. */
function assertDeathTime(time: unknown, startedMs: number): void {
  const t = time as { '!': string; value: number };
  assert.equal(t['!'], 'timestamp', 'x-death time is an AMQP timestamp');
  assert.ok(Number.isInteger(t.value));
  const lo = Math.floor(startedMs / 1000) - 1;
  const hi = Math.ceil(Date.now() / 1000) + 1;
  assert.ok(t.value >= lo && t.value <= hi, `x-death time ${t.value} (seconds) should be within [${lo}, ${hi}]`);
}

/** Checks one x-death entry apart from its time, which is checked against startedMs when given. */
function assertDeath(entry: Death | undefined, expected: Death, startedMs?: number): void {
  assert.ok(entry, 'missing x-death entry');
  const { time, ...rest } = entry;
  assert.deepEqual(rest, expected);
  if (startedMs !== undefined) assertDeathTime(time, startedMs);
}

function firstDeath(m: { properties: { headers?: Headers } }): [unknown, unknown, unknown] {
  const h = m.properties.headers ?? {};
  return [h['x-first-death-queue'], h['x-first-death-reason'], h['x-first-death-exchange']];
}

// ---------------------------------------------------------------------------------------------
// Raw reading of a message, keeping the wire types and key order of its header table.

interface RawMessage {
  redelivered: boolean;
  exchange: string;
  routingKey: string;
  /** basic properties by name, present ones only; headers decoded with their field types */
  props: Record<string, unknown>;
  headers: TypedTable;
  body: string;
}

const PROPERTY_NAMES = [
  'contentType', 'contentEncoding', 'headers', 'deliveryMode', 'priority', 'correlationId', 'replyTo',
  'expiration', 'messageId', 'timestamp', 'type', 'userId', 'appId', 'clusterId',
] as const;

/**
 * basic.get (no-ack=false) with the raw client, retrying until a message is there, then either
 * acks it or rejects it without requeue (which dead-letters it). A round trip on the channel after
 * the ack/reject makes sure the broker has taken it before the connection closes.
 */
async function rawGet(q: string, settle: 'ack' | 'reject'): Promise<RawMessage> {
  const c = await RawClient.connect(broker.url);
  try {
    await c.handshake();
    await c.openChannel(1);
    const deadline = Date.now() + 2000;
    for (;;) {
      await c.write(M.basicGet(1, q, false));
      const reply = await c.nextMethod();
      if (reply.classId === 60 && reply.methodId === 72) {
        // get-empty
        if (Date.now() > deadline) throw new Error(`no message in ${q}`);
        await sleep(10);
        continue;
      }
      const ok = parseGetOk(reply);
      const h = await c.nextFrame();
      assert.equal(h.type, FRAME_HEADER);
      const r = new Reader(h.payload);
      r.short(); // class
      r.short(); // weight
      const size = Number(r.longlong());
      const flags = r.short();
      const props: Record<string, unknown> = {};
      PROPERTY_NAMES.forEach((name, i) => {
        if (!(flags & (1 << (15 - i)))) return;
        if (name === 'headers') props[name] = decodeTableTyped(r.longstr());
        else if (name === 'deliveryMode' || name === 'priority') props[name] = r.octet();
        else if (name === 'timestamp') props[name] = r.longlong();
        else props[name] = r.shortstr();
      });
      const parts: Buffer[] = [];
      let got = 0;
      while (got < size) {
        const b = await c.nextFrame();
        parts.push(b.payload);
        got += b.payload.length;
      }
      const tag = new Writer().longlong(ok.deliveryTag);
      if (settle === 'ack') await c.write(methodFrame(1, 60, 80, tag.bit(false).toBuffer()));
      else await c.write(methodFrame(1, 60, 90, tag.bit(false).toBuffer())); // basic.reject requeue=false
      await c.write(M.queueDeclare(1, q, { passive: true }));
      await c.expectMethod(50, 11);
      return {
        redelivered: ok.redelivered,
        exchange: ok.exchange,
        routingKey: ok.routingKey,
        props,
        headers: (props.headers ?? {}) as TypedTable,
        body: Buffer.concat(parts).toString(),
      };
    }
  } finally {
    await c.close().catch(() => c.destroy());
  }
}

const entries = (f: DecodedField | undefined): TypedTable[] => {
  assert.ok(f, 'missing x-death');
  assert.equal(f.type, 'A', 'x-death is a field array');
  return (f.value as DecodedField[]).map((e) => {
    assert.equal(e.type, 'F', 'each x-death entry is a field table');
    return e.value as TypedTable;
  });
};
const keysAndTypes = (t: TypedTable) => Object.entries(t).map(([k, v]) => `${k}:${v.type}`);
const str = (v: DecodedField | undefined) => {
  assert.equal(v?.type, 'S');
  return v.value;
};
const strArray = (v: DecodedField | undefined) => {
  assert.equal(v?.type, 'A');
  return (v.value as DecodedField[]).map((x) => str(x));
};

// ---------------------------------------------------------------------------------------------

describe('dead-lettering', () => {
  test('basic.reject(requeue=false) dead-letters with reason "rejected", the original routing key and x-death', async () => {
    const ch = await openConfirmChannel(conn);
    const dlx = await exchange(ch, 'dl.reject.dlx', 'direct');
    const rk = uniqueName('dl.reject.rk');
    const dlq = await queue(ch, 'dl.reject.dlq');
    const other = await queue(ch, 'dl.reject.other');
    await ch.bindQueue(dlq, dlx, rk);
    await ch.bindQueue(other, dlx, 'some-other-key');
    const src = await queue(ch, 'dl.reject.src', { 'x-dead-letter-exchange': dlx });
    await ch.bindQueue(src, 'amq.direct', rk);
    const seen = await collect(ch, dlq);
    await publishConfirmed(ch, 'amq.direct', rk, 'payload', { headers: { custom: 'kept' } });
    const started = Date.now();
    const m = await getEventually(ch, src);
    ch.reject(m, false);
    const d = await within(seen.next(), 2000, 'dead-lettered message');
    assert.equal(d.content.toString(), 'payload');
    assert.equal(d.fields.exchange, dlx, 'delivered as published to the DLX');
    assert.equal(d.fields.routingKey, rk, 'without x-dead-letter-routing-key the original routing key is used');
    assert.equal(d.fields.redelivered, false);
    const xd = deaths(d);
    assert.equal(xd.length, 1);
    assertDeath(
      xd[0],
      { count: 1, reason: 'rejected', queue: src, exchange: 'amq.direct', 'routing-keys': [rk] },
      started,
    );
    assert.deepEqual(firstDeath(d), [src, 'rejected', 'amq.direct']);
    assert.equal(d.properties.headers?.custom, 'kept');
    assert.equal(await ready(ch, src), 0, 'the message left the source queue');
    assert.equal(await ready(ch, other), 0, 'the DLX routed it by the original key only');
    await ch.close();
  });

  test('basic.nack(requeue=false) dead-letters with reason "rejected" too', async () => {
    const ch = await openConfirmChannel(conn);
    const dlq = await queue(ch, 'dl.nack.dlq');
    const src = await queue(ch, 'dl.nack.src', toQueue(dlq));
    const seen = await collect(ch, dlq);
    await publishConfirmed(ch, '', src, 'n');
    ch.nack(await getEventually(ch, src), false, false);
    const d = await within(seen.next(), 2000, 'dead-lettered message');
    assert.equal(d.fields.exchange, '');
    assert.equal(d.fields.routingKey, dlq);
    assertDeath(deaths(d)[0], { count: 1, reason: 'rejected', queue: src, exchange: '', 'routing-keys': [src] });
    assert.deepEqual(firstDeath(d), [src, 'rejected', '']);
    await ch.close();
  });

  test('x-dead-letter-routing-key replaces the routing key; x-death keeps the original one', async () => {
    const ch = await openConfirmChannel(conn);
    const dlx = await exchange(ch, 'dl.dlrk.dlx', 'direct');
    const rk = uniqueName('dl.dlrk.orig');
    const dlq = await queue(ch, 'dl.dlrk.dlq');
    const byOriginal = await queue(ch, 'dl.dlrk.byorig');
    await ch.bindQueue(dlq, dlx, 'dead');
    await ch.bindQueue(byOriginal, dlx, rk);
    const src = await queue(ch, 'dl.dlrk.src', { 'x-dead-letter-exchange': dlx, 'x-dead-letter-routing-key': 'dead' });
    await ch.bindQueue(src, 'amq.topic', rk);
    const seen = await collect(ch, dlq);
    await publishConfirmed(ch, 'amq.topic', rk, 'x');
    ch.reject(await getEventually(ch, src), false);
    const d = await within(seen.next(), 2000, 'dead-lettered message');
    assert.equal(d.fields.exchange, dlx);
    assert.equal(d.fields.routingKey, 'dead');
    assertDeath(deaths(d)[0], { count: 1, reason: 'rejected', queue: src, exchange: 'amq.topic', 'routing-keys': [rk] });
    assert.equal(await ready(ch, byOriginal), 0, 'the original key is not used for routing');
    await ch.close();
  });

  test('CC keys are listed in routing-keys and used to route to the DLX; BCC keys route but are never listed', async () => {
    const ch = await openConfirmChannel(conn);
    const dlx = await exchange(ch, 'dl.cc.dlx', 'direct');
    const rk = uniqueName('dl.cc.rk');
    const viaCc = await queue(ch, 'dl.cc.viacc');
    const viaBcc = await queue(ch, 'dl.cc.viabcc');
    const unrelated = await queue(ch, 'dl.cc.unrelated');
    await ch.bindQueue(viaCc, dlx, 'cc2');
    await ch.bindQueue(viaBcc, dlx, 'bcc1');
    await ch.bindQueue(unrelated, dlx, 'nothing');
    const src = await queue(ch, 'dl.cc.src', { 'x-dead-letter-exchange': dlx });
    await ch.bindQueue(src, 'amq.direct', rk);
    const ccSeen = await collect(ch, viaCc);
    const bccSeen = await collect(ch, viaBcc);
    await publishConfirmed(ch, 'amq.direct', rk, 'cc', { headers: { CC: ['cc1', 'cc2'], BCC: ['bcc1'] } });
    const m = await getEventually(ch, src);
    assert.deepEqual(m.properties.headers, { CC: ['cc1', 'cc2'] }, 'BCC is stripped on publish');
    ch.reject(m, false);
    for (const d of [await within(ccSeen.next(), 2000, 'copy routed by CC'), await within(bccSeen.next(), 2000, 'copy routed by BCC')]) {
      assert.equal(d.fields.routingKey, rk, 'delivered with the first (publish) routing key');
      assertDeath(deaths(d)[0], { count: 1, reason: 'rejected', queue: src, exchange: 'amq.direct', 'routing-keys': [rk, 'cc1', 'cc2'] });
      assert.deepEqual(d.properties.headers?.CC, ['cc1', 'cc2'], 'the CC header stays without x-dead-letter-routing-key');
      assert.equal(d.properties.headers?.BCC, undefined);
    }
    assert.equal(await ready(ch, unrelated), 0);
    await ch.close();
  });

  test('with x-dead-letter-routing-key the CC header is removed and CC keys no longer route', async () => {
    const ch = await openConfirmChannel(conn);
    const dlx = await exchange(ch, 'dl.ccrk.dlx', 'direct');
    const dlq = await queue(ch, 'dl.ccrk.dlq');
    const viaCc = await queue(ch, 'dl.ccrk.viacc');
    await ch.bindQueue(dlq, dlx, 'dead');
    await ch.bindQueue(viaCc, dlx, 'cc1');
    const src = await queue(ch, 'dl.ccrk.src', { 'x-dead-letter-exchange': dlx, 'x-dead-letter-routing-key': 'dead' });
    const seen = await collect(ch, dlq);
    await publishConfirmed(ch, '', src, 'cc', { headers: { CC: ['cc1'], other: 'x' } });
    ch.reject(await getEventually(ch, src), false);
    const d = await within(seen.next(), 2000, 'dead-lettered message');
    assert.equal(d.fields.routingKey, 'dead');
    assert.equal(d.properties.headers?.CC, undefined, 'CC header removed');
    assert.equal(d.properties.headers?.other, 'x');
    assertDeath(deaths(d)[0], { count: 1, reason: 'rejected', queue: src, exchange: '', 'routing-keys': [src, 'cc1'] });
    await sleep(50);
    assert.equal(await ready(ch, viaCc), 0);
    await ch.close();
  });

  test('dead-lettering through the same queue for the same reason increments count and keeps the first entry fields', async () => {
    const ch = await openConfirmChannel(conn);
    const rk = uniqueName('dl.again.rk');
    // the queue dead-letters to itself through the default exchange
    const name = uniqueName('dl.again.self');
    await ch.assertQueue(name, { exclusive: true, arguments: toQueue(name) });
    await ch.bindQueue(name, 'amq.direct', rk);
    await publishConfirmed(ch, 'amq.direct', rk, 'loop');
    const started = Date.now();
    const first = await getEventually(ch, name);
    assert.equal(first.fields.redelivered, false);
    ch.reject(first, false); // rejected: not a cycle, the message comes back
    const second = await getEventually(ch, name);
    assert.equal(second.fields.redelivered, false);
    assert.equal(second.fields.exchange, '');
    assert.equal(second.fields.routingKey, name);
    assertDeath(deaths(second)[0], { count: 1, reason: 'rejected', queue: name, exchange: 'amq.direct', 'routing-keys': [rk] }, started);
    // let the clock pass into the next second, so that an updated time would show
    const firstTime = (deaths(second)[0]!.time as { value: number }).value;
    await sleep(Math.max(0, (firstTime + 1) * 1000 - Date.now() + 50));
    ch.reject(second, false);
    const third = await getEventually(ch, name);
    const xd = deaths(third);
    assert.equal(xd.length, 1, 'same queue and reason: no new entry');
    // exchange and routing-keys are still those of the first death (this time it came through '' with key = name)
    assertDeath(xd[0], { count: 2, reason: 'rejected', queue: name, exchange: 'amq.direct', 'routing-keys': [rk] });
    assert.deepEqual(xd[0]!.time, deaths(second)[0]!.time, 'time is not updated either');
    assert.deepEqual(firstDeath(third), [name, 'rejected', 'amq.direct']);
    ch.ack(third);
    await ch.close();
  });

  test('a death in another queue adds a new entry at the front; x-first-death-* stay', async () => {
    const ch = await openConfirmChannel(conn);
    const final = await queue(ch, 'dl.chain.final');
    const b = await queue(ch, 'dl.chain.b', toQueue(final));
    const a = await queue(ch, 'dl.chain.a', { ...toQueue(b), 'x-message-ttl': 50 });
    const seen = await collect(ch, final);
    await publishConfirmed(ch, '', a, 'chain');
    const inB = await getEventually(ch, b); // expired out of a
    assert.equal(deaths(inB).length, 1);
    assertDeath(deaths(inB)[0], { count: 1, reason: 'expired', queue: a, exchange: '', 'routing-keys': [a] });
    ch.reject(inB, false);
    const d = await within(seen.next(), 2000, 'dead-lettered message');
    const xd = deaths(d);
    assert.equal(xd.length, 2);
    assertDeath(xd[0], { count: 1, reason: 'rejected', queue: b, exchange: '', 'routing-keys': [b] });
    assertDeath(xd[1], { count: 1, reason: 'expired', queue: a, exchange: '', 'routing-keys': [a] });
    assert.deepEqual(firstDeath(d), [a, 'expired', '']);
    await ch.close();
  });

  test('an entry whose count grows moves to the front (ping-pong between two queues)', async () => {
    const ch = await openConfirmChannel(conn);
    const aName = uniqueName('dl.pingpong.a');
    const bName = uniqueName('dl.pingpong.b');
    const rk = uniqueName('dl.pingpong.rk');
    await ch.assertQueue(aName, { exclusive: true, arguments: toQueue(bName) });
    await ch.assertQueue(bName, { exclusive: true, arguments: toQueue(aName) });
    await ch.bindQueue(aName, 'amq.direct', rk);
    await publishConfirmed(ch, 'amq.direct', rk, 'ball');
    const summary = (m: GetMessage) => deaths(m).map((e) => `${e.queue === aName ? 'a' : 'b'}:${e.count}`);
    const route = [aName, bName, aName, bName, aName];
    const expected = [['a:1'], ['b:1', 'a:1'], ['a:2', 'b:1'], ['b:2', 'a:2'], ['a:3', 'b:2']];
    let m = await getEventually(ch, aName);
    for (let i = 0; i < route.length; i++) {
      ch.reject(m, false);
      m = await getEventually(ch, route[i] === aName ? bName : aName);
      assert.deepEqual(summary(m), expected[i], `after death ${i + 1}`);
    }
    // the a entry still describes a's first death (published to amq.direct)
    assertDeath(deaths(m)[0], { count: 3, reason: 'rejected', queue: aName, exchange: 'amq.direct', 'routing-keys': [rk] });
    assertDeath(deaths(m)[1], { count: 2, reason: 'rejected', queue: bName, exchange: '', 'routing-keys': [bName] });
    ch.ack(m);
    await ch.close();
  });

  test('wire format: x-death field types and key order, headers sorted by key, expiration moved to original-expiration', async () => {
    const ch = await openConfirmChannel(conn);
    // target dead-letters into itself, so the raw client can reject the message there again and again
    const target = uniqueName('dl.wire.target');
    sharedQueues.add(target);
    await ch.assertQueue(target, { durable: false, arguments: toQueue(target) });
    const src = await sharedQueue(ch, 'dl.wire.src', toQueue(target));
    await publishConfirmed(ch, '', src, 'wire', {
      expiration: '60000',
      headers: { zeta: 'z', alpha: 'a', Beta: 'b', CC: ['no-such-queue'] },
    });
    const started = Date.now();
    ch.reject(await getEventually(ch, src), false);

    // first death: the entry's keys in RabbitMQ's fixed order, the headers table sorted by key
    const one = await rawGet(target, 'reject');
    assert.equal(one.props.expiration, undefined, 'expiration is removed');
    // (CC is gone because src has x-dead-letter-routing-key; keys sort bytewise, so 'Beta' < 'alpha')
    assert.deepEqual(Object.keys(one.headers), [
      'Beta', 'alpha', 'x-death', 'x-first-death-exchange', 'x-first-death-queue', 'x-first-death-reason', 'zeta',
    ]);
    for (const k of ['x-first-death-exchange', 'x-first-death-queue', 'x-first-death-reason']) {
      assert.equal(one.headers[k]!.type, 'S', `${k} is a longstr`);
    }
    let xd = entries(one.headers['x-death']);
    assert.equal(xd.length, 1);
    assert.deepEqual(keysAndTypes(xd[0]!), [
      'count:l', 'reason:S', 'queue:S', 'time:T', 'exchange:S', 'routing-keys:A', 'original-expiration:S',
    ]);
    assert.equal(xd[0]!.count!.value, 1n);
    assert.equal(str(xd[0]!.reason), 'rejected');
    assert.equal(str(xd[0]!.queue), src);
    assert.equal(str(xd[0]!.exchange), '');
    assert.deepEqual(strArray(xd[0]!['routing-keys']), [src, 'no-such-queue']);
    assert.equal(str(xd[0]!['original-expiration']), '60000');
    const seconds = Number(xd[0]!.time!.value);
    assert.ok(Math.abs(seconds - started / 1000) < 5, `time ${seconds} is in seconds since the epoch`);

    // second death, another (queue, reason): the new entry's keys are sorted; the old entry is untouched
    const two = await rawGet(target, 'reject');
    xd = entries(two.headers['x-death']);
    assert.equal(xd.length, 2);
    assert.deepEqual(keysAndTypes(xd[0]!), ['count:l', 'exchange:S', 'queue:S', 'reason:S', 'routing-keys:A', 'time:T']);
    assert.equal(str(xd[0]!.queue), target);
    assert.deepEqual(keysAndTypes(xd[1]!), keysAndTypes(entries(one.headers['x-death'])[0]!));
    assert.equal(str(xd[1]!.queue), src);
    assert.equal(two.props.expiration, undefined);

    // third death, same (queue, reason) again: count 2, still a long, keys sorted
    const three = await rawGet(target, 'ack');
    xd = entries(three.headers['x-death']);
    assert.equal(xd.length, 2);
    assert.deepEqual(keysAndTypes(xd[0]!), ['count:l', 'exchange:S', 'queue:S', 'reason:S', 'routing-keys:A', 'time:T']);
    assert.equal(xd[0]!.count!.value, 2n);
    assert.equal(str(xd[0]!.queue), target);
    assert.equal(xd[1]!.count!.value, 1n);
    assert.deepEqual(Object.keys(three.headers), Object.keys(one.headers));
    assert.equal(three.redelivered, false);
    await ch.close();
  });

  test('wire format: an incremented entry keeps original-expiration and its old values, with keys sorted', async () => {
    const ch = await openConfirmChannel(conn);
    const self = uniqueName('dl.wire2.self');
    sharedQueues.add(self);
    await ch.assertQueue(self, { durable: false, arguments: toQueue(self) });
    await publishConfirmed(ch, '', self, 'x', { expiration: '60000', headers: { b: 1 } });
    ch.reject(await getEventually(ch, self), false);
    const one = await rawGet(self, 'reject');
    const two = await rawGet(self, 'ack');
    const [e1] = entries(one.headers['x-death']);
    const [e2, more] = entries(two.headers['x-death']);
    assert.equal(more, undefined);
    assert.deepEqual(keysAndTypes(e1!), ['count:l', 'reason:S', 'queue:S', 'time:T', 'exchange:S', 'routing-keys:A', 'original-expiration:S']);
    assert.deepEqual(keysAndTypes(e2!), ['count:l', 'exchange:S', 'original-expiration:S', 'queue:S', 'reason:S', 'routing-keys:A', 'time:T']);
    assert.equal(e2!.count!.value, 2n);
    assert.equal(str(e2!['original-expiration']), '60000', 'kept from the first death, though the message no longer has an expiration');
    assert.equal(e2!.time!.value, e1!.time!.value);
    assert.deepEqual(Object.keys(two.headers), ['b', 'x-death', 'x-first-death-exchange', 'x-first-death-queue', 'x-first-death-reason']);
    assert.deepEqual(two.headers.b, { type: 'b', value: 1 }, 'other headers keep their types');
    await ch.close();
  });

  test('a dead-letter exchange that does not exist drops the message silently', async () => {
    const ch = await openConfirmChannel(conn);
    const src = await queue(ch, 'dl.nodlx.src', { 'x-dead-letter-exchange': uniqueName('dl.nodlx.missing') });
    await publishConfirmed(ch, '', src, 'gone');
    ch.reject(await getEventually(ch, src), false);
    await sleep(50);
    assert.equal(await ready(ch, src), 0);
    assert.equal(await ch.get(src), false);
    await ch.close(); // the channel is still open
  });

  test('a dead-letter exchange that routes nowhere drops the message', async () => {
    const ch = await openConfirmChannel(conn);
    const dlx = await exchange(ch, 'dl.noroute.dlx', 'direct');
    const src = await queue(ch, 'dl.noroute.src', { 'x-dead-letter-exchange': dlx });
    await publishConfirmed(ch, '', src, 'gone');
    ch.nack(await getEventually(ch, src), false, false);
    await sleep(50);
    assert.equal(await ready(ch, src), 0);
    await ch.close();
  });

  test('cycle: a message that expires back into the same queue is dropped (other targets still get it)', async () => {
    const ch = await openConfirmChannel(conn);
    const fan = await exchange(ch, 'dl.cycle.fan', 'fanout');
    const a = await queue(ch, 'dl.cycle.a', { 'x-message-ttl': 50, 'x-dead-letter-exchange': fan });
    const monitor = await queue(ch, 'dl.cycle.monitor');
    await ch.bindQueue(a, fan, '');
    await ch.bindQueue(monitor, fan, '');
    const seen = await collect(ch, monitor);
    await publishConfirmed(ch, '', a, 'cyc');
    const d = await within(seen.next(), 2000, 'copy in the monitor queue');
    assertDeath(deaths(d)[0], { count: 1, reason: 'expired', queue: a, exchange: '', 'routing-keys': [a] });
    await sleep(250); // 5 TTLs: a looping message would have reached the monitor again
    assert.equal(seen.all.length, 1);
    assert.equal(await ready(ch, a), 0);
    await ch.close();
  });

  test('cycle: a -> b -> a with expiries only is dropped when it would re-enter a', async () => {
    const ch = await openConfirmChannel(conn);
    const fan = await exchange(ch, 'dl.cycle2.fan', 'fanout');
    // a expires into b; b expires into the fanout, which routes to a and to a monitor queue
    const b = await queue(ch, 'dl.cycle2.b', { 'x-message-ttl': 50, 'x-dead-letter-exchange': fan });
    const aName = await queue(ch, 'dl.cycle2.a', { 'x-message-ttl': 50, ...toQueue(b) });
    const monitor = await queue(ch, 'dl.cycle2.monitor');
    await ch.bindQueue(aName, fan, '');
    await ch.bindQueue(monitor, fan, '');
    const seen = await collect(ch, monitor);
    await publishConfirmed(ch, '', aName, 'cyc');
    const d = await within(seen.next(), 2000, 'copy in the monitor queue');
    assert.deepEqual(deaths(d).map((e) => [e.queue, e.reason, e.count]), [[b, 'expired', 1], [aName, 'expired', 1]]);
    await sleep(300);
    assert.equal(seen.all.length, 1, 'the copy for a was dropped, so nothing loops');
    assert.equal(await ready(ch, aName), 0);
    assert.equal(await ready(ch, b), 0);
    await ch.close();
  });

  test('cycle: a rejection on the way breaks the cycle, the message keeps going round', async () => {
    const ch = await openConfirmChannel(conn);
    const aName = uniqueName('dl.cycle3.a');
    const bName = uniqueName('dl.cycle3.b');
    await ch.assertQueue(aName, { exclusive: true, arguments: { 'x-message-ttl': 50, ...toQueue(bName) } });
    await ch.assertQueue(bName, { exclusive: true, arguments: toQueue(aName) });
    await publishConfirmed(ch, '', aName, 'round');
    const first = await getEventually(ch, bName); // expired out of a
    ch.reject(first, false); // back to a: not a cycle because of the rejection
    const second = await getEventually(ch, bName); // expired out of a again, and b accepts it again
    assert.deepEqual(deaths(second).map((e) => [e.queue, e.reason, e.count]), [[aName, 'expired', 2], [bName, 'rejected', 1]]);
    ch.ack(second);
    await ch.close();
  });

  test('cycle: an earlier rejection in the same queue does not save a later expiry back into it', async () => {
    const ch = await openConfirmChannel(conn);
    const fan = await exchange(ch, 'dl.cycle4.fan', 'fanout');
    const a = await queue(ch, 'dl.cycle4.a', { 'x-message-ttl': 200, 'x-dead-letter-exchange': fan });
    const monitor = await queue(ch, 'dl.cycle4.monitor');
    await ch.bindQueue(a, fan, '');
    await ch.bindQueue(monitor, fan, '');
    const seen = await collect(ch, monitor);
    await publishConfirmed(ch, '', a, 'x');
    ch.reject(await getEventually(ch, a), false); // rejected: copies to a and the monitor
    const r = await within(seen.next(), 2000, 'copy after the rejection');
    assert.deepEqual(deaths(r).map((e) => [e.queue, e.reason, e.count]), [[a, 'rejected', 1]]);
    const e = await within(seen.next(), 2000, 'copy after the expiry');
    assert.deepEqual(deaths(e).map((x) => [x.queue, x.reason, x.count]), [[a, 'expired', 1], [a, 'rejected', 1]]);
    await sleep(450);
    assert.equal(seen.all.length, 2, 'the expired copy for a was dropped as a cycle');
    assert.equal(await ready(ch, a), 0);
    await ch.close();
  });

  test('properties are kept (persistent, message-id, headers, ...) except expiration', async () => {
    const ch = await openConfirmChannel(conn);
    const dlq = await queue(ch, 'dl.props.dlq');
    const src = await queue(ch, 'dl.props.src', toQueue(dlq));
    const seen = await collect(ch, dlq);
    const props = {
      contentType: 'application/json',
      contentEncoding: 'identity',
      deliveryMode: 2,
      priority: 3,
      correlationId: 'corr-1',
      replyTo: 'reply.here',
      expiration: '60000',
      messageId: 'msg-1',
      timestamp: 1_600_000_000,
      type: 'order',
      userId: 'guest',
      appId: 'warren-tests',
    };
    await publishConfirmed(ch, '', src, '{}', { ...props, headers: { custom: 'v', n: 7 } });
    ch.reject(await getEventually(ch, src), false);
    const d = await within(seen.next(), 2000, 'dead-lettered message');
    const { headers, ...rest } = d.properties;
    assert.deepEqual(rest, { ...props, expiration: undefined, clusterId: undefined });
    assert.equal(headers?.custom, 'v');
    assert.equal(headers?.n, 7);
    assertDeath(deaths(d)[0], {
      count: 1, reason: 'rejected', queue: src, exchange: '', 'routing-keys': [src], 'original-expiration': '60000',
    });
    await ch.close();
  });

  test('a redelivered message is delivered from the DLQ with redelivered=false', async () => {
    const ch = await openConfirmChannel(conn);
    const dlq = await queue(ch, 'dl.redel.dlq');
    const src = await queue(ch, 'dl.redel.src', toQueue(dlq));
    const seen = await collect(ch, dlq);
    await publishConfirmed(ch, '', src, 'r');
    ch.reject(await getEventually(ch, src), true);
    const again = await getEventually(ch, src);
    assert.equal(again.fields.redelivered, true);
    ch.reject(again, false);
    const d = await within(seen.next(), 2000, 'dead-lettered message');
    assert.equal(d.fields.redelivered, false);
    await ch.close();
  });

  test('nack with multiple=true dead-letters every message up to the tag, in order', async () => {
    const ch = await openConfirmChannel(conn);
    const dlq = await queue(ch, 'dl.multi.dlq');
    const src = await queue(ch, 'dl.multi.src', toQueue(dlq));
    const seen = await collect(ch, dlq);
    for (const b of ['m1', 'm2', 'm3', 'm4']) ch.sendToQueue(src, Buffer.from(b));
    await ch.waitForConfirms();
    const worker = await openChannel(conn);
    const got = new AsyncQueue<ConsumeMessage>();
    await worker.consume(src, (m) => {
      if (m) got.push(m);
    });
    const ms = await within(got.take(4), 2000, 'four deliveries');
    worker.nack(ms[2]!, true, false);
    const dead = await within(seen.take(3), 2000, 'three dead-lettered messages');
    assert.deepEqual(dead.map((m) => m.content.toString()), ['m1', 'm2', 'm3']);
    for (const d of dead) assert.equal(deaths(d)[0]!.reason, 'rejected');
    // the fourth is still unacked; closing the channel requeues it and does not dead-letter it
    await worker.close();
    const back = await getEventually(ch, src);
    assert.equal(back.content.toString(), 'm4');
    assert.equal(back.fields.redelivered, true);
    assert.equal(back.properties.headers?.['x-death'], undefined);
    assert.equal(seen.all.length, 3);
    await ch.close();
  });

  test('reject with requeue=true, a closed channel, purge and delete do not dead-letter', async () => {
    const ch = await openConfirmChannel(conn);
    const dlq = await queue(ch, 'dl.none.dlq');
    const src = uniqueName('dl.none.src');
    await ch.assertQueue(src, { exclusive: true, arguments: toQueue(dlq) });
    await publishConfirmed(ch, '', src, 'stay');
    ch.reject(await getEventually(ch, src), true);
    const back = await getEventually(ch, src);
    assert.equal(back.content.toString(), 'stay');
    assert.equal(back.properties.headers?.['x-death'], undefined);
    ch.ack(back);
    await publishConfirmed(ch, '', src, 'purged');
    assert.deepEqual(await ch.purgeQueue(src), { messageCount: 1 });
    await publishConfirmed(ch, '', src, 'deleted');
    assert.deepEqual(await ch.deleteQueue(src), { messageCount: 1 });
    await sleep(50);
    assert.equal(await ready(ch, dlq), 0);
    await ch.close();
  });

  test('a client-supplied x-death entry for the same queue and reason is incremented', async () => {
    const ch = await openConfirmChannel(conn);
    const dlq = await queue(ch, 'dl.forged.dlq');
    const src = await queue(ch, 'dl.forged.src', toQueue(dlq));
    const seen = await collect(ch, dlq);
    await publishConfirmed(ch, '', src, 'f', {
      headers: { 'x-death': [{ count: 5, reason: 'rejected', queue: src, exchange: 'made-up', 'routing-keys': ['k'] }] },
    });
    ch.reject(await getEventually(ch, src), false);
    const d = await within(seen.next(), 2000, 'dead-lettered message');
    assert.deepEqual(deaths(d), [{ count: 6, exchange: 'made-up', queue: src, reason: 'rejected', 'routing-keys': ['k'] }]);
    assert.deepEqual(firstDeath(d), [undefined, undefined, undefined], 'x-death existed: no x-first-death-* headers added');
    await ch.close();
  });

  test('an x-death header that is not an array is replaced, without adding x-first-death-* headers', async () => {
    const ch = await openConfirmChannel(conn);
    const dlq = await queue(ch, 'dl.forged2.dlq');
    const src = await queue(ch, 'dl.forged2.src', toQueue(dlq));
    const seen = await collect(ch, dlq);
    await publishConfirmed(ch, '', src, 'f', { headers: { 'x-death': 'garbage', 'x-first-death-queue': 'fake' } });
    ch.reject(await getEventually(ch, src), false);
    const d = await within(seen.next(), 2000, 'dead-lettered message');
    assert.equal(deaths(d).length, 1);
    assertDeath(deaths(d)[0], { count: 1, reason: 'rejected', queue: src, exchange: '', 'routing-keys': [src] });
    assert.deepEqual(firstDeath(d), ['fake', undefined, undefined]);
    await ch.close();
  });
});

describe('dead-letter argument validation', () => {
  const literal = (x: string) => x.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const cases: Array<[string, Record<string, unknown>, (q: string) => string]> = [
    [
      'x-dead-letter-routing-key without x-dead-letter-exchange',
      { 'x-dead-letter-routing-key': 'k' },
      (q) => `invalid arg 'x-dead-letter-routing-key' for queue '${q}' in vhost '/': routing_key_but_no_dlx_defined`,
    ],
    [
      'x-dead-letter-routing-key that is not a string',
      { 'x-dead-letter-exchange': 'x', 'x-dead-letter-routing-key': 5 },
      (q) => `invalid arg 'x-dead-letter-routing-key' for queue '${q}' in vhost '/': {unacceptable_type,byte}`,
    ],
    [
      'x-dead-letter-exchange that is not a string',
      { 'x-dead-letter-exchange': { '!': 'long', value: 5 } },
      (q) => `invalid type 'long' for arg 'x-dead-letter-exchange' in queue '${q}' in vhost '/'`,
    ],
    [
      'x-dead-letter-exchange as a bool',
      { 'x-dead-letter-exchange': true },
      (q) => `invalid type 'bool' for arg 'x-dead-letter-exchange' in queue '${q}' in vhost '/'`,
    ],
  ];
  for (const [title, args, text] of cases) {
    test(`${title} is a 406 channel error`, async () => {
      const q = uniqueName('dl.args');
      await expectChannelError(
        conn,
        (ch) => ch.assertQueue(q, { exclusive: true, arguments: args }),
        406,
        new RegExp(`^${literal(`PRECONDITION_FAILED - ${text(q)}`)}$`),
        { method: 'queue.declare' },
      );
    });
  }

  test('a dead-letter exchange that does not exist (yet) is accepted at declare time', async () => {
    const ch = await openChannel(conn);
    await ch.assertQueue(uniqueName('dl.args.ok'), {
      exclusive: true,
      arguments: { 'x-dead-letter-exchange': uniqueName('dl.args.nowhere'), 'x-dead-letter-routing-key': 'k' },
    });
    await ch.close();
  });
});
