// basic.consume / basic.cancel / basic.get / basic.deliver behaviour, pinned against RabbitMQ 3.10.
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
  expectChannelError,
  expectConnectionError,
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

/** A fresh channel on the shared connection and an exclusive queue with a unique name. */
async function channelWithQueue(prefix: string): Promise<{ ch: Channel; q: string }> {
  const ch = await openChannel(conn);
  const q = uniqueName(prefix);
  await ch.assertQueue(q, { exclusive: true });
  return { ch, q };
}

function body(msg: ConsumeMessage | null): string {
  assert.ok(msg, 'expected a delivery, got a cancel');
  return msg.content.toString();
}

describe('basic.consume', () => {
  test('round-robin between consumers: two consumers on a queue alternate deliveries', async () => {
    const { ch, q } = await channelWithQueue('consume.rr');
    const a = new AsyncQueue<string>();
    const b = new AsyncQueue<string>();
    const all = new AsyncQueue<string>();
    await ch.consume(q, (m) => { a.push(body(m)); all.push('a'); }, { noAck: true });
    await ch.consume(q, (m) => { b.push(body(m)); all.push('b'); }, { noAck: true });
    for (let i = 0; i < 10; i++) ch.sendToQueue(q, Buffer.from(`m${i}`));
    await all.take(10);
    assert.deepEqual(a.all, ['m0', 'm2', 'm4', 'm6', 'm8']);
    assert.deepEqual(b.all, ['m1', 'm3', 'm5', 'm7', 'm9']);
    await ch.close();
  });

  test('server-generated consumer tags start with amq.ctag- and are distinct', async () => {
    const { ch, q } = await channelWithQueue('consume.ctag');
    const got = deferred<ConsumeMessage>();
    const first = await ch.consume(q, (m) => { if (m) got.resolve(m); });
    const second = await ch.consume(q, () => {});
    assert.match(first.consumerTag, /^amq\.ctag-[A-Za-z0-9_-]{22}$/);
    assert.match(second.consumerTag, /^amq\.ctag-[A-Za-z0-9_-]{22}$/);
    assert.notEqual(first.consumerTag, second.consumerTag);
    ch.sendToQueue(q, Buffer.from('x'));
    const msg = await got.promise;
    assert.equal(msg.fields.consumerTag, first.consumerTag);
    await ch.close();
  });

  test('an explicit consumer tag is echoed in consume-ok and in deliveries', async () => {
    const { ch, q } = await channelWithQueue('consume.tag');
    const tag = uniqueName('my-tag');
    const got = deferred<ConsumeMessage>();
    const ok = await ch.consume(q, (m) => { if (m) got.resolve(m); }, { consumerTag: tag });
    assert.equal(ok.consumerTag, tag);
    ch.sendToQueue(q, Buffer.from('x'));
    assert.equal((await got.promise).fields.consumerTag, tag);
    await ch.close();
  });

  test('reusing a consumer tag on the same channel is a 530 NOT_ALLOWED connection error', async () => {
    const c = await connect(broker.url);
    try {
      const ch = await openChannel(c);
      const q = uniqueName('consume.reuse');
      await ch.assertQueue(q, { exclusive: true });
      await ch.consume(q, () => {}, { consumerTag: 'dup' });
      await expectConnectionError(c, () => ch.consume(q, () => {}, { consumerTag: 'dup' }), {
        code: 530,
        text: "NOT_ALLOWED - attempt to reuse consumer tag 'dup'",
      });
    } finally {
      await closeQuietly(c);
    }
  });

  test('the same consumer tag on two different channels is allowed', async () => {
    const { ch, q } = await channelWithQueue('consume.tag2');
    const ch2 = await openChannel(conn);
    const tag = uniqueName('shared-tag');
    assert.equal((await ch.consume(q, () => {}, { consumerTag: tag })).consumerTag, tag);
    assert.equal((await ch2.consume(q, () => {}, { consumerTag: tag })).consumerTag, tag);
    assert.equal((await ch.checkQueue(q)).consumerCount, 2);
    await ch2.close();
    await ch.close();
  });

  test('exclusive consume while another consumer exists is a 403 ACCESS_REFUSED channel error', async () => {
    const { ch, q } = await channelWithQueue('consume.excl');
    await ch.consume(q, () => {});
    const ch2 = await openChannel(conn);
    const info = await expectChannelError(conn, ch2, () => ch2.consume(q, () => {}, { exclusive: true }), {
      code: 403,
      text: `ACCESS_REFUSED - queue '${q}' in vhost '/' in exclusive use`,
    });
    assert.equal(info.classId, 60);
    assert.equal(info.methodId, 20);
    await ch.close();
  });

  test('consuming while an exclusive consumer exists is a 403 ACCESS_REFUSED channel error', async () => {
    const { ch, q } = await channelWithQueue('consume.excl2');
    await ch.consume(q, () => {}, { exclusive: true });
    const ch2 = await openChannel(conn);
    await expectChannelError(conn, ch2, () => ch2.consume(q, () => {}), {
      code: 403,
      text: `ACCESS_REFUSED - queue '${q}' in vhost '/' in exclusive use`,
    });
    assert.equal((await ch.checkQueue(q)).consumerCount, 1);
    await ch.close();
  });

  test('consuming from a missing queue is a 404 NOT_FOUND channel error', async () => {
    const ch = await openChannel(conn);
    const q = uniqueName('consume.missing');
    const info = await expectChannelError(conn, ch, () => ch.consume(q, () => {}), {
      code: 404,
      text: `NOT_FOUND - no queue '${q}' in vhost '/'`,
    });
    assert.equal(info.classId, 60);
    assert.equal(info.methodId, 20);
  });

  test('basic.cancel answers cancel-ok with the tag and stops deliveries', async () => {
    const { ch, q } = await channelWithQueue('consume.cancel');
    const seen = new AsyncQueue<string>();
    const { consumerTag } = await ch.consume(q, (m) => seen.push(body(m)), { noAck: true });
    ch.sendToQueue(q, Buffer.from('before'));
    assert.equal(await seen.next(), 'before');
    const ok = await ch.cancel(consumerTag);
    assert.equal(ok.consumerTag, consumerTag);
    // publish with confirms, so both are known to be in the queue before counting
    // (on RabbitMQ queue.declare may overtake plain publishes from the same channel)
    const pub = await openConfirmChannel(conn);
    pub.sendToQueue(q, Buffer.from('after1'));
    pub.sendToQueue(q, Buffer.from('after2'));
    await pub.waitForConfirms();
    await pub.close();
    // the two messages wait in the queue; none was delivered
    const state = await ch.checkQueue(q);
    assert.equal(state.messageCount, 2);
    assert.equal(state.consumerCount, 0);
    assert.deepEqual(seen.all, ['before']);
    await ch.close();
  });

  test('basic.cancel with an unknown consumer tag is answered with cancel-ok', async () => {
    const ch = await openChannel(conn);
    const ok = await ch.cancel('no-such-consumer');
    assert.equal(ok.consumerTag, 'no-such-consumer');
    // the channel is still usable
    await ch.checkExchange('amq.direct');
    await ch.close();
  });

  test('deleting the queue sends basic.cancel to its consumers (callback gets null)', async () => {
    const { ch, q } = await channelWithQueue('consume.servercancel');
    const cancelled = deferred<ConsumeMessage | null>();
    const { consumerTag } = await ch.consume(q, (m) => cancelled.resolve(m));
    const serverCancel = deferred<string>();
    ch.on('cancel', (fields: { consumerTag: string }) => serverCancel.resolve(fields.consumerTag));
    const other = await openChannel(conn);
    await other.deleteQueue(q);
    assert.equal(await cancelled.promise, null);
    assert.equal(await serverCancel.promise, consumerTag);
    // the consumer's channel stays open
    await ch.checkExchange('amq.direct');
    await other.close();
    await ch.close();
  });

  test('a no-ack consumer gets messages that are removed from the queue at once', async () => {
    const { ch, q } = await channelWithQueue('consume.noack');
    const seen = new AsyncQueue<ConsumeMessage>();
    await ch.consume(q, (m) => { if (m) seen.push(m); }, { noAck: true });
    for (let i = 1; i <= 3; i++) ch.sendToQueue(q, Buffer.from(`m${i}`));
    const msgs = await seen.take(3);
    assert.deepEqual(msgs.map((m) => m.content.toString()), ['m1', 'm2', 'm3']);
    assert.deepEqual(msgs.map((m) => m.fields.deliveryTag), [1, 2, 3]);
    assert.ok(msgs.every((m) => m.fields.redelivered === false));
    await ch.close();
    // closing the channel does not bring them back: they were never unacked
    const ch2 = await openChannel(conn);
    assert.equal((await ch2.checkQueue(q)).messageCount, 0);
    await ch2.close();
  });

  test('basic.get reports the remaining message count and get-empty when the queue is empty', async () => {
    const { ch, q } = await channelWithQueue('consume.get');
    for (let i = 1; i <= 3; i++) ch.sendToQueue(q, Buffer.from(`m${i}`));
    const counts: number[] = [];
    const bodies: string[] = [];
    const tags: number[] = [];
    for (let i = 0; i < 3; i++) {
      const m = await ch.get(q, { noAck: true });
      assert.ok(m);
      counts.push(m.fields.messageCount);
      bodies.push(m.content.toString());
      tags.push(m.fields.deliveryTag);
      assert.equal(m.fields.redelivered, false);
      assert.equal(m.fields.exchange, '');
      assert.equal(m.fields.routingKey, q);
    }
    assert.deepEqual(counts, [2, 1, 0]);
    assert.deepEqual(bodies, ['m1', 'm2', 'm3']);
    assert.deepEqual(tags, [1, 2, 3]);
    assert.equal(await ch.get(q), false);
    await ch.close();
  });

  test('basic.get from a missing queue is a 404 NOT_FOUND channel error', async () => {
    const ch = await openChannel(conn);
    const q = uniqueName('consume.getmissing');
    const info = await expectChannelError(conn, ch, () => ch.get(q), {
      code: 404,
      text: `NOT_FOUND - no queue '${q}' in vhost '/'`,
    });
    assert.equal(info.classId, 60);
    assert.equal(info.methodId, 70);
  });

  test('all basic properties round-trip unchanged', async () => {
    const { ch, q } = await channelWithQueue('consume.props');
    const got = deferred<ConsumeMessage>();
    await ch.consume(q, (m) => { if (m) got.resolve(m); }, { noAck: true });
    const headers = {
      str: 'hello ✓',
      byte: 7,
      short: -300,
      int: 70000,
      long: 2 ** 40,
      negLong: -(2 ** 40),
      double: 1.5,
      float: { '!': 'float', value: 0.25 },
      yes: true,
      no: false,
      nothing: null,
      bytes: Buffer.from([0, 1, 2, 255]),
      when: { '!': 'timestamp', value: 1_600_000_000 },
      dec: { '!': 'decimal', value: { places: 2, digits: 12345 } },
      ubyte: { '!': 'unsignedbyte', value: 200 },
      ushort: { '!': 'unsignedshort', value: 60000 },
      uint: { '!': 'unsignedint', value: 4_000_000_000 },
      nested: { inner: { deep: 'yes', n: 1 }, list: [1, 'two', true, { t: 3 }] },
      arr: [1, 2.5, 'x', false, [3, 4], { k: 'v' }, Buffer.from('ab'), null],
      empty: {},
      emptyArr: [],
    };
    ch.sendToQueue(q, Buffer.from('{"a":1}'), {
      contentType: 'application/json',
      contentEncoding: 'identity',
      headers,
      deliveryMode: 2,
      priority: 5,
      correlationId: 'corr-1',
      replyTo: 'reply.queue',
      expiration: '86400000',
      messageId: 'msg-1',
      timestamp: 1_700_000_000,
      type: 'my.type',
      userId: 'guest',
      appId: 'warren-tests',
    });
    const m = await got.promise;
    const p = m.properties;
    assert.equal(p.contentType, 'application/json');
    assert.equal(p.contentEncoding, 'identity');
    assert.equal(p.deliveryMode, 2);
    assert.equal(p.priority, 5);
    assert.equal(p.correlationId, 'corr-1');
    assert.equal(p.replyTo, 'reply.queue');
    assert.equal(p.expiration, '86400000');
    assert.equal(p.messageId, 'msg-1');
    assert.equal(p.timestamp, 1_700_000_000);
    assert.equal(p.type, 'my.type');
    assert.equal(p.userId, 'guest');
    assert.equal(p.appId, 'warren-tests');
    assert.equal(p.clusterId, undefined);
    assert.deepEqual(p.headers, {
      str: 'hello ✓',
      byte: 7,
      short: -300,
      int: 70000,
      long: 2 ** 40,
      negLong: -(2 ** 40),
      double: 1.5,
      float: 0.25,
      yes: true,
      no: false,
      nothing: null,
      bytes: Buffer.from([0, 1, 2, 255]),
      when: { '!': 'timestamp', value: 1_600_000_000 },
      dec: { '!': 'decimal', value: { places: 2, digits: 12345 } },
      ubyte: 200,
      ushort: 60000,
      uint: 4_000_000_000,
      nested: { inner: { deep: 'yes', n: 1 }, list: [1, 'two', true, { t: 3 }] },
      arr: [1, 2.5, 'x', false, [3, 4], { k: 'v' }, Buffer.from('ab'), null],
      empty: {},
      emptyArr: [],
    });
    assert.equal(m.content.toString(), '{"a":1}');
    await ch.close();
  });

  test('the broker adds no properties to a message published without them', async () => {
    const { ch, q } = await channelWithQueue('consume.noprops');
    ch.sendToQueue(q, Buffer.from('bare'));
    const m = await ch.get(q, { noAck: true });
    assert.ok(m);
    for (const [key, value] of Object.entries(m.properties)) {
      // amqplib always publishes a (here empty) headers table
      if (key === 'headers') assert.deepEqual(value, {});
      else assert.equal(value, undefined, `property ${key}`);
    }
    await ch.close();
  });

  test('user-id other than the authenticated user is a 406 PRECONDITION_FAILED channel error', async () => {
    const { ch, q } = await channelWithQueue('consume.userid');
    await expectChannelError(conn, ch, () => ch.sendToQueue(q, Buffer.from('x'), { userId: 'mallory' }), {
      code: 406,
      text: "PRECONDITION_FAILED - user_id property set to 'mallory' but authenticated user was 'guest'",
    });
  });

  test('deliveries carry the exchange and the publish routing key', async () => {
    const { ch, q } = await channelWithQueue('consume.routing');
    const seen = new AsyncQueue<ConsumeMessage>();
    await ch.bindQueue(q, 'amq.topic', 'orders.*');
    await ch.bindQueue(q, 'amq.direct', q);
    await ch.consume(q, (m) => { if (m) seen.push(m); }, { noAck: true });
    ch.publish('amq.topic', 'orders.created', Buffer.from('t'));
    ch.publish('amq.direct', q, Buffer.from('d'));
    ch.sendToQueue(q, Buffer.from('default'));
    const msgs = await seen.take(3);
    assert.deepEqual(
      msgs.map((m) => [m.content.toString(), m.fields.exchange, m.fields.routingKey]),
      [
        ['t', 'amq.topic', 'orders.created'],
        ['d', 'amq.direct', q],
        ['default', '', q],
      ],
    );
    await ch.close();
  });

  test('an empty body is delivered as an empty body', async () => {
    const { ch, q } = await channelWithQueue('consume.empty');
    // through basic.get
    ch.sendToQueue(q, Buffer.alloc(0), { messageId: 'got' });
    const viaGet = await ch.get(q, { noAck: true });
    assert.ok(viaGet);
    assert.equal(viaGet.content.length, 0);
    assert.equal(viaGet.properties.messageId, 'got');
    // through basic.deliver
    const got = deferred<ConsumeMessage>();
    await ch.consume(q, (m) => { if (m) got.resolve(m); }, { noAck: true });
    ch.sendToQueue(q, Buffer.alloc(0), { messageId: 'delivered' });
    const m = await got.promise;
    assert.equal(m.content.length, 0);
    assert.equal(m.properties.messageId, 'delivered');
    await ch.close();
  });

  test('a 1 MiB body spanning many frames arrives intact', async () => {
    // frame_max 4096 (the protocol minimum) makes the body span ~257 content frames each way
    const url = new URL(broker.url);
    url.searchParams.set('frameMax', '4096');
    const c = await connect(url.toString());
    try {
      const ch = await openChannel(c);
      const q = uniqueName('consume.large');
      await ch.assertQueue(q, { exclusive: true });
      const payload = Buffer.alloc(1024 * 1024);
      for (let i = 0; i < payload.length; i++) payload[i] = (i * 31 + (i >> 8)) & 0xff;
      const got = deferred<ConsumeMessage>();
      await ch.consume(q, (m) => { if (m) got.resolve(m); }, { noAck: true });
      ch.sendToQueue(q, payload);
      const m = await got.promise;
      assert.equal(m.content.length, payload.length);
      assert.ok(m.content.equals(payload));
      // and back out through basic.get
      await ch.cancel(m.fields.consumerTag);
      ch.sendToQueue(q, payload);
      const viaGet = await ch.get(q, { noAck: true });
      assert.ok(viaGet);
      assert.ok(viaGet.content.equals(payload));
    } finally {
      await closeQuietly(c);
    }
  });

  test('publishing with immediate=true is a 540 NOT_IMPLEMENTED connection error', async () => {
    // amqplib cannot set the immediate bit; @cloudamqp/amqp-client can
    const client = new AMQPClient(broker.url);
    const closed = deferred<unknown>();
    client.onerror = (err) => closed.resolve(err);
    await client.connect();
    try {
      const ch = await client.channel();
      const q = uniqueName('consume.immediate');
      await ch.queueDeclare(q, { exclusive: true });
      await ch.basicPublish('', q, 'hi', {}, false, true).catch(() => {});
      const info = amqpClientClose(await closed.promise);
      assert.equal(info.level, 'connection');
      assert.equal(info.code, 540);
      assert.equal(info.text, 'NOT_IMPLEMENTED - immediate=true');
      assert.equal(client.closed, true);
    } finally {
      await client.close().catch(() => {});
    }
  });
});
