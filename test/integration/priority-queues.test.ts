// Priority queues (x-max-priority), pinned to what RabbitMQ 3.10 does.
// See docs/notes-rabbitmq-consumers.md for the facts these tests encode.
//
// amqplib encodes a JS integer argument as the smallest signed type that holds it ('b' byte, 's' short,
// 'I' int, 'l' long); { '!': 'long', value } picks the type explicitly.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Channel, ChannelModel, ConfirmChannel, ConsumeMessage, GetMessage, Options } from 'amqplib';
import { testBroker, uniqueName, type TestBroker } from '../helpers/broker.js';
import { AsyncQueue, closeQuietly, connect, openChannel, openConfirmChannel } from '../helpers/amqp-expect.js';
import { expectChannelError, quoted } from '../helpers/amqp-errors.js';

/** A test waiting for a delivery that never comes fails after this instead of hanging the whole file. */
const LIMIT = { timeout: 10_000 };

let broker: TestBroker;
let conn: ChannelModel;
let pub: ConfirmChannel;

before(async () => {
  broker = await testBroker();
  conn = await connect(broker.url);
  pub = await openConfirmChannel(conn);
});

after(async () => {
  await closeQuietly(conn);
  await broker.close();
});

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** An exclusive priority queue (x-max-priority = max). */
async function priorityQueue(prefix: string, max: unknown): Promise<string> {
  const q = uniqueName(prefix);
  await pub.assertQueue(q, { exclusive: true, arguments: { 'x-max-priority': max } });
  return q;
}

/** [body, priority] pairs; priority undefined publishes without the priority property. */
type Msg = [string, number | undefined];

/** Publishes with confirms, so every message is enqueued when this returns. */
async function publish(q: string, msgs: Msg[]): Promise<void> {
  for (const [body, priority] of msgs) {
    const opts: Options.Publish = priority === undefined ? {} : { priority };
    pub.sendToQueue(q, Buffer.from(body), opts);
  }
  await pub.waitForConfirms();
}

/** basic.get (no-ack) until the queue is empty; returns the bodies in delivery order. */
async function drain(ch: Channel, q: string): Promise<string[]> {
  const out: string[] = [];
  for (;;) {
    const m = await ch.get(q, { noAck: true });
    if (m === false) return out;
    out.push(m.content.toString());
  }
}

const body = (m: ConsumeMessage | GetMessage) => m.content.toString();

