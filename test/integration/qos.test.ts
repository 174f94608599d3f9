// basic.qos (prefetch) behaviour, pinned against RabbitMQ 3.10.
// amqplib's prefetch(n) sends basic.qos(prefetch_count=n, prefetch_size=0, global=false);
// prefetch(n, true) sends global=true.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Channel, ChannelModel, ConsumeMessage } from 'amqplib';
import { AMQPClient } from '@cloudamqp/amqp-client';
import { testBroker, uniqueName, type TestBroker } from '../helpers/broker.js';
import {
  AsyncQueue,
  amqpClientClose,
  closeQuietly,
  connect,
  deferred,
  openChannel,
  openConfirmChannel,
} from '../helpers/amqp-expect.js';

let broker: TestBroker;
let conn: ChannelModel;

before(async () => {
  broker = await testBroker();
  conn = await connect(broker.url);
});

after(async () => {
  await closeQuietly(conn);
  await broker.close();
});

/** Declares an exclusive queue holding bodies; publishes with confirms so they are all enqueued on return. */
async function queueWith(prefix: string, bodies: string[]): Promise<string> {
  const pub = await openConfirmChannel(conn);
  const q = uniqueName(prefix);
  await pub.assertQueue(q, { exclusive: true });
  for (const b of bodies) pub.sendToQueue(q, Buffer.from(b));
  await pub.waitForConfirms();
  await pub.close();
  return q;
}

const msgs = (n: number, prefix = 'm') => Array.from({ length: n }, (_, i) => `${prefix}${i + 1}`);

/** Ready (undelivered) messages in q, asked on ch: a round trip that also acts as a barrier on ch. */
async function ready(ch: Channel, q: string): Promise<number> {
  return (await ch.checkQueue(q)).messageCount;
}

function consumer(ch: Channel, q: string, noAck = false) {
  const seen = new AsyncQueue<ConsumeMessage>();
  const started = ch.consume(q, (m) => { if (m) seen.push(m); }, { noAck });
  return { seen, started };
}

const bodies = (ms: ConsumeMessage[]) => ms.map((m) => m.content.toString());

