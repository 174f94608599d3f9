// Direct reply-to (the amq.rabbitmq.reply-to pseudo-queue), pinned to RabbitMQ 3.10.
// See docs/notes-rabbitmq-consumers.md for the facts these tests encode.
//
// The requester consumes from 'amq.rabbitmq.reply-to' in no-ack mode and publishes its request with
// reply_to = 'amq.rabbitmq.reply-to'. The broker rewrites that property to
// 'amq.rabbitmq.reply-to.<channel id>.<key>' and a responder publishing to the default exchange with
// that routing key reaches the requester's channel directly (no queue involved).
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Channel, ChannelModel, ConfirmChannel, ConsumeMessage, Message } from 'amqplib';
import { testBroker, uniqueName, type TestBroker } from '../helpers/broker.js';
import {
  AsyncQueue,
  assertClose,
  closeQuietly,
  connect,
  connectionClosed,
  openChannel,
  openConfirmChannel,
} from '../helpers/amqp-expect.js';
import { expectChannelError, quoted } from '../helpers/amqp-errors.js';

/** A test waiting for a delivery that never comes fails after this instead of hanging the whole file. */
const LIMIT = { timeout: 10_000 };

const REPLY_TO = 'amq.rabbitmq.reply-to';
/** what a responder sees in reply_to: the prefix, a base64 channel id, and a base64 key of 16 random bytes */
const REWRITTEN = /^amq\.rabbitmq\.reply-to\.[A-Za-z0-9+/]+={0,2}\.[A-Za-z0-9+/]{22}==$/;

let broker: TestBroker;
let conn: ChannelModel;
/** the responder side: a confirm channel, so replies are known to be processed once confirmed */
let responder: ConfirmChannel;
let returns: AsyncQueue<Message>;

before(async () => {
  broker = await testBroker();
  conn = await connect(broker.url);
  responder = await openConfirmChannel(conn);
  returns = new AsyncQueue<Message>();
  responder.on('return', (m: Message) => returns.push(m));
});

after(async () => {
  await closeQuietly(conn);
  await broker.close();
});

interface Requester {
  ch: Channel;
  tag: string;
  replies: AsyncQueue<ConsumeMessage>;
}

async function requester(c: ChannelModel = conn): Promise<Requester> {
  const ch = await openChannel(c);
  const replies = new AsyncQueue<ConsumeMessage>();
  const { consumerTag } = await ch.consume(REPLY_TO, (m) => { if (m) replies.push(m); }, { noAck: true });
  return { ch, tag: consumerTag, replies };
}

/** A request queue the responder reads with basic.get. */
async function requestQueue(): Promise<string> {
  const q = uniqueName('drt.requests');
  await responder.assertQueue(q, { exclusive: true });
  return q;
}

/** Sends a request from ch (reply_to = amq.rabbitmq.reply-to) and returns the request as the responder sees it. */
async function request(ch: Channel, q: string, body = 'ping', correlationId = 'c1'): Promise<Message> {
  ch.sendToQueue(q, Buffer.from(body), { replyTo: REPLY_TO, correlationId });
  await ch.checkQueue(q); // barrier: the request is enqueued
  const m = await responder.get(q, { noAck: true });
  assert.ok(m, 'the request reached the queue');
  return m;
}

/** Publishes with confirms from the responder; resolves once the broker has dealt with it. */
async function reply(routingKey: string, body: string, opts: { mandatory?: boolean; exchange?: string; correlationId?: string } = {}) {
  responder.publish(opts.exchange ?? '', routingKey, Buffer.from(body), {
    mandatory: opts.mandatory ?? false,
    ...(opts.correlationId ? { correlationId: opts.correlationId } : {}),
  });
  await responder.waitForConfirms();
}

/**
 * Runs action (which must end with a round trip) on a fresh connection and expects the server to close
 * that connection with code and exactly text. Fails at once if the action completes instead.
 */
async function expectConnectionClose(action: (ch: Channel) => Promise<unknown>, code: number, text: string): Promise<void> {
  const c = await connect(broker.url);
  const ch = await openChannel(c);
  const closed = connectionClosed(c);
  closed.catch(() => {}); // observed below, or abandoned when the action completes
  let completed = false;
  try {
    await action(ch);
    completed = true;
  } catch {
    // the round trip fails because the connection went away
  }
  if (completed) {
    await closeQuietly(c);
    assert.fail(`expected connection.close ${code}, but the action completed`);
  }
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`expected connection.close ${code}; the connection is still open`)), 2000);
  });
  try {
    assertClose(await Promise.race([closed, timeout]), { code, text });
  } finally {
    clearTimeout(timer);
    await closeQuietly(c);
  }
}

