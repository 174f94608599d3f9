// The same publish-with-confirms / consume / ack flow through the other popular Node clients:
// rabbitmq-client (low-level Channel and its Publisher/Consumer) and @cloudamqp/amqp-client.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Connection, type AsyncMessage } from 'rabbitmq-client';
import { AMQPClient, type AMQPMessage } from '@cloudamqp/amqp-client';
import { testBroker, uniqueName, type TestBroker } from '../helpers/broker.js';
import { AsyncQueue, deferred } from '../helpers/amqp-expect.js';

let broker: TestBroker;

before(async () => {
  broker = await testBroker();
});

after(async () => {
  await broker.close();
});

const N = 100;
const expectedBodies = Array.from({ length: N }, (_, i) => `message ${i}`);

/** rabbitmq-client retries connecting forever by default; fail fast instead. */
function rabbitmqClient(): Connection {
  const rabbit = new Connection({ url: broker.url, connectionName: 'warren-tests', retryLow: 100, retryHigh: 200 });
  return rabbit;
}

describe('other clients', () => {
  test('rabbitmq-client: declare, publish 100 with confirms, consume, ack, close cleanly', async () => {
    const rabbit = rabbitmqClient();
    const errors: unknown[] = [];
    rabbit.on('error', (err) => errors.push(err));
    try {
      await rabbit.onConnect(5000);
      const ch = await rabbit.acquire();
      const q = uniqueName('clients.rabbitmq-client');
      const declared = await ch.queueDeclare({ queue: q, exclusive: true });
      assert.equal(declared.queue, q);
      assert.equal(declared.messageCount, 0);
      await ch.confirmSelect();
      // with confirms on, basicPublish resolves when the broker acks
      await Promise.all(
        expectedBodies.map((body, i) => ch.basicPublish({ routingKey: q, messageId: `id-${i}` }, body)),
      );
      assert.equal((await ch.queueDeclare({ queue: q, passive: true })).messageCount, N);

      const consumeCh = await rabbit.acquire();
      await consumeCh.basicQos({ prefetchCount: 10 });
      const received = new AsyncQueue<AsyncMessage>();
      const { consumerTag } = await consumeCh.basicConsume({ queue: q }, (msg) => {
        received.push(msg);
        consumeCh.basicAck({ deliveryTag: msg.deliveryTag });
      });
      assert.match(consumerTag, /^amq\.ctag-/);
      const msgs = await received.take(N);
      assert.deepEqual(msgs.map((m) => m.body), expectedBodies); // text/plain decoded back to strings
      assert.deepEqual(msgs.map((m) => m.messageId), expectedBodies.map((_, i) => `id-${i}`));
      assert.ok(msgs.every((m) => m.contentType === 'text/plain' && m.redelivered === false));
      assert.deepEqual(msgs.map((m) => m.deliveryTag), expectedBodies.map((_, i) => i + 1));
      await consumeCh.basicCancel(consumerTag);
      await consumeCh.close(); // everything was acked: nothing goes back
      assert.equal((await ch.queueDeclare({ queue: q, passive: true })).messageCount, 0);
      await ch.close();
    } finally {
      await rabbit.close();
    }
    assert.deepEqual(errors, []);
  });

  test('rabbitmq-client Publisher (confirm) and Consumer: 100 messages through, acked by the handler', async () => {
    const rabbit = rabbitmqClient();
    const errors: unknown[] = [];
    rabbit.on('error', (err) => errors.push(err));
    const q = uniqueName('clients.rabbitmq-client-pubsub');
    try {
      await rabbit.onConnect(5000);
      const publisher = rabbit.createPublisher({ confirm: true, queues: [{ queue: q, exclusive: true }] });
      for (const body of expectedBodies) await publisher.send(q, body);
      const received: string[] = [];
      const done = deferred<void>();
      // the Consumer re-declares its queue, so the declaration must match the publisher's (exclusive)
      const consumer = rabbit.createConsumer({ queue: q, queueOptions: { exclusive: true }, qos: { prefetchCount: 5 } }, (msg) => {
        received.push(String(msg.body));
        if (received.length === N) done.resolve();
        // returning normally acks the message
      });
      consumer.on('error', (err) => {
        errors.push(err);
        done.reject(err);
      });
      await done.promise;
      await consumer.close(); // waits for the handlers to finish and their acks to go out
      assert.deepEqual(received, expectedBodies);
      assert.equal((await rabbit.queueDeclare({ queue: q, passive: true })).messageCount, 0);
      await publisher.close();
    } finally {
      await rabbit.close();
    }
    assert.deepEqual(errors, []);
  });

  test('@cloudamqp/amqp-client: declare, publish 100 with confirms, consume, ack, close cleanly', async () => {
    const client = new AMQPClient(broker.url);
    const errors: unknown[] = [];
    client.onerror = (err) => errors.push(err);
    await client.connect();
    const ch = await client.channel();
    const q = uniqueName('clients.amqp-client');
    const declared = await ch.queueDeclare(q, { exclusive: true });
    assert.deepEqual(declared, { name: q, messageCount: 0, consumerCount: 0 });
    await ch.confirmSelect();
    // basicPublish resolves with the delivery tag the broker acked
    const tags = await Promise.all(
      expectedBodies.map((body, i) => ch.basicPublish('', q, body, { messageId: `id-${i}` })),
    );
    assert.deepEqual(tags, expectedBodies.map((_, i) => i + 1));
    assert.equal((await ch.queueDeclare(q, { passive: true })).messageCount, N);

    const consumeCh = await client.channel();
    await consumeCh.prefetch(10);
    const received = new AsyncQueue<AMQPMessage>();
    const consumer = await consumeCh.basicConsume(q, { noAck: false }, async (msg) => {
      received.push(msg);
      await msg.ack();
    });
    assert.match(consumer.tag, /^amq\.ctag-/);
    const msgs = await received.take(N);
    assert.deepEqual(msgs.map((m) => m.bodyString()), expectedBodies);
    assert.deepEqual(msgs.map((m) => m.properties.messageId), expectedBodies.map((_, i) => `id-${i}`));
    assert.ok(msgs.every((m) => m.redelivered === false && m.exchange === '' && m.routingKey === q));
    await consumer.cancel();
    await consumeCh.close();
    assert.equal((await ch.queueDeclare(q, { passive: true })).messageCount, 0);
    await ch.close();
    await client.close();
    assert.equal(client.closed, true);
    assert.deepEqual(errors, []);
  });

  test('rabbitmq-client RPCClient and a replying Consumer: request/response over direct reply-to', async () => {
    const rabbit = rabbitmqClient();
    const errors: unknown[] = [];
    rabbit.on('error', (err) => errors.push(err));
    const q = uniqueName('clients.rpc');
    try {
      await rabbit.onConnect(5000);
      const replyTos: string[] = [];
      const server = rabbit.createConsumer({ queue: q, queueOptions: { exclusive: true } }, async (req, reply) => {
        replyTos.push(req.replyTo ?? '');
        await reply(`pong ${String(req.body)}`);
      });
      server.on('error', (err) => errors.push(err));
      await new Promise<void>((resolve) => server.once('ready', () => resolve()));
      const rpc = rabbit.createRPCClient({ confirm: true, timeout: 5000 });
      const replies = [];
      for (let i = 0; i < 5; i++) replies.push(String((await rpc.send(q, `ping ${i}`)).body));
      assert.deepEqual(replies, [0, 1, 2, 3, 4].map((i) => `pong ping ${i}`));
      // the responder saw the address the broker put in place of amq.rabbitmq.reply-to
      assert.ok(replyTos.every((r) => r.startsWith('amq.rabbitmq.reply-to.') && r === replyTos[0]), replyTos.join());
      await rpc.close();
      await server.close();
    } finally {
      await rabbit.close();
    }
    assert.deepEqual(errors, []);
  });
});