describe('basic.qos', () => {
  test('prefetch(N) limits each consumer to N unacknowledged deliveries', async () => {
    const q = await queueWith('qos.perconsumer', msgs(10));
    const ch = await openChannel(conn);
    await ch.prefetch(3);
    const a = consumer(ch, q);
    await a.started;
    assert.deepEqual(bodies(await a.seen.take(3)), ['m1', 'm2', 'm3']);
    assert.equal(await ready(ch, q), 7);
    assert.equal(a.seen.all.length, 3);
    // acking one frees exactly one slot
    ch.ack(a.seen.all[0]!);
    assert.equal((await a.seen.next()).content.toString(), 'm4');
    assert.equal(await ready(ch, q), 6);
    assert.equal(a.seen.all.length, 4);
    await ch.close();
  });

  test('the per-consumer limit is per consumer: a second consumer on the channel gets its own N', async () => {
    const q = await queueWith('qos.second', msgs(10));
    const ch = await openChannel(conn);
    await ch.prefetch(3);
    const a = consumer(ch, q);
    await a.started;
    await a.seen.take(3);
    const b = consumer(ch, q);
    await b.started;
    assert.deepEqual(bodies(await b.seen.take(3)), ['m4', 'm5', 'm6']);
    assert.equal(await ready(ch, q), 4);
    assert.equal(a.seen.all.length + b.seen.all.length, 6);
    await ch.close();
  });

  test('a per-consumer prefetch applies to consumers started after it; earlier consumers keep theirs', async () => {
    const q = await queueWith('qos.later', msgs(10));
    const ch = await openChannel(conn);
    await ch.prefetch(2);
    const a = consumer(ch, q);
    await a.started;
    await a.seen.take(2);
    await ch.prefetch(5);
    // a is still limited to 2: one ack lets exactly one more through
    ch.ack(a.seen.all[0]!);
    assert.equal((await a.seen.next()).content.toString(), 'm3');
    assert.equal(await ready(ch, q), 7);
    assert.equal(a.seen.all.length, 3);
    // a consumer started now gets 5
    const b = consumer(ch, q);
    await b.started;
    assert.deepEqual(bodies(await b.seen.take(5)), ['m4', 'm5', 'm6', 'm7', 'm8']);
    assert.equal(await ready(ch, q), 2);
    assert.equal(a.seen.all.length + b.seen.all.length, 8);
    await ch.close();
  });

  test('global prefetch (global=true) is one limit shared by all consumers on the channel', async () => {
    const q1 = await queueWith('qos.global1', msgs(5, 'a'));
    const q2 = await queueWith('qos.global2', msgs(5, 'b'));
    const ch = await openChannel(conn);
    await ch.prefetch(3, true);
    const all = new AsyncQueue<ConsumeMessage>();
    await ch.consume(q1, (m) => { if (m) all.push(m); });
    assert.deepEqual(bodies(await all.take(3)), ['a1', 'a2', 'a3']);
    // the channel's 3 slots are used up: a consumer on another queue gets nothing
    await ch.consume(q2, (m) => { if (m) all.push(m); });
    assert.equal(await ready(ch, q1), 2);
    assert.equal(await ready(ch, q2), 5);
    assert.equal(all.all.length, 3);
    // one ack frees one slot on the channel, for whichever consumer
    ch.ack(all.all[0]!);
    await all.next();
    assert.equal((await ready(ch, q1)) + (await ready(ch, q2)), 6);
    assert.equal(all.all.length, 4);
    await ch.close();
  });

  test('per-consumer and global prefetch apply together', async () => {
    const q1 = await queueWith('qos.both1', msgs(5, 'a'));
    const q2 = await queueWith('qos.both2', msgs(5, 'b'));
    const ch = await openChannel(conn);
    await ch.prefetch(2, false);
    await ch.prefetch(3, true);
    const a = consumer(ch, q1);
    await a.started;
    assert.deepEqual(bodies(await a.seen.take(2)), ['a1', 'a2']); // capped by the per-consumer 2
    const b = consumer(ch, q2);
    await b.started;
    assert.deepEqual(bodies(await b.seen.take(1)), ['b1']); // capped by the channel-wide 3
    assert.equal(await ready(ch, q1), 3);
    assert.equal(await ready(ch, q2), 4);
    assert.equal(a.seen.all.length + b.seen.all.length, 3);
    await ch.close();
  });

  test('prefetch 0 means unlimited', async () => {
    const q = await queueWith('qos.zero', msgs(50));
    const ch = await openChannel(conn);
    await ch.prefetch(5);
    await ch.prefetch(0);
    const a = consumer(ch, q);
    await a.started;
    assert.equal((await a.seen.take(50)).length, 50);
    assert.equal(await ready(ch, q), 0);
    await ch.close();
  });

  test('a no-ack consumer is not limited by prefetch', async () => {
    const q = await queueWith('qos.noack', msgs(10));
    const ch = await openChannel(conn);
    await ch.prefetch(1);
    const a = consumer(ch, q, true);
    await a.started;
    assert.equal((await a.seen.take(10)).length, 10);
    assert.equal(await ready(ch, q), 0);
    await ch.close();
  });

  test('basic.get is not limited by prefetch', async () => {
    const q = await queueWith('qos.get', msgs(3));
    const ch = await openChannel(conn);
    await ch.prefetch(1);
    await ch.prefetch(1, true);
    for (let i = 1; i <= 3; i++) {
      const m = await ch.get(q);
      assert.ok(m);
      assert.equal(m.content.toString(), `m${i}`);
    }
    await ch.close();
  });

  test('prefetch 1 with two workers: deliveries alternate and a worker gets its next only after acking', async () => {
    const q = await queueWith('qos.workers', []);
    const ch1 = await openChannel(conn);
    const ch2 = await openChannel(conn);
    await ch1.prefetch(1);
    await ch2.prefetch(1);
    const w1 = consumer(ch1, q);
    await w1.started;
    const w2 = consumer(ch2, q);
    await w2.started;
    const pub = await openConfirmChannel(conn);
    for (const b of msgs(6)) pub.sendToQueue(q, Buffer.from(b));
    await pub.waitForConfirms();
    const first1 = await w1.seen.next();
    const first2 = await w2.seen.next();
    assert.deepEqual([first1.content.toString(), first2.content.toString()], ['m1', 'm2']);
    assert.equal(await ready(ch1, q), 4);
    // only the worker that acks gets the next message
    ch2.ack(first2);
    assert.equal((await w2.seen.next()).content.toString(), 'm3');
    ch1.ack(first1);
    assert.equal((await w1.seen.next()).content.toString(), 'm4');
    assert.equal(await ready(ch1, q), 2);
    assert.equal(w1.seen.all.length, 2);
    assert.equal(w2.seen.all.length, 2);
    await pub.close();
    await ch1.close();
    await ch2.close();
  });

  test('rejecting with requeue frees the slot and the message comes back to the consumer', async () => {
    const q = await queueWith('qos.requeue', msgs(3));
    const ch = await openChannel(conn);
    await ch.prefetch(1);
    const a = consumer(ch, q);
    await a.started;
    const first = await a.seen.next();
    assert.equal(first.content.toString(), 'm1');
    ch.reject(first, true);
    const again = await a.seen.next();
    assert.equal(again.content.toString(), 'm1');
    assert.equal(again.fields.redelivered, true);
    assert.equal(await ready(ch, q), 2);
    await ch.close();
  });

  test('basic.qos with prefetch_size != 0 is a 540 NOT_IMPLEMENTED connection error', async () => {
    // amqplib always sends prefetch_size=0; @cloudamqp/amqp-client lets us set it
    const client = new AMQPClient(broker.url);
    const closed = deferred<unknown>();
    client.onerror = (err) => closed.resolve(err);
    await client.connect();
    try {
      const ch = await client.channel();
      await ch.basicQos(10, 1024).catch(() => {});
      const info = amqpClientClose(await closed.promise);
      assert.equal(info.level, 'connection');
      assert.equal(info.code, 540);
      assert.equal(info.text, 'NOT_IMPLEMENTED - prefetch_size!=0 (1024)');
      assert.equal(client.closed, true);
    } finally {
      await client.close().catch(() => {});
    }
  });
});