describe('direct reply-to: round trip', () => {
  test('the responder sees reply_to rewritten; the reply reaches the requester on its reply consumer', LIMIT, async () => {
    const r = await requester();
    const q = await requestQueue();
    const req = await request(r.ch, q, 'ping', 'corr-1');
    const rt = req.properties.replyTo as string;
    assert.match(rt, REWRITTEN);
    assert.equal(req.properties.correlationId, 'corr-1');
    assert.equal(Buffer.from(rt.split('.').pop()!, 'base64').length, 16);

    responder.sendToQueue(rt, Buffer.from('pong'), { correlationId: 'corr-1', headers: { h: 'v' }, contentType: 'text/plain' });
    await responder.waitForConfirms();
    const m = await r.replies.next();
    assert.equal(m.content.toString(), 'pong');
    assert.deepEqual(
      { ...m.fields, deliveryTag: undefined },
      { consumerTag: r.tag, deliveryTag: undefined, redelivered: false, exchange: '', routingKey: rt },
    );
    assert.equal(m.properties.correlationId, 'corr-1');
    assert.equal(m.properties.contentType, 'text/plain');
    assert.deepEqual(m.properties.headers, { h: 'v' });
    assert.equal(m.properties.replyTo, undefined);
    await r.ch.close();
  });

  test('every request of a channel carries the same reply_to; another channel gets another one', LIMIT, async () => {
    const a = await requester();
    const b = await requester();
    const q = await requestQueue();
    const rt1 = (await request(a.ch, q)).properties.replyTo as string;
    const rt2 = (await request(a.ch, q)).properties.replyTo as string;
    const rt3 = (await request(b.ch, q)).properties.replyTo as string;
    assert.equal(rt1, rt2);
    assert.notEqual(rt1, rt3);
    assert.match(rt3, REWRITTEN);
    // replies to each key go to the right channel
    await reply(rt3, 'for-b');
    await reply(rt1, 'for-a');
    assert.equal((await a.replies.next()).content.toString(), 'for-a');
    assert.equal((await b.replies.next()).content.toString(), 'for-b');
    assert.equal(a.replies.all.length + b.replies.all.length, 2);
    await Promise.all([a.ch.close(), b.ch.close()]);
  });

  test('consuming again after a cancel gives a new key (same channel part)', LIMIT, async () => {
    const r = await requester();
    const q = await requestQueue();
    const rt1 = (await request(r.ch, q)).properties.replyTo as string;
    await r.ch.cancel(r.tag);
    await r.ch.consume(REPLY_TO, () => {}, { noAck: true });
    const rt2 = (await request(r.ch, q)).properties.replyTo as string;
    assert.notEqual(rt1, rt2);
    const prefix = (k: string) => k.slice(0, k.lastIndexOf('.'));
    assert.equal(prefix(rt1), prefix(rt2));
    await r.ch.close();
  });

  test("a reply's delivery tag is the channel's next tag, which it does not use up", LIMIT, async () => {
    const r = await requester();
    const q = await requestQueue();
    const rt = (await request(r.ch, q)).properties.replyTo as string;
    // the requester channel takes delivery tag 1 with a basic.get
    responder.sendToQueue(q, Buffer.from('g1'));
    await responder.waitForConfirms();
    const g1 = await r.ch.get(q, { noAck: false });
    assert.ok(g1);
    assert.equal(g1.fields.deliveryTag, 1);
    await reply(rt, 'r1');
    await reply(rt, 'r2');
    // a channel may publish to its own reply key
    r.ch.sendToQueue(rt, Buffer.from('self'));
    await r.ch.checkExchange('amq.direct');
    const replies = await r.replies.take(3);
    assert.deepEqual(
      replies.map((m) => [m.content.toString(), m.fields.deliveryTag]),
      [['r1', 2], ['r2', 2], ['self', 2]],
    );
    // tag 2 is still free: the next basic.get gets it
    responder.sendToQueue(q, Buffer.from('g2'));
    await responder.waitForConfirms();
    const g2 = await r.ch.get(q, { noAck: false });
    assert.ok(g2);
    assert.equal(g2.fields.deliveryTag, 2);
    await reply(rt, 'r3');
    assert.equal((await r.replies.next()).fields.deliveryTag, 3);
    r.ch.ack(g2, true);
    await r.ch.close();
  });

  test('a mandatory reply is delivered and still returned with 312 NO_ROUTE', LIMIT, async () => {
    const r = await requester();
    const q = await requestQueue();
    const rt = (await request(r.ch, q)).properties.replyTo as string;
    const before = returns.all.length;
    await reply(rt, 'mandatory-reply', { mandatory: true });
    assert.equal((await r.replies.next()).content.toString(), 'mandatory-reply');
    assert.equal(returns.all.length, before + 1);
    const ret = await returns.next();
    assert.equal(ret.content.toString(), 'mandatory-reply');
    assert.deepEqual(ret.fields, { replyCode: 312, replyText: 'NO_ROUTE', exchange: '', routingKey: rt });
    await r.ch.close();
  });

  test('only the default exchange delivers to a reply key: via amq.direct it is unroutable', LIMIT, async () => {
    const r = await requester();
    const q = await requestQueue();
    const rt = (await request(r.ch, q)).properties.replyTo as string;
    const before = returns.all.length;
    await reply(rt, 'via-direct', { mandatory: true, exchange: 'amq.direct' });
    assert.equal(returns.all.length, before + 1);
    const ret = await returns.next();
    assert.deepEqual(ret.fields, { replyCode: 312, replyText: 'NO_ROUTE', exchange: 'amq.direct', routingKey: rt });
    await r.ch.checkExchange('amq.direct');
    assert.equal(r.replies.all.length, 0);
    await r.ch.close();
  });
});