describe('priority queues: declaration', () => {
  for (const max of [1, 10, 255]) {
    test(`x-max-priority ${max} is accepted`, LIMIT, async () => {
      const ch = await openChannel(conn);
      const q = uniqueName('prio.decl');
      assert.deepEqual(await ch.assertQueue(q, { exclusive: true, arguments: { 'x-max-priority': max } }), {
        queue: q,
        messageCount: 0,
        consumerCount: 0,
      });
      await ch.close();
    });
  }

  test('x-max-priority 0 is accepted (and the queue then keeps plain FIFO order)', LIMIT, async () => {
    const q = await priorityQueue('prio.zero', 0);
    await publish(q, [['n1', undefined], ['a', 5], ['b', 0], ['c', 9], ['n2', undefined]]);
    assert.deepEqual(await drain(pub, q), ['n1', 'a', 'b', 'c', 'n2']);
  });

  test('any integer type is accepted: long, short, int, unsigned byte, unsigned short', LIMIT, async () => {
    const ch = await openChannel(conn);
    for (const v of [
      { '!': 'long', value: 10 },
      { '!': 'short', value: 200 },
      { '!': 'unsignedbyte', value: 200 },
      { '!': 'unsignedshort', value: 5 },
      { '!': 'int', value: 7 },
    ]) {
      const q = uniqueName('prio.types');
      await ch.assertQueue(q, { exclusive: true, arguments: { 'x-max-priority': v } });
    }
    await ch.close();
  });

  const invalid: Array<[string, unknown, string]> = [
    ['256', 256, '{max_value_exceeded,256}'],
    ['1000 (a long)', { '!': 'long', value: 1000 }, '{max_value_exceeded,1000}'],
    ['-1', -1, '{value_negative,-1}'],
    ['-3 (an int)', { '!': 'int', value: -3 }, '{value_negative,-3}'],
    ['a string', '5', '"expected integer, got longstr"'],
    ['a double', 1.5, '"expected integer, got double"'],
    ['a float', { '!': 'float', value: 3 }, '"expected integer, got float"'],
    ['a boolean', true, '"expected integer, got bool"'],
  ];
  for (const [what, value, reason] of invalid) {
    test(`x-max-priority ${what} is a 406 channel error on queue.declare`, LIMIT, async () => {
      const q = uniqueName('prio.bad');
      await expectChannelError(
        conn,
        (ch) => ch.assertQueue(q, { exclusive: true, arguments: { 'x-max-priority': value } }),
        406,
        new RegExp(`^PRECONDITION_FAILED - invalid arg 'x-max-priority' for queue ${quoted(q)} in vhost '/': ${escape(reason)}$`),
        { method: 'queue.declare' },
      );
      // nothing was declared
      await expectChannelError(conn, (ch) => ch.checkQueue(q), 404, /^NOT_FOUND - no queue /);
    });
  }

  test('redeclaring with another x-max-priority, or without it, is 406 inequivalent arg', LIMIT, async () => {
    const q = await priorityQueue('prio.redecl', 10);
    // same value under another integer type is equivalent
    const ch = await openChannel(conn);
    await ch.assertQueue(q, { exclusive: true, arguments: { 'x-max-priority': { '!': 'long', value: 10 } } });
    await ch.close();
    await expectChannelError(
      conn,
      (c) => c.assertQueue(q, { exclusive: true, arguments: { 'x-max-priority': 3 } }),
      406,
      new RegExp(`^PRECONDITION_FAILED - inequivalent arg 'x-max-priority' for queue ${quoted(q)} in vhost '/': received '3' but current is '10'$`),
      { method: 'queue.declare' },
    );
    await expectChannelError(
      conn,
      (c) => c.assertQueue(q, { exclusive: true }),
      406,
      new RegExp(
        `^PRECONDITION_FAILED - inequivalent arg 'x-max-priority' for queue ${quoted(q)} in vhost '/': ` +
          `received none but current is the value '10' of type 'byte'$`,
      ),
    );
    // a string is compared (and found inequivalent) before it would be validated
    await expectChannelError(
      conn,
      (c) => c.assertQueue(q, { exclusive: true, arguments: { 'x-max-priority': '10' } }),
      406,
      new RegExp(`^PRECONDITION_FAILED - inequivalent arg 'x-max-priority' for queue ${quoted(q)} in vhost '/': received '10' but current is '10'$`),
    );
  });
});

