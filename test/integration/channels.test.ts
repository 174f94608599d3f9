// Channel lifecycle: many channels per connection, channel errors staying on their channel,
// channel.flow, reopening, and channel_max — pinned against RabbitMQ 3.10.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ChannelModel, ConsumeMessage } from 'amqplib';
import { AMQPChannel, AMQPClient } from '@cloudamqp/amqp-client';
import { testBroker, uniqueName, type TestBroker } from '../helpers/broker.js';
import {
  AsyncQueue,
  amqpClientClose,
  assertClose,
  closeQuietly,
  connect,
  deferred,
  expectChannelError,
  openChannel,
  openConfirmChannel,
  type ExpectedClose,
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

function urlWith(params: Record<string, string>): string {
  const url = new URL(broker.url);
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  return url.toString();
}

/** A connected @cloudamqp/amqp-client whose first server error is captured. */
async function clientConnection(url = broker.url) {
  const client = new AMQPClient(url);
  const firstError = deferred<unknown>();
  client.onerror = (err) => firstError.resolve(err);
  await client.connect();
  return { client, firstError: firstError.promise };
}

/** Runs action and expects the server to close the amqp-client connection with the given error. */
async function expectClientConnectionError(
  c: { client: AMQPClient; firstError: Promise<unknown> },
  action: () => Promise<unknown>,
  expected: ExpectedClose,
) {
  await action().catch(() => {});
  const info = amqpClientClose(await c.firstError);
  assert.equal(info.level, 'connection');
  assertClose(info, expected);
  assert.equal(c.client.closed, true);
}

describe('channels', () => {
  test('many channels on one connection work independently', async () => {
    const n = 200;
    const channels = await Promise.all(Array.from({ length: n }, () => openChannel(conn)));
    const results = await Promise.all(
      channels.map(async (ch, i) => {
        const q = uniqueName(`channels.many${i}`);
        await ch.assertQueue(q, { exclusive: true });
        ch.sendToQueue(q, Buffer.from(`on channel ${i}`));
        const m = await ch.get(q, { noAck: true });
        return m ? m.content.toString() : null;
      }),
    );
    assert.deepEqual(results, channels.map((_, i) => `on channel ${i}`));
    await Promise.all(channels.map((ch) => ch.close()));
  });

  test('a channel error closes only that channel: a consumer on another channel keeps consuming', async () => {
    const consumerCh = await openChannel(conn);
    const q = uniqueName('channels.survivor');
    await consumerCh.assertQueue(q, { exclusive: true });
    const seen = new AsyncQueue<string>();
    await consumerCh.consume(q, (m) => { if (m) seen.push(m.content.toString()); }, { noAck: true });
    const pub = await openChannel(conn);
    pub.sendToQueue(q, Buffer.from('before'));
    assert.equal(await seen.next(), 'before');

    const bad = await openChannel(conn);
    await expectChannelError(conn, bad, () => bad.checkQueue(uniqueName('channels.missing')), { code: 404 });

    pub.sendToQueue(q, Buffer.from('after'));
    assert.equal(await seen.next(), 'after');
    assert.equal((await consumerCh.checkQueue(q)).consumerCount, 1);
    await pub.close();
    await consumerCh.close();
  });

  test('a channel error requeues only that channel’s unacked messages', async () => {
    const setup = await openChannel(conn);
    const q = uniqueName('channels.requeue');
    await setup.assertQueue(q, { exclusive: true });
    for (const b of ['m1', 'm2', 'm3']) setup.sendToQueue(q, Buffer.from(b));
    const keeper = await openChannel(conn);
    const kept = await keeper.get(q); // m1, unacked on keeper
    assert.equal(kept && kept.content.toString(), 'm1');
    const bad = await openChannel(conn);
    const lost = await bad.get(q); // m2, unacked on bad
    assert.equal(lost && lost.content.toString(), 'm2');
    await expectChannelError(conn, bad, () => bad.checkQueue(uniqueName('channels.missing')), { code: 404 });
    const rest: string[] = [];
    for (;;) {
      const m = await setup.get(q, { noAck: true });
      if (!m) break;
      rest.push(m.content.toString() + (m.fields.redelivered ? '*' : ''));
    }
    assert.deepEqual(rest, ['m2*', 'm3']);
    // the other channel's delivery is still unacked and still ackable
    assert.ok(kept);
    keeper.ack(kept);
    await keeper.close();
    assert.equal(await setup.get(q), false);
    await setup.close();
  });

  test('a channel error on one connection does not disturb another connection', async () => {
    const other = await connect(broker.url);
    try {
      const ch2 = await openChannel(other);
      const q = uniqueName('channels.otherconn');
      await ch2.assertQueue(q, { exclusive: true });
      const seen = new AsyncQueue<ConsumeMessage>();
      await ch2.consume(q, (m) => { if (m) seen.push(m); }, { noAck: true });

      const bad = await openChannel(conn);
      const missing = uniqueName('channels.missing');
      await expectChannelError(conn, bad, () => bad.checkQueue(missing), {
        code: 404,
        text: `NOT_FOUND - no queue '${missing}' in vhost '/'`,
      });

      const pub = await openChannel(other);
      pub.sendToQueue(q, Buffer.from('still here'));
      assert.equal((await seen.next()).content.toString(), 'still here');
      await pub.close();
    } finally {
      await closeQuietly(other);
    }
  });

  test('a channel can be reopened after a channel error, under the same channel number', async () => {
    const c = await clientConnection();
    try {
      const ch = await c.client.channel(5);
      const err = await ch.queueDeclare(uniqueName('channels.missing'), { passive: true }).then(
        () => undefined,
        (e: unknown) => e,
      );
      const info = amqpClientClose(err);
      assert.equal(info.level, 'channel');
      assert.equal(info.code, 404);
      assert.equal(ch.closed, true);
      const again = await c.client.channel(5);
      assert.equal(again.id, 5);
      const ok = await again.queueDeclare('', { exclusive: true });
      assert.match(ok.name, /^amq\.gen-/);
      await again.close();
    } finally {
      await c.client.close().catch(() => {});
    }
  });

  test('an amqplib channel can be replaced after a channel error on the same connection', async () => {
    const ch = await openChannel(conn);
    await expectChannelError(conn, ch, () => ch.checkExchange(uniqueName('channels.nox')), { code: 404 });
    const fresh = await openConfirmChannel(conn);
    const q = uniqueName('channels.fresh');
    await fresh.assertQueue(q, { exclusive: true });
    fresh.sendToQueue(q, Buffer.from('x'));
    await fresh.waitForConfirms();
    assert.equal((await fresh.checkQueue(q)).messageCount, 1);
    await fresh.close();
  });

  test('channel.flow(active=true) is answered with flow-ok(active=true)', async () => {
    // amqplib has no channel.flow; @cloudamqp/amqp-client's basicFlow sends channel.flow
    const c = await clientConnection();
    try {
      const ch = await c.client.channel();
      assert.equal(await ch.basicFlow(true), true);
      const ok = await ch.queueDeclare('', { exclusive: true });
      await ch.basicPublish('', ok.name, 'still flowing');
      const m = await ch.basicGet(ok.name);
      assert.equal(m?.bodyString(), 'still flowing');
      await ch.close();
    } finally {
      await c.client.close().catch(() => {});
    }
  });

  test('channel.flow(active=false) is a 540 NOT_IMPLEMENTED connection error', async () => {
    const c = await clientConnection();
    try {
      const ch = await c.client.channel();
      await expectClientConnectionError(c, () => ch.basicFlow(false), {
        code: 540,
        text: 'NOT_IMPLEMENTED - active=false',
      });
    } finally {
      await c.client.close().catch(() => {});
    }
  });

  test('the server proposes channel_max 2047', async () => {
    // amqp-client takes the server's value when it asks for no limit itself
    const c = await clientConnection();
    try {
      assert.equal(c.client.channelMax, 2047);
    } finally {
      await c.client.close();
    }
  });

  test('opening more channels than the negotiated channel_max is a 530 NOT_ALLOWED connection error', async () => {
    const c = await clientConnection(urlWith({ channelMax: '3' }));
    try {
      assert.equal(c.client.channelMax, 3);
      const ids = [];
      for (let i = 0; i < 3; i++) ids.push((await c.client.channel()).id);
      assert.deepEqual(ids, [1, 2, 3]);
      c.client.channelMax = 0; // lift the client-side guard so channel.open 4 reaches the server
      await expectClientConnectionError(c, () => c.client.channel(4), {
        code: 530,
        text: 'NOT_ALLOWED - number of channels opened (3) has reached the negotiated channel_max (3)',
      });
    } finally {
      await c.client.close().catch(() => {});
    }
  });

  test('channel_max limits how many channels are open, not their numbers', async () => {
    // with channel_max 3, channel number 100 opens fine while fewer than 3 are open,
    // and closing a channel makes room for another
    const c = await clientConnection(urlWith({ channelMax: '3' }));
    try {
      c.client.channelMax = 0;
      const high = await c.client.channel(100);
      assert.equal(high.id, 100);
      await high.queueDeclare('', { exclusive: true });
      const a = await c.client.channel(1);
      const b = await c.client.channel(2);
      await b.close();
      const again = await c.client.channel(3);
      await again.queueDeclare('', { exclusive: true });
      await a.close();
      await again.close();
      await high.close();
      assert.equal(c.client.closed, false);
    } finally {
      await c.client.close().catch(() => {});
    }
  });

  test('channel.open on a channel number that is already open is a 504 CHANNEL_ERROR connection error', async () => {
    const c = await clientConnection();
    try {
      await c.client.channel(5);
      delete (c.client.channels as Array<AMQPChannel | undefined>)[5]; // forget it client-side only
      await expectClientConnectionError(c, () => c.client.channel(5), {
        code: 504,
        text: "CHANNEL_ERROR - second 'channel.open' seen",
      });
    } finally {
      await c.client.close().catch(() => {});
    }
  });

  test('a method on a channel that was never opened is a 504 CHANNEL_ERROR connection error', async () => {
    const c = await clientConnection();
    try {
      const unopened = new AMQPChannel(c.client, 7);
      c.client.channels[7] = unopened;
      await expectClientConnectionError(c, () => unopened.queueDeclare('', { exclusive: true }), {
        code: 504,
        text: "CHANNEL_ERROR - expected 'channel.open'",
      });
    } finally {
      await c.client.close().catch(() => {});
    }
  });
});