describe('direct reply-to: gone, wrong and malformed keys', () => {
  test('a reply to a closed channel is dropped silently (confirmed); a mandatory one is returned 312 NO_ROUTE', LIMIT, async () => {
    const r = await requester();
    const q = await requestQueue();
    const rt = (await request(r.ch, q)).properties.replyTo as string;
    await r.ch.close();
    const before = returns.all.length;
    await reply(rt, 'late');
    assert.equal(returns.all.length, before);
    await reply(rt, 'late-mandatory', { mandatory: true });
    assert.equal(returns.all.length, before + 1);
    const ret = await returns.next();
    assert.equal(ret.content.toString(), 'late-mandatory');
    assert.deepEqual(ret.fields, { replyCode: 312, replyText: 'NO_ROUTE', exchange: '', routingKey: rt });
  });

  test('a reply to the old key of a channel that cancelled its reply consumer, or to a wrong key, is dropped', LIMIT, async () => {
    const r = await requester();
    const q = await requestQueue();
    const rt = (await request(r.ch, q)).properties.replyTo as string;
    const wrongKey = `${rt.slice(0, rt.lastIndexOf('.') + 1)}AAAAAAAAAAAAAAAAAAAAAA==`;
    const before = returns.all.length;
    await reply(wrongKey, 'wrong-key', { mandatory: true });
    await r.ch.cancel(r.tag);
    await reply(rt, 'after-cancel', { mandatory: true });
    assert.deepEqual(
      (await returns.take(2)).map((m) => [m.content.toString(), (m.fields as unknown as { replyCode: number }).replyCode]),
      [['wrong-key', 312], ['after-cancel', 312]],
    );
    assert.equal(returns.all.length, before + 2);
    await r.ch.checkExchange('amq.direct');
    assert.equal(r.replies.all.length, 0);
    await r.ch.close();
  });

  for (const key of ['amq.rabbitmq.reply-to.garbage', 'amq.rabbitmq.reply-to.a.b.c', 'amq.rabbitmq.reply-to.', REPLY_TO]) {
    test(`publishing to '${key}' is dropped (confirmed; mandatory: returned 312 NO_ROUTE), the channel stays open`, LIMIT, async () => {
      const before = returns.all.length;
      await reply(key, 'x');
      await reply(key, 'x-mandatory', { mandatory: true });
      const ret = await returns.next();
      assert.equal(ret.content.toString(), 'x-mandatory');
      assert.deepEqual(ret.fields, { replyCode: 312, replyText: 'NO_ROUTE', exchange: '', routingKey: key });
      assert.equal(returns.all.length, before + 1);
      await responder.checkExchange('amq.direct');
    });
  }

  // RabbitMQ splits what follows the prefix at '.'; with exactly two parts it base64-decodes the first
  // into an Erlang term. When that fails the channel process crashes and the whole connection is
  // closed with 541 INTERNAL_ERROR (reply text just "INTERNAL_ERROR").
  for (const key of ['amq.rabbitmq.reply-to.abc.def', 'amq.rabbitmq.reply-to.AAAA.BBBB']) {
    test(`publishing to the malformed key '${key}' closes the connection with 541 INTERNAL_ERROR`, LIMIT, async () => {
      await expectConnectionClose(
        async (ch) => {
          ch.sendToQueue(key, Buffer.from('x'));
          await ch.checkExchange('amq.direct');
        },
        541,
        'INTERNAL_ERROR',
      );
    });
  }

  test("declaring the malformed key 'amq.rabbitmq.reply-to.abc.def' closes the connection with 541 INTERNAL_ERROR", LIMIT, async () => {
    await expectConnectionClose((ch) => ch.checkQueue('amq.rabbitmq.reply-to.abc.def'), 541, 'INTERNAL_ERROR');
  });
});

