// Names AMQP cannot carry. Exchange names and routing keys are short strings (at most 255 bytes), but an
// x-argument (a long string) can hold a longer dead-letter routing key. RabbitMQ 3.10 dead-letters such a
// message and, when it reaches a consumer, closes that consumer's connection with 541 INTERNAL_ERROR;
// Warren does the same, with a clean connection.close (no torn frame before it), and nobody else is
// touched: the publisher's connection goes on.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ChannelModel } from 'amqplib';
import { testBroker, uniqueName, type TestBroker } from '../helpers/broker.js';
import { closeQuietly, connect, connectionClosed, openChannel, within } from '../helpers/amqp-expect.js';

describe('a dead-letter routing key over 255 bytes', () => {
  let broker: TestBroker;
  const conns: ChannelModel[] = [];

  before(async () => {
    broker = await testBroker();
  });
  after(async () => {
    for (const c of conns) await closeQuietly(c);
    await broker.close();
  });

  test("closes the connection of the consumer it reaches with 541 INTERNAL_ERROR; the publisher's connection goes on", async () => {
    const longKey = 'k'.repeat(300);
    const source = uniqueName('long-dlrk.src');
    const target = uniqueName('long-dlrk.dst');

    const publisher = await connect(broker.url);
    conns.push(publisher);
    const pch = await openChannel(publisher);
    await pch.assertQueue(target, { durable: false, autoDelete: false });
    await pch.bindQueue(target, 'amq.topic', '#');
    await pch.assertQueue(source, {
      durable: false,
      arguments: { 'x-dead-letter-exchange': 'amq.topic', 'x-dead-letter-routing-key': longKey, 'x-message-ttl': 0 },
    });

    const consumer = await connect(broker.url);
    conns.push(consumer);
    const closed = connectionClosed(consumer);
    const cch = await openChannel(consumer);
    await cch.consume(target, () => {}, { noAck: true });

    // TTL 0 dead-letters at once, with the long key, towards the consumer
    pch.sendToQueue(source, Buffer.from('doomed'));
    const close = await within(closed, 10_000, "the consumer's connection to close");
    assert.equal(close.code, 541);
    assert.match(close.text, /^INTERNAL_ERROR/);

    // the publisher saw nothing and can go on
    const q = await pch.checkQueue(source);
    assert.equal(q.queue, source);
    await pch.deleteQueue(source);
    await pch.deleteQueue(target);
  });
});
