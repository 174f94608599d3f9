// The guide's "Pattern 3: Topic-Based Routing": events.business (topic) with analytics.all_events bound
// '#', inventory.order_events 'order.*' and fraud.payment_events 'payment.processed.*'. Of the four events
// it publishes, analytics gets 4, inventory 2 and fraud 1.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import amqp, { type Channel } from 'amqplib';
import { useFixedTopology } from '../helpers/fixed-names.js';

const EXCHANGE = 'events.business';
const ANALYTICS = 'analytics.all_events';
const INVENTORY = 'inventory.order_events';
const FRAUD = 'fraud.payment_events';
const TOPOLOGY = { queues: [ANALYTICS, INVENTORY, FRAUD], exchanges: [EXCHANGE] };

const GUIDE_EVENTS = [
  { key: 'order.placed', data: { orderId: 'ORD-001' } },
  { key: 'order.shipped', data: { orderId: 'ORD-001' } },
  { key: 'payment.processed.high', data: { amount: 5000 } },
  { key: 'user.registered', data: { userId: 'USR-100' } },
];

const fixture = useFixedTopology(TOPOLOGY);
const connect = () => fixture.connect();

/** The declarations and bindings of the guide's setupTopicRouting. */
async function setupTopicRouting(channel: Channel): Promise<void> {
  await channel.assertExchange(EXCHANGE, 'topic', { durable: true });
  await channel.assertQueue(ANALYTICS, { durable: true });
  await channel.bindQueue(ANALYTICS, EXCHANGE, '#');
  await channel.assertQueue(INVENTORY, { durable: true });
  await channel.bindQueue(INVENTORY, EXCHANGE, 'order.*');
  await channel.assertQueue(FRAUD, { durable: true });
  await channel.bindQueue(FRAUD, EXCHANGE, 'payment.processed.*');
}

function publishAll(channel: Channel, events: Array<{ key: string; data: unknown }>): void {
  for (const event of events) {
    channel.publish(EXCHANGE, event.key, Buffer.from(JSON.stringify(event.data)), { persistent: true });
  }
}

/**
 * Every message in the queue, in order, as [routing key, body]: basic.get until get-empty. Exact when the
 * messages were published on the same channel, since the gets queue up behind the publishes.
 */
async function drain(ch: Channel, queue: string): Promise<Array<[string, unknown]>> {
  const out: Array<[string, unknown]> = [];
  for (;;) {
    const msg = await ch.get(queue, { noAck: true });
    if (!msg) return out;
    assert.equal(msg.fields.exchange, EXCHANGE);
    assert.equal(msg.properties.deliveryMode, 2);
    out.push([msg.fields.routingKey, JSON.parse(msg.content.toString())]);
  }
}


describe('guide: topic routing', { timeout: 60_000 }, () => {
  test("the guide's four events: analytics gets 4, inventory 2, fraud 1", async () => {
    const conn = await connect();
    const channel = await conn.createChannel();
    await setupTopicRouting(channel);
    publishAll(channel, GUIDE_EVENTS);

    // Counted with basic.get on the publishing channel, which the broker serves after the publishes sent
    // before it. (Not with queue.declare's message count: RabbitMQ answers that ahead of deliveries still
    // waiting in the queue process's mailbox, so it can read 1 where 4 are on their way.)
    assert.deepEqual(
      await drain(channel, ANALYTICS),
      GUIDE_EVENTS.map((e) => [e.key, e.data]),
    );
    assert.deepEqual(await drain(channel, INVENTORY), [
      ['order.placed', { orderId: 'ORD-001' }],
      ['order.shipped', { orderId: 'ORD-001' }],
    ]);
    assert.deepEqual(await drain(channel, FRAUD), [['payment.processed.high', { amount: 5000 }]]);
  });

  test("'*' matches exactly one word and '#' zero or more", async () => {
    const conn = await connect();
    const channel = await conn.createChannel();
    await setupTopicRouting(channel);
    const keys = [
      'order', // order.* needs a second word
      'order.placed.us', // ... and exactly one
      'payment.processed', // payment.processed.* needs a third word
      'payment.processed.high.eu',
      'orders.placed', // words are compared whole
      '', // '#' matches the empty key too
      'payment.processed.low',
      'order.',
    ];
    publishAll(
      channel,
      keys.map((key) => ({ key, data: { key } })),
    );
    assert.deepEqual(await drain(channel, FRAUD), [['payment.processed.low', { key: 'payment.processed.low' }]]);
    assert.deepEqual(await drain(channel, INVENTORY), [['order.', { key: 'order.' }]]);
    assert.deepEqual(
      await drain(channel, ANALYTICS),
      keys.map((key) => [key, { key }]),
    );
  });
});
