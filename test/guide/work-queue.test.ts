// The guide's "Pattern 1: Work Queues": a producer that declares the durable `order_processing` queue
// (dead-letter exchange dlx.order_processing, 24 h message TTL) and publishes persistent JSON tasks, and
// prefetch(1) workers that share the queue and ack or nack each task.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import amqp, { type Channel, type ConsumeMessage } from 'amqplib';
import { useFixedTopology } from '../helpers/fixed-names.js';
import { Inbox, channelError, consumeInto, vhostOf } from '../helpers/guide.js';

const QUEUE = 'order_processing';
const QUEUE_ARGS = { 'x-dead-letter-exchange': 'dlx.order_processing', 'x-message-ttl': 86400000 };
// dead-letter.test.ts uses the same names; clear all of them
const TOPOLOGY = { queues: [QUEUE, 'dlq.order_processing'], exchanges: ['dlx.order_processing'] };

interface Task {
  orderId: string;
  customerId: string;
  items: Array<{ sku: string; quantity: number }>;
  total: number;
}

const GUIDE_TASK: Task = {
  orderId: 'ORD-12345',
  customerId: 'CUST-789',
  items: [
    { sku: 'WIDGET-A', quantity: 3 },
    { sku: 'GADGET-B', quantity: 1 },
  ],
  total: 149.99,
};

function task(n: number): Task {
  return { ...GUIDE_TASK, orderId: `ORD-${n}` };
}

const fixture = useFixedTopology(TOPOLOGY);
const connect = () => fixture.connect();

/** The guide's publishTask: its own connection, declare, sendToQueue, close. Returns what it stamped. */
async function publishTask(t: Task): Promise<{ messageId: string; timestamp: number }> {
  const connection = await amqp.connect(fixture.url);
  const channel = await connection.createChannel();
  await channel.assertQueue(QUEUE, { durable: true, arguments: QUEUE_ARGS });
  const timestamp = Date.now();
  const messageId = `order-${t.orderId}-${Date.now()}`;
  channel.sendToQueue(QUEUE, Buffer.from(JSON.stringify(t)), {
    persistent: true,
    contentType: 'application/json',
    timestamp,
    messageId,
  });
  await channel.close();
  await connection.close();
  return { messageId, timestamp };
}

/**
 * A worker as in the guide, except that it declares the queue with the producer's arguments (the guide's
 * bare {durable: true} is refused by the broker, see below) and leaves acking to the test.
 */
async function startWorker(): Promise<{ channel: Channel; inbox: Inbox }> {
  const connection = await connect();
  const channel = await connection.createChannel();
  await channel.assertQueue(QUEUE, { durable: true, arguments: QUEUE_ARGS });
  await channel.prefetch(1);
  const inbox = await consumeInto(channel, QUEUE);
  return { channel, inbox };
}

function orderOf(msg: ConsumeMessage): string {
  return (JSON.parse(msg.content.toString()) as Task).orderId;
}