describe('direct reply-to: errors', () => {
  test('consuming from amq.rabbitmq.reply-to in ack mode is 406', LIMIT, async () => {
    await expectChannelError(
      conn,
      (ch) => ch.consume(REPLY_TO, () => {}, { noAck: false }),
      406,
      /^PRECONDITION_FAILED - reply consumer cannot acknowledge$/,
      { method: 'basic.consume' },
    );
  });

  test('a second reply consumer on the same channel is 406', LIMIT, async () => {
    await expectChannelError(
      conn,
      async (ch) => {
        await ch.consume(REPLY_TO, () => {}, { noAck: true });
        await ch.consume(REPLY_TO, () => {}, { noAck: true });
      },
      406,
      /^PRECONDITION_FAILED - reply consumer already set$/,
      { method: 'basic.consume' },
    );
  });

  test('reply consumers on different channels of a connection are fine; exclusive and a chosen tag are accepted', LIMIT, async () => {
    const a = await openChannel(conn);
    const b = await openChannel(conn);
    assert.deepEqual(await a.consume(REPLY_TO, () => {}, { noAck: true, consumerTag: 'my-reply-tag' }), {
      consumerTag: 'my-reply-tag',
    });
    const { consumerTag } = await b.consume(REPLY_TO, () => {}, { noAck: true, exclusive: true });
    assert.match(consumerTag, /^amq\.ctag-/);
    assert.deepEqual(await a.cancel('my-reply-tag'), { consumerTag: 'my-reply-tag' });
    await Promise.all([a.close(), b.close()]);
  });

  test('publishing with reply_to amq.rabbitmq.reply-to without a reply consumer on the channel is 406', LIMIT, async () => {
    const q = await requestQueue();
    await expectChannelError(
      conn,
      (ch) => {
        ch.sendToQueue(q, Buffer.from('ping'), { replyTo: REPLY_TO });
      },
      406,
      /^PRECONDITION_FAILED - fast reply consumer does not exist$/,
      { method: 'basic.publish' },
    );
    // nothing was enqueued
    assert.deepEqual(await responder.checkQueue(q), { queue: q, messageCount: 0, consumerCount: 0 });
  });

  test('the same after the reply consumer was cancelled', LIMIT, async () => {
    const q = await requestQueue();
    await expectChannelError(
      conn,
      async (ch) => {
        await ch.consume(REPLY_TO, () => {}, { noAck: true, consumerTag: 'gone' });
        await ch.cancel('gone');
        ch.sendToQueue(q, Buffer.from('ping'), { replyTo: REPLY_TO });
      },
      406,
      /^PRECONDITION_FAILED - fast reply consumer does not exist$/,
      { method: 'basic.publish' },
    );
  });

  test('a reply consumer on another channel does not count', LIMIT, async () => {
    const r = await requester();
    const q = await requestQueue();
    await expectChannelError(
      conn,
      (ch) => {
        ch.sendToQueue(q, Buffer.from('ping'), { replyTo: REPLY_TO });
      },
      406,
      /^PRECONDITION_FAILED - fast reply consumer does not exist$/,
    );
    await r.ch.close();
  });

  test('other reply_to values are passed through untouched', LIMIT, async () => {
    const ch = await openChannel(conn);
    const q = await requestQueue();
    for (const replyTo of ['amq.rabbitmq.reply-to.foo', 'AMQ.RABBITMQ.REPLY-TO', 'some-queue']) {
      ch.sendToQueue(q, Buffer.from('x'), { replyTo });
      await ch.checkQueue(q);
      const m = await responder.get(q, { noAck: true });
      assert.ok(m);
      assert.equal(m.properties.replyTo, replyTo);
    }
    await ch.close();
  });

  test('basic.get from amq.rabbitmq.reply-to is 404', LIMIT, async () => {
    await expectChannelError(
      conn,
      (ch) => ch.get(REPLY_TO, { noAck: true }),
      404,
      /^NOT_FOUND - no queue 'amq\.rabbitmq\.reply-to' in vhost '\/'$/,
      { method: 'basic.get' },
    );
  });

  test('binding or purging amq.rabbitmq.reply-to is 404; deleting it answers delete-ok(0)', LIMIT, async () => {
    const text = /^NOT_FOUND - no queue 'amq\.rabbitmq\.reply-to' in vhost '\/'$/;
    await expectChannelError(conn, (ch) => ch.bindQueue(REPLY_TO, 'amq.direct', 'k'), 404, text, { method: 'queue.bind' });
    await expectChannelError(conn, (ch) => ch.purgeQueue(REPLY_TO), 404, text, { method: 'queue.purge' });
    const ch = await openChannel(conn);
    assert.deepEqual(await ch.deleteQueue(REPLY_TO), { messageCount: 0 });
    await ch.close();
  });
});

