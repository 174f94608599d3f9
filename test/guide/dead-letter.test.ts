// The guide's "Dead Letter Queues": dlx.order_processing (direct) routes to dlq.order_processing with the
// key order_processing, and order_processing dead-letters there; a worker's nack(msg, false, false) then
// moves the task to the DLQ instead of losing it.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import amqp from 'amqplib';
import { useFixedTopology } from '../helpers/fixed-names.js';
import { channelError, consumeInto, vhostOf } from '../helpers/guide.js';

const QUEUE = 'order_processing';
const DLX = 'dlx.order_processing';
const DLQ = 'dlq.order_processing';
const TOPOLOGY = { queues: [QUEUE, DLQ], exchanges: [DLX] };

const TASK = {
  orderId: 'ORD-12345',
  customerId: 'CUST-789',
  items: [
    { sku: 'WIDGET-A', quantity: 3 },
    { sku: 'GADGET-B', quantity: 1 },
  ],
  total: 149.99,
};

const fixture = useFixedTopology(TOPOLOGY);
const connect = () => fixture.connect();

/** The guide's setupDeadLetterQueue. */
async function setupDeadLetterQueue(): Promise<void> {
  const connection = await amqp.connect(fixture.url);
  const channel = await connection.createChannel();
  await channel.assertExchange(DLX, 'direct', { durable: true });
  await channel.assertQueue(DLQ, { durable: true, arguments: { 'x-message-ttl': 604800000 } });
  await channel.bindQueue(DLQ, DLX, QUEUE);
  await channel.assertQueue(QUEUE, {
    durable: true,
    arguments: {
      'x-dead-letter-exchange': DLX,
      'x-dead-letter-routing-key': QUEUE,
      'x-message-ttl': 86400000,
    },
  });
  await connection.close();
}


describe('guide: dead letter queues', () => {
  test('a task the worker rejects without requeue lands in dlq.order_processing', { timeout: 20_000 }, async () => {
    await setupDeadLetterQueue();

    // publish as the guide's producer does (onto the queue configured above)
    const producerConn = await connect();
    const producer = await producerConn.createChannel();
    const timestamp = Date.now();
    const messageId = `order-${TASK.orderId}-${Date.now()}`;
    producer.sendToQueue(QUEUE, Buffer.from(JSON.stringify(TASK)), {
      persistent: true,
      contentType: 'application/json',
      timestamp,
      messageId,
    });
    await producer.close();

    // the guide's worker, whose processOrder fails: catch → nack(msg, false, false)
    const workerConn = await connect();
    const worker = await workerConn.createChannel();
    await worker.prefetch(1);
    const processOrder = async (): Promise<void> => {
      throw new Error('payment service unavailable');
    };
    const failed = new Promise<void>((resolve) => {
      void worker.consume(QUEUE, (msg) => {
        if (!msg) return;
        processOrder().then(
          () => worker.ack(msg),
          () => {
            worker.nack(msg, false, false);
            resolve();
          },
        );
      });
    });
    await failed;

    const dlqConn = await connect();
    const dlqCh = await dlqConn.createChannel();
    const inbox = await consumeInto(dlqCh, DLQ);
    const [dead] = await inbox.waitFor(1);
    assert.ok(dead);
    assert.deepEqual(JSON.parse(dead.content.toString()), TASK);
    assert.equal(dead.fields.exchange, DLX);
    assert.equal(dead.fields.routingKey, QUEUE);
    assert.equal(dead.fields.redelivered, false);
    assert.equal(dead.properties.contentType, 'application/json');
    assert.equal(dead.properties.deliveryMode, 2);
    assert.equal(dead.properties.messageId, messageId);
    assert.equal(dead.properties.timestamp, timestamp);

    const headers = dead.properties.headers ?? {};
    const deaths = headers['x-death'] ?? [];
    assert.equal(deaths.length, 1);
    const { time, ...death } = deaths[0]!;
    assert.deepEqual(death, {
      count: 1,
      reason: 'rejected',
      queue: QUEUE,
      exchange: '',
      'routing-keys': [QUEUE],
    });
    // an AMQP timestamp (seconds), which amqplib decodes as { '!': 'timestamp', value }
    assert.equal(time['!'], 'timestamp');
    assert.equal(typeof time.value, 'number');
    assert.ok(time.value > 1_000_000_000 && time.value < 10_000_000_000, `seconds, not milliseconds: ${time.value}`);
    assert.equal(headers['x-first-death-exchange'], '');
    assert.equal(headers['x-first-death-queue'], QUEUE);
    assert.equal(headers['x-first-death-reason'], 'rejected');
    dlqCh.ack(dead);

    assert.deepEqual(await dlqCh.checkQueue(QUEUE), { queue: QUEUE, messageCount: 0, consumerCount: 1 });
    assert.deepEqual(await dlqCh.checkQueue(DLQ), { queue: DLQ, messageCount: 0, consumerCount: 1 });
  });

  test("after the DLQ setup, the guide's producer declaration (no x-dead-letter-routing-key) is refused", { timeout: 20_000 }, async () => {
    await setupDeadLetterQueue();
    const conn = await connect();
    const ch = await conn.createChannel();
    const closed = channelError(ch);
    await assert.rejects(
      ch.assertQueue(QUEUE, {
        durable: true,
        arguments: { 'x-dead-letter-exchange': DLX, 'x-message-ttl': 86400000 },
      }),
      { code: 406 },
    );
    const text =
      `PRECONDITION_FAILED - inequivalent arg 'x-dead-letter-routing-key' for queue '${QUEUE}' in vhost '${vhostOf(fixture.url)}': ` +
      `received none but current is the value '${QUEUE}' of type 'longstr'`;
    const err = await closed;
    assert.ok(err.message.includes(text), err.message);
  });
});
