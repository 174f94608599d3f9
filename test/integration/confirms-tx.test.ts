// Publisher confirms (confirm.select) and transactions (tx.*), pinned against RabbitMQ 3.10.
// amqplib has no tx API, so the transaction tests use @cloudamqp/amqp-client.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ChannelModel, ConfirmChannel, Message } from 'amqplib';
import { AMQPClient, type AMQPChannel, type AMQPMessage } from '@cloudamqp/amqp-client';
import { testBroker, uniqueName, type TestBroker } from '../helpers/broker.js';
import {
  AsyncQueue,
  amqpClientClose,
  assertClose,
  channelClosed,
  closeQuietly,
  connect,
  deferred,
  openConfirmChannel,
  type ExpectedClose,
} from '../helpers/amqp-expect.js';

let broker: TestBroker;
let conn: ChannelModel;
let client: AMQPClient;

before(async () => {
  broker = await testBroker();
  conn = await connect(broker.url);
  client = new AMQPClient(broker.url);
  client.onerror = () => {};
  await client.connect();
});

after(async () => {
  await closeQuietly(conn);
  await client.close().catch(() => {});
  await broker.close();
});

interface ConfirmEvent {
  kind: 'ack' | 'nack';
  deliveryTag: number;
  multiple: boolean;
}

/** Records basic.ack / basic.nack from the broker on a confirm channel. */
function recordConfirms(ch: ConfirmChannel): AsyncQueue<ConfirmEvent> {
  const events = new AsyncQueue<ConfirmEvent>();
  ch.on('ack', (f: { deliveryTag: number; multiple: boolean }) => events.push({ kind: 'ack', ...f }));
  ch.on('nack', (f: { deliveryTag: number; multiple: boolean }) => events.push({ kind: 'nack', ...f }));
  return events;
}