describe('priority queues: delivery order', () => {
  test('basic.get returns higher priorities first and FIFO within a priority; no priority property means 0', LIMIT, async () => {
    const q = await priorityQueue('prio.order', 10);
    await publish(q, [
      ['n1', undefined],
      ['p1a', 1],
      ['p5a', 5],
      ['p3a', 3],
      ['z1', 0],
      ['p5b', 5],
      ['p10a', 10],
      ['p1b', 1],
      ['n2', undefined],
      ['z2', 0],
      ['p3b', 3],
    ]);
    assert.deepEqual(await drain(pub, q), ['p10a', 'p5a', 'p5b', 'p3a', 'p3b', 'p1a', 'p1b', 'n1', 'z1', 'n2', 'z2']);
  });

  test('a priority above x-max-priority counts as x-max-priority (FIFO with it), and the property is delivered unchanged', LIMIT, async () => {
    const q = await priorityQueue('prio.above', 5);
    await publish(q, [
      ['p1', 1],
      ['p5a', 5],
      ['p9', 9],
      ['p5b', 5],
      ['p255', 255],
      ['p6', 6],
      ['p3', 3],
    ]);
    const seen: Array<[string, number | undefined]> = [];
    for (;;) {
      const m = await pub.get(q, { noAck: true });
      if (m === false) break;
      seen.push([body(m), m.properties.priority]);
    }
    assert.deepEqual(seen, [
      ['p5a', 5],
      ['p9', 9],
      ['p5b', 5],
      ['p255', 255],
      ['p6', 6],
      ['p3', 3],
      ['p1', 1],
    ]);
  });

  test('x-max-priority 1: priorities 1 and above share the top level', LIMIT, async () => {
    const q = await priorityQueue('prio.one', 1);
    await publish(q, [['a0', 0], ['b1', 1], ['c2', 2], ['dn', undefined], ['e1', 1]]);
    assert.deepEqual(await drain(pub, q), ['b1', 'c2', 'e1', 'a0', 'dn']);
  });

  test('basic.get message-count counts the messages of every priority', LIMIT, async () => {
    const q = await priorityQueue('prio.count', 3);
    await publish(q, [['a', 0], ['b', 1], ['c', 2], ['d', 3], ['e', 4]]);
    const m = await pub.get(q, { noAck: true });
    assert.ok(m);
    assert.equal(body(m), 'd');
    assert.equal(m.fields.messageCount, 4);
  });

  test('a consumer receives a backlog in priority order', LIMIT, async () => {
    const q = await priorityQueue('prio.consume', 10);
    await publish(q, [['low', 1], ['none', undefined], ['high', 9], ['mid', 5], ['high2', 9]]);
    const ch = await openChannel(conn);
    const seen = new AsyncQueue<ConsumeMessage>();
    await ch.consume(q, (m) => { if (m) seen.push(m); }, { noAck: true });
    assert.deepEqual((await seen.take(5)).map(body), ['high', 'high2', 'mid', 'low', 'none']);
    await ch.close();
  });

  test('messages published while the consumer is at its prefetch limit are then delivered by priority', LIMIT, async () => {
    const q = await priorityQueue('prio.prefetch', 10);
    const ch = await openChannel(conn);
    await ch.prefetch(1);
    const seen = new AsyncQueue<ConsumeMessage>();
    await ch.consume(q, (m) => { if (m) seen.push(m); });
    await publish(q, [['first', 1]]);
    const first = await seen.next();
    assert.equal(body(first), 'first');
    // the consumer is full: these wait in the queue
    await publish(q, [['a', 1], ['b', 8], ['c', 3], ['d', 8], ['e', 10], ['f', 0], ['g', undefined]]);
    assert.equal(seen.all.length, 1);
    const order: string[] = [];
    let last = first;
    for (let i = 0; i < 7; i++) {
      ch.ack(last);
      last = await seen.next();
      order.push(body(last));
    }
    assert.deepEqual(order, ['e', 'b', 'd', 'c', 'a', 'f', 'g']);
    ch.ack(last);
    await ch.close();
  });
});

describe('priority queues: requeue', () => {
  test('nacked (requeued) messages go back to their place within their priority, ahead of later ones', LIMIT, async () => {
    const q = await priorityQueue('prio.requeue', 5);
    const msgs: Msg[] = [
      ['n1', undefined],
      ['a1', 1],
      ['b1', 5],
      ['c1', 3],
      ['d1', 9],
      ['z1', 0],
      ['b2', 5],
      ['e1', 255],
      ['a2', 1],
      ['n2', undefined],
      ['f1', 6],
    ];
    await publish(q, msgs);
    const ch = await openChannel(conn);
    const got: GetMessage[] = [];
    for (let i = 0; i < 4; i++) {
      const m = await ch.get(q);
      assert.ok(m);
      got.push(m);
    }
    assert.deepEqual(got.map(body), ['b1', 'd1', 'b2', 'e1']);
    await publish(q, [['late3', 3]]);
    ch.nackAll(true);
    const after: string[] = [];
    for (;;) {
      const m = await ch.get(q, { noAck: true });
      if (m === false) break;
      after.push(`${body(m)}${m.fields.redelivered ? '*' : ''}`);
    }
    assert.deepEqual(after, ['b1*', 'd1*', 'b2*', 'e1*', 'f1', 'c1', 'late3', 'a1', 'a2', 'n1', 'z1', 'n2']);
    await ch.close();
  });

  test('unacked messages requeued by a channel close are delivered again by priority', LIMIT, async () => {
    const q = await priorityQueue('prio.close', 10);
    await publish(q, [['lo', 1], ['hi', 7], ['mid', 4]]);
    const ch = await openChannel(conn);
    const m1 = await ch.get(q);
    const m2 = await ch.get(q);
    assert.ok(m1 && m2);
    assert.deepEqual([body(m1), body(m2)], ['hi', 'mid']);
    await publish(q, [['top', 10], ['mid2', 4]]);
    await ch.close();
    const after: string[] = [];
    for (;;) {
      const m = await pub.get(q, { noAck: true });
      if (m === false) break;
      after.push(`${body(m)}${m.fields.redelivered ? '*' : ''}`);
    }
    assert.deepEqual(after, ['top', 'hi*', 'mid*', 'mid2', 'lo']);
  });
});
