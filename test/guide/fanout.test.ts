// The guide's "Pattern 2: Publish/Subscribe (Fanout)": the durable fanout exchange events.orders, one queue
// per subscribing service bound with "", and an order.placed event published with event-type and
// event-version headers that every subscriber receives.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import amqp, { type Channel, type Message } from 'amqplib';
import { useFixedTopology } from '../helpers/fixed-names.js';
import { Inbox } from '../helpers/guide.js';

const EXCHANGE = 'events.orders';
// The guide names the notification queue; the inventory and analytics services "subscribe to the same
// fanout exchange with its own queue", named here after the same pattern.
const SUBSCRIBERS = ['notifications.order_events', 'inventory.order_events', 'analytics.order_events'];
const LATECOMER = 'shipping.order_events';
const TOPOLOGY = { queues: [...SUBSCRIBERS, LATECOMER], exchanges: [EXCHANGE] };

interface OrderEvent {
  type: string;
  data: { orderId: string; customerId: string; total: number; placedAt: string };
}

const EVENT: OrderEvent = {
  type: 'order.placed',
  data: { orderId: 'ORD-12345', customerId: 'CUST-789', total: 149.99, placedAt: new Date().toISOString() },
};

const fixture = useFixedTopology(TOPOLOGY);
const connect = () => fixture.connect();

/** The guide's publishEvent: own connection, declare the exchange, publish, close. Returns the timestamp. */
async function publishEvent(event: OrderEvent, routingKey = ''): Promise<number> {
  const connection = await amqp.connect(fixture.url);
  const channel = await connection.createChannel();
  await channel.assertExchange(EXCHANGE, 'fanout', { durable: true });
  const timestamp = Date.now();
  channel.publish(EXCHANGE, routingKey, Buffer.from(JSON.stringify(event)), {
    persistent: true,
    contentType: 'application/json',
    timestamp,
    headers: {
      'event-type': event.type,
      'event-version': '1.0',
    },
  });
  await channel.close();
  await connection.close();
  return timestamp;
}

/** Order ids of every message in the queue, taken with basic.get until get-empty. */
async function drain(ch: Channel, queue: string): Promise<string[]> {
  const ids: string[] = [];
  for (;;) {
    const msg = await ch.get(queue, { noAck: true });
    if (!msg) return ids;
    ids.push((JSON.parse(msg.content.toString()) as OrderEvent).data.orderId);
  }
}

/** A subscriber as the guide's notification service sets itself up (consuming is left to the caller). */
async function subscribe(ch: Channel, queue: string): Promise<void> {
  await ch.assertExchange(EXCHANGE, 'fanout', { durable: true });
  await ch.assertQueue(queue, { durable: true });
  await ch.bindQueue(queue, EXCHANGE, '');
}


describe('guide: publish/subscribe with a fanout exchange', { timeout: 60_000 }, () => {
  test('every subscriber queue receives the order.placed event with its headers and JSON body', async () => {
    const conn = await connect();
    const ch = await conn.createChannel();
    for (const q of SUBSCRIBERS) await subscribe(ch, q);

    const timestamp = await publishEvent(EVENT);

    const check = (msg: Message, queue: string): void => {
      const event = JSON.parse(msg.content.toString()) as OrderEvent;
      assert.deepEqual(event, EVENT, queue);
      assert.equal(msg.fields.exchange, EXCHANGE);
      assert.equal(msg.fields.routingKey, '');
      assert.deepEqual(msg.properties.headers, { 'event-type': 'order.placed', 'event-version': '1.0' });
      assert.equal(msg.properties.contentType, 'application/json');
      assert.equal(msg.properties.deliveryMode, 2);
      assert.equal(msg.properties.timestamp, timestamp);
    };

    // the notification service consumes as in the guide: parse, act on order.placed, ack
    const [notifications, ...others] = SUBSCRIBERS as [string, ...string[]];
    const inbox = new Inbox();
    const { consumerTag } = await ch.consume(notifications, (msg) => {
      inbox.onMessage(msg);
      if (msg) ch.ack(msg);
    });
    const [delivered] = await inbox.waitFor(1);
    assert.ok(delivered);
    check(delivered, notifications);
    await ch.cancel(consumerTag);
    assert.equal(inbox.messages.length, 1, 'exactly one copy reached the notification service');
    assert.equal(await ch.get(notifications), false);

    // the other services' queues each hold exactly one copy
    for (const q of others) {
      const msg = await ch.get(q, { noAck: true });
      assert.ok(msg, q);
      check(msg, q);
      assert.equal(await ch.get(q), false, q);
    }
  });

  test('the routing key is ignored: an event published with one still reaches every queue', async () => {
    const conn = await connect();
    const ch = await conn.createChannel();
    for (const q of SUBSCRIBERS) await subscribe(ch, q);
    await publishEvent(EVENT, 'some.routing.key');
    for (const q of SUBSCRIBERS) {
      const msg = await ch.get(q, { noAck: true });
      assert.ok(msg, q);
      assert.equal(msg.fields.routingKey, 'some.routing.key');
      assert.deepEqual(JSON.parse(msg.content.toString()), EVENT);
    }
  });

  test('a service subscribing later gets the following events, with no change to the publisher', async () => {
    const conn = await connect();
    const ch = await conn.createChannel();
    for (const q of SUBSCRIBERS) await subscribe(ch, q);
    await publishEvent(EVENT);

    await subscribe(ch, LATECOMER);
    assert.deepEqual(await ch.checkQueue(LATECOMER), { queue: LATECOMER, messageCount: 0, consumerCount: 0 });

    const second: OrderEvent = { ...EVENT, data: { ...EVENT.data, orderId: 'ORD-12346' } };
    await publishEvent(second);
    for (const q of SUBSCRIBERS) assert.deepEqual(await drain(ch, q), ['ORD-12345', 'ORD-12346'], q);
    assert.deepEqual(await drain(ch, LATECOMER), ['ORD-12346']);
  });
});