describe('guide: work queues', { timeout: 60_000 }, () => {
  test('the producer declares the durable queue and publishes a persistent JSON task', async () => {
    const stamped = await publishTask(GUIDE_TASK);
    assert.match(stamped.messageId, /^order-ORD-12345-\d+$/);

    const conn = await connect();
    const ch = await conn.createChannel();
    // the queue exists with the producer's arguments: an identical declaration is accepted
    const ok = await ch.assertQueue(QUEUE, { durable: true, arguments: QUEUE_ARGS });
    assert.equal(ok.queue, QUEUE);
    assert.equal(ok.consumerCount, 0);

    await ch.prefetch(1);
    const inbox = await consumeInto(ch, QUEUE);
    const [msg] = await inbox.waitFor(1);
    assert.ok(msg);
    assert.deepEqual(JSON.parse(msg.content.toString()), GUIDE_TASK);
    assert.equal(msg.fields.exchange, '');
    assert.equal(msg.fields.routingKey, QUEUE);
    assert.equal(msg.fields.redelivered, false);
    assert.equal(msg.properties.contentType, 'application/json');
    assert.equal(msg.properties.deliveryMode, 2);
    assert.equal(msg.properties.messageId, stamped.messageId);
    assert.equal(msg.properties.timestamp, stamped.timestamp);
    ch.ack(msg);
    assert.deepEqual(await ch.checkQueue(QUEUE), { queue: QUEUE, messageCount: 0, consumerCount: 1 });
  });

  test('the queue is durable: redeclaring it non-durable is refused', async () => {
    await publishTask(GUIDE_TASK);
    const conn = await connect();
    const ch = await conn.createChannel();
    const closed = channelError(ch);
    await assert.rejects(ch.assertQueue(QUEUE, { durable: false, arguments: QUEUE_ARGS }), { code: 406 });
    const err = await closed;
    const text = `PRECONDITION_FAILED - inequivalent arg 'durable' for queue '${QUEUE}' in vhost '${vhostOf(fixture.url)}': received 'false' but current is 'true'`;
    assert.ok(err.message.includes(text), err.message);
  });

  test("the guide's worker, re-asserting with only {durable: true}, is refused: 406 on x-message-ttl", async () => {
    await publishTask(GUIDE_TASK);
    const conn = await connect();
    const ch = await conn.createChannel();
    const closed = channelError(ch);
    const channelClosed = new Promise<void>((resolve) => ch.once('close', () => resolve()));
    const text =
      `PRECONDITION_FAILED - inequivalent arg 'x-message-ttl' for queue '${QUEUE}' in vhost '${vhostOf(fixture.url)}': ` +
      `received none but current is the value '86400000' of type 'signedint'`;
    await assert.rejects(ch.assertQueue(QUEUE, { durable: true }), (err: Error & { code?: number; classId?: number; methodId?: number }) => {
      assert.equal(err.code, 406);
      assert.equal(err.classId, 50); // queue.declare
      assert.equal(err.methodId, 10);
      assert.ok(err.message.includes(text), err.message);
      return true;
    });
    assert.ok((await closed).message.includes(text));
    await channelClosed;

    // only the channel is lost: the connection carries on, and the task is still queued
    const ch2 = await conn.createChannel();
    const msg = await ch2.get(QUEUE, { noAck: true });
    assert.ok(msg);
    assert.deepEqual(JSON.parse(msg.content.toString()), GUIDE_TASK);
  });

  test('a worker declaring the queue first makes the producer the one refused', async () => {
    const conn = await connect();
    const ch = await conn.createChannel();
    await ch.assertQueue(QUEUE, { durable: true });

    const producerConn = await connect();
    const producer = await producerConn.createChannel();
    const closed = channelError(producer);
    await assert.rejects(producer.assertQueue(QUEUE, { durable: true, arguments: QUEUE_ARGS }), { code: 406 });
    assert.ok(
      (await closed).message.includes(
        `PRECONDITION_FAILED - inequivalent arg 'x-message-ttl' for queue '${QUEUE}' in vhost '${vhostOf(fixture.url)}': ` +
          `received the value '86400000' of type 'signedint' but current is none`,
      ),
    );
  });

  test('two prefetch(1) workers share the tasks, each holding one at a time', async () => {
    const a = await startWorker();
    const b = await startWorker();

    await publishTask(task(1));
    await publishTask(task(2));
    await Promise.all([a.inbox.waitFor(1), b.inbox.waitFor(1)]);
    assert.equal(a.inbox.messages.length, 1);
    assert.equal(b.inbox.messages.length, 1);
    assert.deepEqual([...a.inbox.messages, ...b.inbox.messages].map(orderOf).sort(), ['ORD-1', 'ORD-2']);

    a.channel.ack(a.inbox.messages[0]!);
    b.channel.ack(b.inbox.messages[0]!);
    await publishTask(task(3));
    await publishTask(task(4));
    await Promise.all([a.inbox.waitFor(2), b.inbox.waitFor(2)]);
    assert.equal(a.inbox.messages.length, 2);
    assert.equal(b.inbox.messages.length, 2);
    assert.deepEqual([...a.inbox.messages, ...b.inbox.messages].map(orderOf).sort(), ['ORD-1', 'ORD-2', 'ORD-3', 'ORD-4']);
  });

  test('a worker gets its next task only after it acks the one it holds', async () => {
    const a = await startWorker();
    await publishTask(task(1));
    const [first] = await a.inbox.waitFor(1);
    assert.equal(orderOf(first!), 'ORD-1');

    // A holds ORD-1 unacked; everything published now can only go to B
    const b = await startWorker();
    await publishTask(task(2));
    const [two] = await b.inbox.waitFor(1);
    b.channel.ack(two!);
    await publishTask(task(3));
    const three = (await b.inbox.waitFor(2))[1];
    b.channel.ack(three!);
    await publishTask(task(4));
    await b.inbox.waitFor(3);
    // B now holds ORD-4
    assert.deepEqual(b.inbox.messages.map(orderOf), ['ORD-2', 'ORD-3', 'ORD-4']);
    assert.deepEqual(a.inbox.messages.map(orderOf), ['ORD-1']);

    // A acks, and is the only worker with room for ORD-5
    a.channel.ack(first!);
    await publishTask(task(5));
    await a.inbox.waitFor(2);
    assert.deepEqual(a.inbox.messages.map(orderOf), ['ORD-1', 'ORD-5']);
    assert.deepEqual(b.inbox.messages.map(orderOf), ['ORD-2', 'ORD-3', 'ORD-4']);

    a.channel.ack(a.inbox.messages[1]!);
    b.channel.ack(b.inbox.messages[2]!);
    assert.deepEqual(await a.channel.checkQueue(QUEUE), { queue: QUEUE, messageCount: 0, consumerCount: 2 });
  });

  test('nack(msg, false, true) puts the task back at the front of the queue, marked redelivered', async () => {
    await publishTask(task(1));
    await publishTask(task(2));
    const w = await startWorker();
    const [first] = await w.inbox.waitFor(1);
    assert.equal(orderOf(first!), 'ORD-1');
    assert.equal(first!.fields.redelivered, false);

    w.channel.nack(first!, false, true);
    const again = (await w.inbox.waitFor(2))[1]!;
    assert.equal(orderOf(again), 'ORD-1');
    assert.equal(again.fields.redelivered, true);
    assert.equal(again.properties.messageId, first!.properties.messageId);

    w.channel.ack(again);
    const next = (await w.inbox.waitFor(3))[2]!;
    assert.equal(orderOf(next), 'ORD-2');
    assert.equal(next.fields.redelivered, false);
    w.channel.ack(next);
  });

  test('nack(msg, false, false) when dlx.order_processing does not exist: the task is dropped', async () => {
    await publishTask(GUIDE_TASK);
    const w = await startWorker();
    const [msg] = await w.inbox.waitFor(1);
    w.channel.nack(msg!, false, false);
    assert.deepEqual(await w.channel.checkQueue(QUEUE), { queue: QUEUE, messageCount: 0, consumerCount: 1 });
  });
});
