// Queue length limits (x-max-length, x-max-length-bytes) and overflow behaviour (x-overflow:
// drop-head, reject-publish, reject-publish-dlx), pinned against RabbitMQ 3.10. Every test here passes
// against the reference RabbitMQ; docs/notes-rabbitmq-dlx-ttl.md lists the facts.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Channel, ChannelModel, ConfirmChannel, ConsumeMessage, GetMessage, Message } from 'amqplib';
import { testBroker, uniqueName, type TestBroker } from '../helpers/broker.js';
import { AsyncQueue, closeQuietly, connect, openChannel, openConfirmChannel, within, sleep, exclusiveQueue } from '../helpers/amqp-expect.js';
import { expectChannelError } from '../helpers/amqp-errors.js';

let broker: TestBroker;
let conn: ChannelModel;

before(async () => {
  broker = await testBroker();
  conn = await connect(broker.url);
});

after(async () => {
  await closeQuietly(conn);
  await broker?.close();
});



const queue = exclusiveQueue;

const toQueue = (target: string) => ({ 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': target });

/** A DLQ with a no-ack consumer on it, and a source queue with `args` that dead-letters into it. */
async function withDlq(ch: Channel, prefix: string, args: Record<string, unknown>) {
  const dlq = await queue(ch, `${prefix}.dlq`);
  const src = await queue(ch, `${prefix}.src`, { ...args, ...toQueue(dlq) });
  const dead = new AsyncQueue<ConsumeMessage>();
  await ch.consume(dlq, (m) => {
    if (m) dead.push(m);
  }, { noAck: true });
  return { src, dlq, dead };
}

type Outcome = 'ack' | 'nack';

/** Publishes on a confirm channel and resolves with the broker's answer for this message. */
function publish(ch: ConfirmChannel, exchange: string, key: string, body: string, opts: object = {}): Promise<Outcome> {
  return new Promise((resolve) => {
    ch.publish(exchange, key, Buffer.from(body), opts, (err) => resolve(err ? 'nack' : 'ack'));
  });
}

async function publishAll(ch: ConfirmChannel, q: string, bodies: string[]): Promise<Outcome[]> {
  const out: Outcome[] = [];
  for (const b of bodies) out.push(await publish(ch, '', q, b));
  return out;
}

/** Takes every ready message out of q (no-ack), returning the bodies in order. */
async function drain(ch: Channel, q: string): Promise<string[]> {
  const out: string[] = [];
  for (;;) {
    const m = await ch.get(q, { noAck: true });
    if (!m) return out;
    out.push(m.content.toString());
  }
}

async function ready(ch: Channel, q: string): Promise<number> {
  return (await ch.checkQueue(q)).messageCount;
}

interface ConfirmEvent {
  kind: 'ack' | 'nack';
  deliveryTag: number;
  multiple: boolean;
  requeue?: boolean;
}

function recordConfirms(ch: ConfirmChannel): AsyncQueue<ConfirmEvent> {
  const events = new AsyncQueue<ConfirmEvent>();
  ch.on('ack', (f: { deliveryTag: number; multiple: boolean }) => events.push({ kind: 'ack', deliveryTag: f.deliveryTag, multiple: f.multiple }));
  ch.on('nack', (f: { deliveryTag: number; multiple: boolean; requeue: boolean }) =>
    events.push({ kind: 'nack', deliveryTag: f.deliveryTag, multiple: f.multiple, requeue: f.requeue }));
  return events;
}

function onlyDeath(m: ConsumeMessage | GetMessage | Message): Record<string, unknown> {
  const xd = m.properties.headers?.['x-death'];
  assert.ok(Array.isArray(xd) && xd.length === 1, `one x-death entry expected: ${JSON.stringify(m.properties.headers)}`);
  const { time, ...rest } = xd[0] as unknown as Record<string, unknown>;
  assert.equal((time as { '!': string })['!'], 'timestamp');
  return rest;
}

const bodies = (ms: Array<{ content: Buffer }>) => ms.map((m) => m.content.toString());

// ---------------------------------------------------------------------------------------------

describe('x-max-length with the default overflow (drop-head)', () => {
  test('publishing past the limit drops the oldest messages, dead-lettered with reason "maxlen"', async () => {
    const ch = await openConfirmChannel(conn);
    const { src, dead } = await withDlq(ch, 'maxlen.drop', { 'x-max-length': 2 });
    const started = Date.now();
    assert.deepEqual(await publishAll(ch, src, ['m1', 'm2', 'm3', 'm4']), ['ack', 'ack', 'ack', 'ack'], 'every publish is confirmed');
    const d = await within(dead.take(2), 2000, 'dropped messages');
    assert.deepEqual(bodies(d), ['m1', 'm2']);
    assert.deepEqual(onlyDeath(d[0]!), { count: 1, reason: 'maxlen', queue: src, exchange: '', 'routing-keys': [src] });
    const h = d[0]!.properties.headers ?? {};
    assert.deepEqual([h['x-first-death-queue'], h['x-first-death-reason'], h['x-first-death-exchange']], [src, 'maxlen', '']);
    const time = (d[0]!.properties.headers!['x-death'] as Array<{ time: { value: number } }>)[0]!.time.value;
    assert.ok(time >= Math.floor(started / 1000) - 1 && time <= Math.ceil(Date.now() / 1000) + 1);
    assert.deepEqual(await drain(ch, src), ['m3', 'm4']);
    await ch.close();
  });

  test('without a dead-letter exchange the dropped messages are discarded', async () => {
    const ch = await openConfirmChannel(conn);
    const q = await queue(ch, 'maxlen.discard', { 'x-max-length': 1 });
    assert.deepEqual(await publishAll(ch, q, ['a', 'b', 'c']), ['ack', 'ack', 'ack']);
    assert.deepEqual(await drain(ch, q), ['c']);
    await ch.close();
  });

  test('x-max-length 0: dropped at once without a consumer, delivered to a ready consumer', async () => {
    const ch = await openConfirmChannel(conn);
    const { src, dead } = await withDlq(ch, 'maxlen.zero', { 'x-max-length': 0 });
    assert.equal(await publish(ch, '', src, 'z1'), 'ack');
    const d = await within(dead.next(), 1000, 'dropped message');
    assert.equal(d.content.toString(), 'z1');
    assert.equal(onlyDeath(d).reason, 'maxlen');
    const got = new AsyncQueue<ConsumeMessage>();
    await ch.consume(src, (m) => {
      if (m) got.push(m);
    }, { noAck: true });
    assert.equal(await publish(ch, '', src, 'z2'), 'ack');
    assert.equal((await within(got.next(), 1000, 'delivery')).content.toString(), 'z2');
    await sleep(50);
    assert.equal(dead.all.length, 1);
    await ch.close();
  });

  test('unacknowledged messages do not count against the limit', async () => {
    const ch = await openConfirmChannel(conn);
    const { src, dead } = await withDlq(ch, 'maxlen.unacked', { 'x-max-length': 1 });
    const worker = await openChannel(conn);
    await publish(ch, '', src, 'u1');
    const u1 = await worker.get(src, { noAck: false });
    assert.ok(u1);
    assert.equal(await publish(ch, '', src, 'u2'), 'ack');
    assert.equal(await ready(ch, src), 1);
    await sleep(50);
    assert.equal(dead.all.length, 0, 'u1 (unacked) + u2 (ready) is within the limit of 1');
    assert.equal(await publish(ch, '', src, 'u3'), 'ack');
    assert.equal((await within(dead.next(), 1000, 'dropped message')).content.toString(), 'u2');
    // requeueing u1 puts it at the head and over the limit: the head (u1 itself) is dropped
    worker.reject(u1, true);
    const d = await within(dead.next(), 1000, 'dropped message');
    assert.equal(d.content.toString(), 'u1');
    assert.equal(onlyDeath(d).reason, 'maxlen');
    assert.deepEqual(await drain(ch, src), ['u3']);
    await worker.close();
    await ch.close();
  });
});

describe('x-max-length-bytes', () => {
  test('counts body bytes only (not properties or headers) and drops from the head until within the limit', async () => {
    const ch = await openConfirmChannel(conn);
    const { src, dead } = await withDlq(ch, 'maxbytes.drop', { 'x-max-length-bytes': 10 });
    const big = { headers: { padding: 'x'.repeat(2000) }, messageId: 'm'.repeat(200) };
    assert.equal(await publish(ch, '', src, '1234', big), 'ack');
    assert.equal(await publish(ch, '', src, '5678', big), 'ack');
    assert.equal(await publish(ch, '', src, '90', big), 'ack'); // exactly 10 bytes: fits
    await sleep(50);
    assert.equal(dead.all.length, 0);
    assert.equal(await publish(ch, '', src, 'abcdefg'), 'ack'); // 17 bytes: drop 1234 and 5678
    assert.deepEqual(bodies(await within(dead.take(2), 1000, 'dropped messages')), ['1234', '5678']);
    assert.equal(onlyDeath(dead.all[0]!).reason, 'maxlen');
    assert.deepEqual(await drain(ch, src), ['90', 'abcdefg']);
    await ch.close();
  });

  test('a single message bigger than the limit is confirmed, then dropped itself', async () => {
    const ch = await openConfirmChannel(conn);
    const { src, dead } = await withDlq(ch, 'maxbytes.huge', { 'x-max-length-bytes': 10 });
    assert.equal(await publish(ch, '', src, 'x'.repeat(11)), 'ack');
    assert.equal((await within(dead.next(), 1000, 'dropped message')).content.toString(), 'x'.repeat(11));
    assert.equal(await ready(ch, src), 0);
    await ch.close();
  });

  test('empty bodies take no room; with a 0-byte limit a non-empty message drops everything before it too', async () => {
    const ch = await openConfirmChannel(conn);
    const { src, dead } = await withDlq(ch, 'maxbytes.zero', { 'x-max-length-bytes': 0 });
    assert.deepEqual(await publishAll(ch, src, ['', '']), ['ack', 'ack']);
    assert.equal(await ready(ch, src), 2);
    assert.equal(await publish(ch, '', src, 'x'), 'ack');
    assert.deepEqual(bodies(await within(dead.take(3), 1000, 'dropped messages')), ['', '', 'x']);
    assert.equal(await ready(ch, src), 0);
    await ch.close();
  });

  test('x-max-length and x-max-length-bytes both apply', async () => {
    const ch = await openConfirmChannel(conn);
    const q = await queue(ch, 'maxboth', { 'x-max-length': 2, 'x-max-length-bytes': 10 });
    await publishAll(ch, q, ['12345', '67890']);
    await publish(ch, '', q, 'a'); // 3 messages > 2
    assert.deepEqual(await drain(ch, q), ['67890', 'a']);
    await publishAll(ch, q, ['1', '2']);
    await publish(ch, '', q, 'xxxxxxxxxx'); // 2 messages but 11 bytes > 10
    assert.deepEqual(await drain(ch, q), ['xxxxxxxxxx']);
    await ch.close();
  });
});

describe('x-overflow reject-publish', () => {
  test('a publish to a full queue is nacked and not enqueued; nothing is dead-lettered', async () => {
    const ch = await openConfirmChannel(conn);
    const events = recordConfirms(ch);
    const { src, dead } = await withDlq(ch, 'overflow.reject', { 'x-max-length': 2, 'x-overflow': 'reject-publish' });
    assert.deepEqual(await publishAll(ch, src, ['r1', 'r2', 'r3']), ['ack', 'ack', 'nack']);
    assert.deepEqual(await events.take(3), [
      { kind: 'ack', deliveryTag: 1, multiple: false },
      { kind: 'ack', deliveryTag: 2, multiple: false },
      // every earlier tag is settled, so RabbitMQ sets multiple; requeue is the field's default (true)
      { kind: 'nack', deliveryTag: 3, multiple: true, requeue: true },
    ]);
    await sleep(50);
    assert.equal(dead.all.length, 0, 'reject-publish does not dead-letter, even with a DLX');
    assert.deepEqual(await drain(ch, src), ['r1', 'r2']);
    await ch.close();
  });

  test('a mandatory publish refused by a full queue is nacked, not returned', async () => {
    const ch = await openConfirmChannel(conn);
    const returned: Message[] = [];
    ch.on('return', (m: Message) => returned.push(m));
    const q = await queue(ch, 'overflow.mandatory', { 'x-max-length': 1, 'x-overflow': 'reject-publish' });
    assert.equal(await publish(ch, '', q, 'in', { mandatory: true }), 'ack');
    assert.equal(await publish(ch, '', q, 'out', { mandatory: true }), 'nack');
    assert.equal(returned.length, 0);
    await ch.close();
  });

  test('routed to two queues of which one is full: nacked, and the other queue has the message', async () => {
    const ch = await openConfirmChannel(conn);
    const fan = uniqueName('overflow.fan');
    await ch.assertExchange(fan, 'fanout', { autoDelete: true });
    const full = await queue(ch, 'overflow.full', { 'x-max-length': 1, 'x-overflow': 'reject-publish' });
    const roomy = await queue(ch, 'overflow.roomy');
    await ch.bindQueue(full, fan, '');
    await ch.bindQueue(roomy, fan, '');
    assert.equal(await publish(ch, fan, '', 'f1'), 'ack');
    assert.equal(await publish(ch, fan, '', 'f2'), 'nack');
    assert.deepEqual(await drain(ch, full), ['f1']);
    assert.deepEqual(await drain(ch, roomy), ['f1', 'f2']);
    await ch.close();
  });

  test('without publisher confirms the refused message is dropped silently', async () => {
    const ch = await openChannel(conn);
    const q = await queue(ch, 'overflow.noconfirm', { 'x-max-length': 1, 'x-overflow': 'reject-publish' });
    ch.sendToQueue(q, Buffer.from('w1'));
    ch.sendToQueue(q, Buffer.from('w2'));
    await sleep(50);
    assert.deepEqual(await drain(ch, q), ['w1']);
    await ch.close(); // the channel is still open
  });

  test('unacked messages do not count; a requeue may take the queue over the limit', async () => {
    const ch = await openConfirmChannel(conn);
    const q = await queue(ch, 'overflow.unacked', { 'x-max-length': 1, 'x-overflow': 'reject-publish' });
    const worker = await openChannel(conn);
    await publish(ch, '', q, 'v1');
    const v1 = await worker.get(q, { noAck: false });
    assert.ok(v1);
    assert.equal(await publish(ch, '', q, 'v2'), 'ack');
    assert.equal(await publish(ch, '', q, 'v3'), 'nack');
    worker.reject(v1, true);
    await sleep(50);
    assert.deepEqual(await drain(ch, q), ['v1', 'v2'], 'nothing is dropped on requeue with reject-publish');
    await worker.close();
    await ch.close();
  });

  test('x-max-length 0 refuses every publish, even with a consumer waiting', async () => {
    const ch = await openConfirmChannel(conn);
    const q = await queue(ch, 'overflow.zero', { 'x-max-length': 0, 'x-overflow': 'reject-publish' });
    const got = new AsyncQueue<ConsumeMessage>();
    await ch.consume(q, (m) => {
      if (m) got.push(m);
    }, { noAck: true });
    assert.equal(await publish(ch, '', q, 'y1'), 'nack');
    await sleep(50);
    assert.equal(got.all.length, 0);
    await ch.close();
  });

  test('x-max-length-bytes: a message that would exceed the byte limit is refused; an exact fit is not', async () => {
    const ch = await openConfirmChannel(conn);
    const q = await queue(ch, 'overflow.bytes', { 'x-max-length-bytes': 10, 'x-overflow': 'reject-publish' });
    assert.equal(await publish(ch, '', q, '0123456789'), 'ack');
    assert.equal(await publish(ch, '', q, ''), 'ack', 'an empty body still fits');
    assert.equal(await publish(ch, '', q, 'x'), 'nack');
    assert.deepEqual(await drain(ch, q), ['0123456789', '']);
    const zero = await queue(ch, 'overflow.bytes0', { 'x-max-length-bytes': 0, 'x-overflow': 'reject-publish' });
    assert.deepEqual(await publishAll(ch, zero, ['', '', 'x']), ['ack', 'ack', 'nack']);
    await ch.close();
  });
});

describe('x-overflow reject-publish-dlx', () => {
  test('a publish to a full queue is nacked and dead-lettered with reason "maxlen"', async () => {
    const ch = await openConfirmChannel(conn);
    const { src, dead } = await withDlq(ch, 'overflow.rdlx', { 'x-max-length': 1, 'x-overflow': 'reject-publish-dlx' });
    assert.equal(await publish(ch, '', src, 'd1'), 'ack');
    assert.equal(await publish(ch, '', src, 'd2', { expiration: '60000', messageId: 'id-2' }), 'nack');
    const d = await within(dead.next(), 1000, 'dead-lettered message');
    assert.equal(d.content.toString(), 'd2');
    assert.deepEqual(onlyDeath(d), {
      count: 1, reason: 'maxlen', queue: src, exchange: '', 'routing-keys': [src], 'original-expiration': '60000',
    });
    assert.equal(d.properties.expiration, undefined);
    assert.equal(d.properties.messageId, 'id-2');
    assert.deepEqual(await drain(ch, src), ['d1'], 'the queue keeps its old messages');
    await ch.close();
  });

  test('without a dead-letter exchange it is just nacked', async () => {
    const ch = await openConfirmChannel(conn);
    const q = await queue(ch, 'overflow.rdlx.nodlx', { 'x-max-length': 1, 'x-overflow': 'reject-publish-dlx' });
    assert.deepEqual(await publishAll(ch, q, ['a', 'b']), ['ack', 'nack']);
    assert.deepEqual(await drain(ch, q), ['a']);
    await ch.close();
  });
});

describe('length limit argument validation', () => {
  const cases: Array<[string, string, unknown, string]> = [
    ['an unknown x-overflow', 'x-overflow', 'bogus', 'invalid_overflow'],
    ['x-overflow in the wrong case', 'x-overflow', 'Reject-Publish', 'invalid_overflow'],
    ['x-overflow as a number', 'x-overflow', 5, '{unacceptable_type,byte}'],
    ['x-overflow as a long', 'x-overflow', { '!': 'long', value: 5 }, '{unacceptable_type,long}'],
    ['x-overflow as a bool', 'x-overflow', true, '{unacceptable_type,bool}'],
    ['negative x-max-length', 'x-max-length', -1, '{value_negative,-1}'],
    ['x-max-length as a string', 'x-max-length', '10', '"expected integer, got longstr"'],
    ['x-max-length as a double', 'x-max-length', 1.5, '"expected integer, got double"'],
    ['negative x-max-length-bytes', 'x-max-length-bytes', -1, '{value_negative,-1}'],
    ['x-max-length-bytes as a string', 'x-max-length-bytes', '10', '"expected integer, got longstr"'],
  ];
  for (const [title, arg, value, reason] of cases) {
    test(`${title} is a 406 channel error`, async () => {
      const q = uniqueName('maxlen.args');
      await expectChannelError(
        conn,
        (ch) => ch.assertQueue(q, { exclusive: true, arguments: { [arg]: value } }),
        406,
        new RegExp(`^${literal(`PRECONDITION_FAILED - invalid arg '${arg}' for queue '${q}' in vhost '/': ${reason}`)}$`),
        { method: 'queue.declare' },
      );
    });
  }

  test('accepted: the three x-overflow values, limits of 0 and large limits', async () => {
    const ch = await openChannel(conn);
    for (const args of [
      { 'x-overflow': 'drop-head' },
      { 'x-overflow': 'reject-publish' },
      { 'x-overflow': 'reject-publish-dlx' },
      { 'x-overflow': 'reject-publish' }, // without any limit: fine, nothing is refused
      { 'x-max-length': 0 },
      { 'x-max-length-bytes': 0 },
      { 'x-max-length': 2 ** 40 },
      { 'x-max-length-bytes': 2 ** 40 },
    ]) {
      const q = uniqueName('maxlen.args.ok');
      await ch.assertQueue(q, { exclusive: true, arguments: args });
      await ch.deleteQueue(q);
    }
    await ch.close();
  });
});

function literal(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