describe('direct reply-to: queue.declare', () => {
  test('declaring amq.rabbitmq.reply-to (passive or not, any flags) answers 0 messages, 1 consumer, even without a reply consumer', LIMIT, async () => {
    const c = await connect(broker.url);
    const ch = await openChannel(c);
    const ok = { queue: REPLY_TO, messageCount: 0, consumerCount: 1 };
    assert.deepEqual(await ch.checkQueue(REPLY_TO), ok);
    assert.deepEqual(await ch.assertQueue(REPLY_TO), ok);
    assert.deepEqual(await ch.assertQueue(REPLY_TO, { durable: false, exclusive: true, autoDelete: true }), ok);
    await c.close();
  });

  test("declaring a live reply key (from another channel) answers with the key, 0 messages, 1 consumer; 404 once it is gone", LIMIT, async () => {
    const r = await requester();
    const q = await requestQueue();
    const rt = (await request(r.ch, q)).properties.replyTo as string;
    const ch = await openChannel(conn);
    assert.deepEqual(await ch.checkQueue(rt), { queue: rt, messageCount: 0, consumerCount: 1 });
    assert.deepEqual(await ch.assertQueue(rt, { durable: true }), { queue: rt, messageCount: 0, consumerCount: 1 });
    await ch.close();
    await r.ch.close();
    await expectChannelError(
      conn,
      (c) => c.checkQueue(rt),
      404,
      new RegExp(`^NOT_FOUND - no queue ${quoted(rt)} in vhost '/'$`),
      { method: 'queue.declare' },
    );
  });

  test('declaring a reply key with a wrong key part, or after the reply consumer was cancelled, is 404', LIMIT, async () => {
    const r = await requester();
    const q = await requestQueue();
    const rt = (await request(r.ch, q)).properties.replyTo as string;
    const wrongKey = `${rt.slice(0, rt.lastIndexOf('.') + 1)}AAAAAAAAAAAAAAAAAAAAAA==`;
    await expectChannelError(conn, (c) => c.checkQueue(wrongKey), 404, new RegExp(`^NOT_FOUND - no queue ${quoted(wrongKey)} in vhost '/'$`));
    await r.ch.cancel(r.tag);
    await expectChannelError(conn, (c) => c.checkQueue(rt), 404, new RegExp(`^NOT_FOUND - no queue ${quoted(rt)} in vhost '/'$`));
    await r.ch.close();
  });

  for (const name of ['amq.rabbitmq.reply-to.garbage', 'amq.rabbitmq.reply-to.', 'amq.rabbitmq.reply-toX']) {
    test(`declaring '${name}' is 404`, LIMIT, async () => {
      await expectChannelError(
        conn,
        (ch) => ch.checkQueue(name),
        404,
        new RegExp(`^NOT_FOUND - no queue ${quoted(name)} in vhost '/'$`),
        { method: 'queue.declare' },
      );
      // not passive either
      await expectChannelError(conn, (ch) => ch.assertQueue(name), 404, new RegExp(`^NOT_FOUND - no queue ${quoted(name)} in vhost '/'$`));
    });
  }
});
