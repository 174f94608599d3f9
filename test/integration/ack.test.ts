// basic.ack / basic.nack / basic.reject / basic.recover and requeueing, pinned against RabbitMQ 3.10.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Channel, ChannelModel, ConsumeMessage, GetMessage, Message } from 'amqplib';
import { AMQPClient } from '@cloudamqp/amqp-client';
import { testBroker, uniqueName, type TestBroker } from '../helpers/broker.js';
import {
  AsyncQueue,
  amqpClientClose,
  closeQuietly,
  connect,
  deferred,
  expectChannelError,
  openChannel,
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

/** A delivery tag as amqplib's ack/nack/reject want it. */
function tag(deliveryTag: number): Message {
  return { fields: { deliveryTag } } as unknown as Message;
}

/** Declares an exclusive queue on ch and publishes bodies to it. */
async function queueWith(ch: Channel, prefix: string, bodies: string[], exclusive = true): Promise<string> {
  const q = uniqueName(prefix);
  await ch.assertQueue(q, { exclusive, autoDelete: false });
  for (const b of bodies) ch.sendToQueue(q, Buffer.from(b));
  return q;
}

/** n basic.gets in ack mode */
async function getN(ch: Channel, q: string, n: number): Promise<GetMessage[]> {
  const out: GetMessage[] = [];
  for (let i = 0; i < n; i++) {
    const m = await ch.get(q);
    assert.ok(m, `basic.get ${i + 1} of ${n} came back empty`);
    out.push(m);
  }
  return out;
}

/** Empties the queue with no-ack basic.get; bodies in queue order, "*" marking redelivered ones. */
async function drain(ch: Channel, q: string): Promise<string[]> {
  const out: string[] = [];
  for (;;) {
    const m = await ch.get(q, { noAck: true });
    if (!m) return out;
    out.push(m.content.toString() + (m.fields.redelivered ? '*' : ''));
  }
}

/** Drains from a fresh channel (so the draining channel's own unacked messages do not matter). */
async function drainFresh(q: string): Promise<string[]> {
  const ch = await openChannel(conn);
  const out = await drain(ch, q);
  await ch.close();
  return out;
}

const m1to = (n: number) => Array.from({ length: n }, (_, i) => `m${i + 1}`);

describe('acknowledgements', () => {
  test('basic.ack removes the message for good', async () => {
    const ch = await openChannel(conn);
    const q = await queueWith(ch, 'ack.single', ['m1', 'm2']);
    const [a] = await getN(ch, q, 1);
    ch.ack(a!);
    await ch.close(); // would requeue m1 if the ack had not taken effect
    assert.deepEqual(await drainFresh(q), ['m2']);
  });

  test('ack multiple acknowledges every unacked tag up to and including the given one', async () => {
    const ch = await openChannel(conn);
    const q = await queueWith(ch, 'ack.multiple', m1to(5));
    const got = await getN(ch, q, 5);
    ch.ack(got[2]!, true);
    await ch.close(); // requeues whatever is still unacked
    assert.deepEqual(await drainFresh(q), ['m4*', 'm5*']);
  });

  test('nack multiple with requeue returns every unacked tag up to the given one', async () => {
    const ch = await openChannel(conn);
    const q = await queueWith(ch, 'ack.nackmulti', m1to(5));
    const got = await getN(ch, q, 5);
    ch.nack(got[2]!, true, true);
    assert.deepEqual(await drain(ch, q), ['m1*', 'm2*', 'm3*']);
    ch.ack(got[4]!, true); // m4 and m5
    await ch.close();
    assert.deepEqual(await drainFresh(q), []);
  });

  test('nack without requeue drops the messages (no dead-letter exchange)', async () => {
    const ch = await openChannel(conn);
    const q = await queueWith(ch, 'ack.nackdrop', m1to(3));
    const got = await getN(ch, q, 2);
    ch.nack(got[1]!, true, false); // m1 and m2
    assert.deepEqual(await drain(ch, q), ['m3']);
    await ch.close();
    assert.deepEqual(await drainFresh(q), []);
  });

  test('reject with requeue=false drops, reject with requeue=true requeues', async () => {
    const ch = await openChannel(conn);
    const q = await queueWith(ch, 'ack.reject', ['m1', 'm2', 'm3']);
    const [a, b] = await getN(ch, q, 2);
    ch.reject(a!, false);
    ch.reject(b!, true);
    assert.deepEqual(await drain(ch, q), ['m2*', 'm3']);
    await ch.close();
    assert.deepEqual(await drainFresh(q), []);
  });

  test('requeued messages go back to their original position, marked redelivered', async () => {
    const ch = await openChannel(conn);
    const q = await queueWith(ch, 'ack.position', m1to(6));
    const got = await getN(ch, q, 4); // m1..m4 unacked, m5 m6 still queued
    // requeue out of order: the queue still orders by original position, ahead of m5 m6
    ch.nack(got[3]!, false, true); // m4
    ch.nack(got[1]!, false, true); // m2
    const counts: number[] = [];
    const order: string[] = [];
    for (;;) {
      const m = await ch.get(q, { noAck: true });
      if (!m) break;
      order.push(m.content.toString() + (m.fields.redelivered ? '*' : ''));
      counts.push(m.fields.messageCount);
    }
    assert.deepEqual(order, ['m2*', 'm4*', 'm5', 'm6']);
    assert.deepEqual(counts, [3, 2, 1, 0]);
    await ch.close(); // requeues m1 and m3
    assert.deepEqual(await drainFresh(q), ['m1*', 'm3*']);
  });

  test('all five messages fetched, m2 and m4 nacked with requeue: the queue holds m2 then m4', async () => {
    const ch = await openChannel(conn);
    const q = await queueWith(ch, 'ack.position5', m1to(5));
    const got = await getN(ch, q, 5);
    ch.nack(got[3]!, false, true);
    ch.nack(got[1]!, false, true);
    assert.deepEqual(await drain(ch, q), ['m2*', 'm4*']);
    await ch.close(); // m1 m3 m5 come back, in publish order
    assert.deepEqual(await drainFresh(q), ['m1*', 'm3*', 'm5*']);
  });

  test('an unknown delivery tag is a 406 PRECONDITION_FAILED channel error', async () => {
    const ch = await openChannel(conn);
    const info = await expectChannelError(conn, ch, () => ch.ack(tag(99)), {
      code: 406,
      text: 'PRECONDITION_FAILED - unknown delivery tag 99',
    });
    assert.equal(info.classId, 60);
    assert.equal(info.methodId, 80);
  });

  test('nack and reject of an unknown delivery tag are 406 channel errors naming the method', async () => {
    const ch = await openChannel(conn);
    const nack = await expectChannelError(conn, ch, () => ch.nack(tag(5)), {
      code: 406,
      text: 'PRECONDITION_FAILED - unknown delivery tag 5',
    });
    assert.deepEqual([nack.classId, nack.methodId], [60, 120]);
    const ch2 = await openChannel(conn);
    const reject = await expectChannelError(conn, ch2, () => ch2.reject(tag(6)), {
      code: 406,
      text: 'PRECONDITION_FAILED - unknown delivery tag 6',
    });
    assert.deepEqual([reject.classId, reject.methodId], [60, 90]);
  });

  test('acking the same delivery twice is a 406 channel error', async () => {
    const ch = await openChannel(conn);
    const q = await queueWith(ch, 'ack.double', ['m1']);
    const [a] = await getN(ch, q, 1);
    ch.ack(a!);
    await expectChannelError(conn, ch, () => ch.ack(a!), {
      code: 406,
      text: 'PRECONDITION_FAILED - unknown delivery tag 1',
    });
    assert.deepEqual(await drainFresh(q), []);
  });

  test('ack multiple naming an already-acked tag is a 406 even when earlier tags are outstanding', async () => {
    const ch = await openChannel(conn);
    const q = await queueWith(ch, 'ack.multiacked', m1to(3));
    await getN(ch, q, 3);
    ch.ack(tag(2));
    await expectChannelError(conn, ch, () => ch.ack(tag(2), true), {
      code: 406,
      text: 'PRECONDITION_FAILED - unknown delivery tag 2',
    });
    // the channel close requeued m1 and m3; the ack of m2 stood
    assert.deepEqual(await drainFresh(q), ['m1*', 'm3*']);
  });

  test('ack multiple with a tag above every delivered one is a 406 channel error', async () => {
    const ch = await openChannel(conn);
    const q = await queueWith(ch, 'ack.multihigh', m1to(3));
    await getN(ch, q, 3);
    await expectChannelError(conn, ch, () => ch.ack(tag(99), true), {
      code: 406,
      text: 'PRECONDITION_FAILED - unknown delivery tag 99',
    });
    assert.deepEqual(await drainFresh(q), ['m1*', 'm2*', 'm3*']);
  });

  test('ack with delivery tag 0 and multiple=true acknowledges everything outstanding', async () => {
    const ch = await openChannel(conn);
    const q = await queueWith(ch, 'ack.all', m1to(4));
    await getN(ch, q, 3);
    ch.ackAll();
    await ch.close();
    assert.deepEqual(await drainFresh(q), ['m4']);
  });

  test('ack with delivery tag 0 and multiple=true is fine when nothing is outstanding', async () => {
    const ch = await openChannel(conn);
    ch.ackAll();
    ch.nackAll(true);
    await ch.checkExchange('amq.direct'); // round trip: the channel is still open
    await ch.close();
  });

  test('ack with delivery tag 0 and multiple=false is a 406 channel error', async () => {
    const ch = await openChannel(conn);
    const q = await queueWith(ch, 'ack.zero', m1to(2));
    await getN(ch, q, 2);
    await expectChannelError(conn, ch, () => ch.ack(tag(0)), {
      code: 406,
      text: 'PRECONDITION_FAILED - unknown delivery tag 0',
    });
  });

  test('nack with delivery tag 0 and multiple=true requeues everything outstanding', async () => {
    const ch = await openChannel(conn);
    const q = await queueWith(ch, 'ack.nackall', m1to(3));
    await getN(ch, q, 2);
    ch.nackAll(true);
    assert.deepEqual(await drain(ch, q), ['m1*', 'm2*', 'm3']);
    await ch.close();
  });

  test('acking a delivery made in no-ack mode is a 406 channel error', async () => {
    const ch = await openChannel(conn);
    const q = await queueWith(ch, 'ack.noack', ['m1']);
    const m = await ch.get(q, { noAck: true });
    assert.ok(m);
    assert.equal(m.fields.deliveryTag, 1);
    await expectChannelError(conn, ch, () => ch.ack(m), {
      code: 406,
      text: 'PRECONDITION_FAILED - unknown delivery tag 1',
    });
  });

  test('delivery tags belong to their channel: acking on another channel is a 406', async () => {
    const ch = await openChannel(conn);
    const q = await queueWith(ch, 'ack.otherch', ['m1']);
    const [a] = await getN(ch, q, 1);
    const other = await openChannel(conn);
    await expectChannelError(conn, other, () => other.ack(a!), {
      code: 406,
      text: 'PRECONDITION_FAILED - unknown delivery tag 1',
    });
    // the delivering channel is unaffected and can still ack it
    ch.ack(a!);
    await ch.close();
    assert.deepEqual(await drainFresh(q), []);
  });

  test('delivery tags count up from 1 per channel across basic.get and basic.deliver', async () => {
    const ch = await openChannel(conn);
    const q = await queueWith(ch, 'ack.tags', m1to(2));
    const [a] = await getN(ch, q, 1);
    const seen = new AsyncQueue<ConsumeMessage>();
    await ch.consume(q, (m) => { if (m) seen.push(m); });
    const b = await seen.next();
    ch.sendToQueue(q, Buffer.from('m3'));
    const c = await seen.next();
    assert.deepEqual([a!.fields.deliveryTag, b.fields.deliveryTag, c.fields.deliveryTag], [1, 2, 3]);
    const other = await openChannel(conn);
    other.sendToQueue(q, Buffer.from('m4'));
    await other.close();
    assert.equal((await seen.next()).fields.deliveryTag, 4);
    ch.ackAll();
    await ch.close();
  });

  test('closing a channel requeues its unacked messages at their original positions', async () => {
    const ch = await openChannel(conn);
    const q = await queueWith(ch, 'ack.chclose', m1to(5));
    const got = await getN(ch, q, 3);
    ch.ack(got[1]!); // m2
    await ch.close();
    assert.deepEqual(await drainFresh(q), ['m1*', 'm3*', 'm4', 'm5']);
  });

  test('closing a connection requeues its unacked messages, marked redelivered', async () => {
    const setup = await openChannel(conn);
    const q = await queueWith(setup, 'ack.connclose', m1to(4), false);
    try {
      const c2 = await connect(broker.url);
      const ch2 = await openChannel(c2);
      await ch2.prefetch(3);
      const seen = new AsyncQueue<ConsumeMessage>();
      await ch2.consume(q, (m) => { if (m) seen.push(m); });
      const msgs = await seen.take(3);
      assert.deepEqual(msgs.map((m) => m.content.toString()), ['m1', 'm2', 'm3']);
      assert.ok(msgs.every((m) => !m.fields.redelivered));
      await c2.close();
      assert.deepEqual(await drain(setup, q), ['m1*', 'm2*', 'm3*', 'm4']);
    } finally {
      await setup.deleteQueue(q);
      await setup.close();
    }
  });

  test('basic.recover(requeue=true) redelivers unacked messages with new tags and redelivered=true', async () => {
    const ch = await openChannel(conn);
    const q = await queueWith(ch, 'ack.recover', []);
    const seen = new AsyncQueue<ConsumeMessage>();
    await ch.consume(q, (m) => { if (m) seen.push(m); });
    ch.sendToQueue(q, Buffer.from('m1'));
    ch.sendToQueue(q, Buffer.from('m2'));
    const first = await seen.take(2);
    assert.deepEqual(first.map((m) => [m.content.toString(), m.fields.deliveryTag, m.fields.redelivered]), [
      ['m1', 1, false],
      ['m2', 2, false],
    ]);
    await ch.recover();
    const again = await seen.take(2);
    assert.deepEqual(again.map((m) => [m.content.toString(), m.fields.deliveryTag, m.fields.redelivered]), [
      ['m1', 3, true],
      ['m2', 4, true],
    ]);
    ch.ack(again[1]!, true);
    await ch.close();
    assert.deepEqual(await drainFresh(q), []);
  });

  test('basic.recover(requeue=true) without a consumer puts basic.get messages back in the queue', async () => {
    const ch = await openChannel(conn);
    const q = await queueWith(ch, 'ack.recoverget', m1to(3));
    await getN(ch, q, 2);
    await ch.recover();
    assert.deepEqual(await drain(ch, q), ['m1*', 'm2*', 'm3']);
    await ch.close();
  });

  test('basic.recover(requeue=false) is a 540 NOT_IMPLEMENTED connection error', async () => {
    // amqplib always sends requeue=true; @cloudamqp/amqp-client lets us send false
    const client = new AMQPClient(broker.url);
    const closed = deferred<unknown>();
    client.onerror = (err) => closed.resolve(err);
    await client.connect();
    try {
      const ch = await client.channel();
      await ch.basicRecover(false).catch(() => {});
      const info = amqpClientClose(await closed.promise);
      assert.equal(info.level, 'connection');
      assert.equal(info.code, 540);
      assert.equal(info.text, 'NOT_IMPLEMENTED - requeue=false');
    } finally {
      await client.close().catch(() => {});
    }
  });
});