/** Waits until the confirms cover every tag up to last; returns the tags covered, in order of confirmation. */
async function confirmedUpTo(events: AsyncQueue<ConfirmEvent>, last: number): Promise<number[]> {
  const covered: number[] = [];
  let high = 0;
  while (high < last) {
    const e = await events.next();
    assert.equal(e.kind, 'ack');
    assert.ok(e.deliveryTag > high, `confirm tags must increase: ${e.deliveryTag} after ${high}`);
    if (e.multiple) {
      for (let t = high + 1; t <= e.deliveryTag; t++) covered.push(t);
    } else {
      assert.equal(e.deliveryTag, high + 1, 'a single ack skipped an unconfirmed tag (confirms are in order here)');
      covered.push(e.deliveryTag);
    }
    high = e.deliveryTag;
  }
  return covered;
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

/** An amqp-client channel on the shared client, plus an exclusive queue. */
async function clientChannelWithQueue(prefix: string): Promise<{ ch: AMQPChannel; q: string }> {
  const ch = await client.channel();
  const q = uniqueName(prefix);
  await ch.queueDeclare(q, { exclusive: true });
  return { ch, q };
}

/** Ready messages in q, asked on a separate channel. */
async function readyCount(q: string): Promise<number> {
  const ch = await client.channel();
  const ok = await ch.queueDeclare(q, { passive: true });
  await ch.close();
  return ok.messageCount;
}

async function drainBodies(q: string): Promise<string[]> {
  const ch = await client.channel();
  const out: string[] = [];
  for (;;) {
    const m = await ch.basicGet(q, { noAck: true });
    if (!m) break;
    out.push(m.bodyString() ?? '');
  }
  await ch.close();
  return out;
}

/** Expects the action to make the server close ch (an amqp-client channel) with a channel error, the connection surviving. */
async function expectClientChannelError(ch: AMQPChannel, action: () => Promise<unknown>, expected: ExpectedClose) {
  let err: unknown;
  try {
    await action();
  } catch (e) {
    err = e;
  }
  assert.ok(err, 'expected the server to close the channel');
  const info = amqpClientClose(err);
  assert.equal(info.level, 'channel');
  assertClose(info, expected);
  assert.equal(ch.closed, true);
  assert.equal(client.closed, false);
  const probe = await client.channel();
  await probe.queueDeclare('', { exclusive: true });
  await probe.close();
}

describe('publisher confirms', () => {
  test('after confirm.select, publishes are acked with delivery tags counting up from 1', async () => {
    const ch = await openConfirmChannel(conn);
    const events = recordConfirms(ch);
    const q = uniqueName('confirm.tags');
    await ch.assertQueue(q, { exclusive: true });
    for (let i = 0; i < 5; i++) ch.sendToQueue(q, Buffer.from(`m${i}`));
    assert.deepEqual(await confirmedUpTo(events, 5), range(5));
    // the counter keeps going on the same channel
    ch.sendToQueue(q, Buffer.from('m5'));
    assert.deepEqual(await events.next(), { kind: 'ack', deliveryTag: 6, multiple: false });
    await ch.close();
  });

  test('many publishes: acks (single or multiple) cover every tag exactly once, in order', async () => {
    const ch = await openConfirmChannel(conn);
    const events = recordConfirms(ch);
    const q = uniqueName('confirm.many');
    await ch.assertQueue(q, { exclusive: true });
    const n = 1000;
    let callbacks = 0;
    for (let i = 0; i < n; i++) {
      ch.sendToQueue(q, Buffer.from(`m${i}`), {}, (err) => {
        assert.equal(err, null);
        callbacks++;
      });
    }
    assert.deepEqual(await confirmedUpTo(events, n), range(n));
    await ch.waitForConfirms();
    assert.equal(callbacks, n);
    assert.equal((await ch.checkQueue(q)).messageCount, n);
    await ch.close();
  });

  test('an unroutable message (not mandatory) is still acked', async () => {
    const ch = await openConfirmChannel(conn);
    const events = recordConfirms(ch);
    ch.publish('amq.direct', uniqueName('nowhere'), Buffer.from('lost'));
    assert.deepEqual(await events.next(), { kind: 'ack', deliveryTag: 1, multiple: false });
    await ch.close();
  });

  test('a mandatory unroutable message under confirms: basic.return, then basic.ack', async () => {
    const ch = await openConfirmChannel(conn);
    const order: string[] = [];
    const returned = deferred<Message>();
    const acked = deferred<void>();
    ch.on('return', (m: Message) => {
      order.push('return');
      returned.resolve(m);
    });
    ch.on('ack', (f: { deliveryTag: number; multiple: boolean }) => {
      order.push(`ack ${f.deliveryTag}${f.multiple ? ' multiple' : ''}`);
      acked.resolve();
    });
    const key = uniqueName('nowhere');
    ch.publish('amq.direct', key, Buffer.from('bounce'), { mandatory: true, messageId: 'b1' });
    await acked.promise;
    assert.deepEqual(order, ['return', 'ack 1']);
    const m = await returned.promise;
    const fields = m.fields as typeof m.fields & { replyCode: number; replyText: string };
    assert.equal(fields.replyCode, 312);
    assert.equal(fields.replyText, 'NO_ROUTE');
    assert.equal(m.fields.exchange, 'amq.direct');
    assert.equal(m.fields.routingKey, key);
    assert.equal(m.properties.messageId, 'b1');
    assert.equal(m.content.toString(), 'bounce');
    await ch.close();
  });

  test('a publish refused by a full queue (x-overflow reject-publish) is nacked', async () => {
    const ch = await openConfirmChannel(conn);
    const events = recordConfirms(ch);
    const q = uniqueName('confirm.full');
    await ch.assertQueue(q, { exclusive: true, maxLength: 1, overflow: 'reject-publish' });
    const results: Array<string> = [];
    const cb = (i: number) => (err: unknown) => results.push(`${i}:${err ? 'nack' : 'ack'}`);
    ch.sendToQueue(q, Buffer.from('fits'), {}, cb(1));
    ch.sendToQueue(q, Buffer.from('refused'), {}, cb(2));
    const first = await events.next();
    const second = await events.next();
    assert.deepEqual([first.kind, first.deliveryTag], ['ack', 1]);
    // RabbitMQ 3.10 sends this nack as {delivery-tag 2, multiple=true, requeue=true}: since tag 1
    // is already acked, "multiple" covers only tag 2
    assert.deepEqual([second.kind, second.deliveryTag], ['nack', 2]);
    assert.deepEqual(results, ['1:ack', '2:nack']);
    const m = await ch.get(q, { noAck: true });
    assert.equal(m && m.content.toString(), 'fits');
    assert.equal(await ch.get(q), false);
    await ch.close();
  });

  test('publishing to a missing exchange under confirms closes the channel with 404 and no ack', async () => {
    const ch = await openConfirmChannel(conn);
    const events = recordConfirms(ch);
    const closed = channelClosed(ch);
    const x = uniqueName('no-such-exchange');
    const callback = deferred<unknown>();
    ch.publish(x, 'k', Buffer.from('x'), {}, (err) => callback.resolve(err));
    const info = await closed;
    assert.equal(info.code, 404);
    assert.equal(info.text, `NOT_FOUND - no exchange '${x}' in vhost '/'`);
    assert.deepEqual([info.classId, info.methodId], [60, 40]);
    assert.ok(await callback.promise, 'the publish callback gets an error, not an ack');
    assert.equal(events.all.length, 0);
  });

  test('confirm.select on a channel already in confirm mode is fine', async () => {
    const ch = await client.channel();
    await ch.confirmSelect();
    await ch.confirmSelect();
    const q = uniqueName('confirm.twice');
    await ch.queueDeclare(q, { exclusive: true });
    // amqp-client resolves basicPublish with the delivery tag once the broker acks it
    assert.equal(await ch.basicPublish('', q, 'a'), 1);
    assert.equal(await ch.basicPublish('', q, 'b'), 2);
    await ch.close();
  });

  test('tx.select on a channel in confirm mode is a 406 PRECONDITION_FAILED channel error', async () => {
    const ch = await client.channel();
    await ch.confirmSelect();
    await expectClientChannelError(ch, () => ch.txSelect(), {
      code: 406,
      text: 'PRECONDITION_FAILED - cannot switch from confirm to tx mode',
    });
  });
});

describe('transactions', () => {
  test('tx.select then publish: messages reach the queue only on tx.commit', async () => {
    const { ch, q } = await clientChannelWithQueue('tx.commit');
    await ch.txSelect();
    await ch.basicPublish('', q, 'm1');
    await ch.basicPublish('', q, 'm2');
    await ch.basicPublish('', q, 'm3');
    await ch.queueDeclare(q, { passive: true }); // round trip on the tx channel
    assert.equal(await readyCount(q), 0);
    await ch.txCommit();
    assert.deepEqual(await drainBodies(q), ['m1', 'm2', 'm3']);
    await ch.close();
  });

  test('tx.rollback discards uncommitted publishes; the channel stays transactional', async () => {
    const { ch, q } = await clientChannelWithQueue('tx.rollback');
    await ch.txSelect();
    await ch.basicPublish('', q, 'dropped1');
    await ch.basicPublish('', q, 'dropped2');
    await ch.txRollback();
    assert.equal(await readyCount(q), 0);
    await ch.basicPublish('', q, 'kept');
    await ch.queueDeclare(q, { passive: true });
    assert.equal(await readyCount(q), 0);
    await ch.txCommit();
    assert.deepEqual(await drainBodies(q), ['kept']);
    await ch.close();
  });

  test('acks inside a transaction take effect on commit', async () => {
    const { ch, q } = await clientChannelWithQueue('tx.ackcommit');
    for (const b of ['m1', 'm2', 'm3']) await ch.basicPublish('', q, b);
    const got: AMQPMessage[] = [];
    for (let i = 0; i < 3; i++) {
      const m = await ch.basicGet(q, { noAck: false });
      assert.ok(m);
      got.push(m);
    }
    await ch.txSelect();
    await ch.basicAck(got[1]!.deliveryTag, true); // m1, m2
    await ch.txCommit();
    await ch.close(); // requeues only what is still unacked
    assert.deepEqual(await drainBodies(q), ['m3']);
  });

  test('tx.rollback discards acks: the messages stay unacknowledged (not requeued)', async () => {
    const { ch, q } = await clientChannelWithQueue('tx.ackrollback');
    for (const b of ['m1', 'm2', 'm3']) await ch.basicPublish('', q, b);
    const got: AMQPMessage[] = [];
    for (let i = 0; i < 3; i++) {
      const m = await ch.basicGet(q, { noAck: false });
      assert.ok(m);
      got.push(m);
    }
    await ch.txSelect();
    await ch.basicAck(got[2]!.deliveryTag, true); // all three
    await ch.txRollback();
    // still unacked, not back in the queue
    assert.equal(await readyCount(q), 0);
    // the tags are still valid: ack m1 for real
    await ch.basicAck(got[0]!.deliveryTag);
    await ch.txCommit();
    await ch.close(); // requeues m2 and m3
    assert.deepEqual(await drainBodies(q), ['m2', 'm3']);
  });

  test('a mandatory unroutable publish in a transaction is returned at commit', async () => {
    const ch = await client.channel();
    const returned = new AsyncQueue<AMQPMessage>();
    ch.onReturn = (m) => returned.push(m);
    await ch.txSelect();
    const key = uniqueName('nowhere');
    await ch.basicPublish('amq.direct', key, 'bounce', {}, true);
    await ch.queueDeclare('', { exclusive: true }); // round trip: nothing returned yet
    assert.equal(returned.all.length, 0);
    await ch.txCommit();
    // the return was sent before commit-ok
    assert.equal(returned.all.length, 1);
    const m = returned.all[0]!;
    assert.equal(m.replyCode, 312);
    assert.equal(m.replyText, 'NO_ROUTE');
    assert.equal(m.exchange, 'amq.direct');
    assert.equal(m.routingKey, key);
    assert.equal(m.bodyString(), 'bounce');
    await ch.close();
  });

  test('tx.select twice is fine', async () => {
    const { ch, q } = await clientChannelWithQueue('tx.twice');
    await ch.txSelect();
    await ch.txSelect();
    await ch.basicPublish('', q, 'm1');
    await ch.txCommit();
    assert.deepEqual(await drainBodies(q), ['m1']);
    await ch.close();
  });

  test('tx.commit with nothing to commit is fine, and commit can repeat', async () => {
    const { ch, q } = await clientChannelWithQueue('tx.empty');
    await ch.txSelect();
    await ch.txCommit();
    await ch.basicPublish('', q, 'a');
    await ch.txCommit();
    await ch.basicPublish('', q, 'b');
    await ch.txCommit();
    await ch.txCommit();
    assert.deepEqual(await drainBodies(q), ['a', 'b']);
    await ch.close();
  });

  test('tx.commit without tx.select is a 406 PRECONDITION_FAILED channel error', async () => {
    const ch = await client.channel();
    await expectClientChannelError(ch, () => ch.txCommit(), {
      code: 406,
      text: 'PRECONDITION_FAILED - channel is not transactional',
    });
  });

  test('tx.rollback without tx.select is a 406 PRECONDITION_FAILED channel error', async () => {
    const ch = await client.channel();
    await expectClientChannelError(ch, () => ch.txRollback(), {
      code: 406,
      text: 'PRECONDITION_FAILED - channel is not transactional',
    });
  });

  test('confirm.select on a transactional channel is a 406 PRECONDITION_FAILED channel error', async () => {
    const ch = await client.channel();
    await ch.txSelect();
    await expectClientChannelError(ch, () => ch.confirmSelect(), {
      code: 406,
      text: 'PRECONDITION_FAILED - cannot switch from tx to confirm mode',
    });
  });

  test('closing a transactional channel discards uncommitted publishes', async () => {
    const { ch, q } = await clientChannelWithQueue('tx.closed');
    await ch.txSelect();
    await ch.basicPublish('', q, 'never');
    await ch.close();
    assert.equal(await readyCount(q), 0);
  });
});
