// Single active consumer (x-single-active-consumer), consumer priorities (x-priority on basic.consume)
// and the consumer cancel notification sent when a queue is deleted, pinned to RabbitMQ 3.10
// (classic queues; the quorum-queue variants are in quorum-queues.test.ts).
// See docs/notes-rabbitmq-consumers.md for the facts these tests encode.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Channel, ChannelModel, ConfirmChannel, ConsumeMessage, Options } from 'amqplib';
import { testBroker, uniqueName, type TestBroker } from '../helpers/broker.js';
import { AsyncQueue, closeQuietly, connect, deferred, openChannel, openConfirmChannel } from '../helpers/amqp-expect.js';
import { expectChannelError, quoted } from '../helpers/amqp-errors.js';
import { M, RawClient, Writer, defaultClientProperties, methodFrame, type FieldTable } from '../helpers/raw-amqp.js';

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
const body = (m: ConsumeMessage) => m.content.toString();
/** body, with a '*' when the delivery is flagged redelivered */
const mark = (m: ConsumeMessage) => `${body(m)}${m.fields.redelivered ? '*' : ''}`;

async function sacQueue(prefix: string): Promise<string> {
  const q = uniqueName(prefix);
  await pub.assertQueue(q, { exclusive: true, arguments: { 'x-single-active-consumer': true } });
  return q;
}

async function plainQueue(prefix: string): Promise<string> {
  const q = uniqueName(prefix);
  await pub.assertQueue(q, { exclusive: true });
  return q;
}

/** Publishes with confirms: every message is enqueued (and routed to consumers) when this returns. */
async function publish(q: string, bodies: string[]): Promise<void> {
  for (const b of bodies) pub.sendToQueue(q, Buffer.from(b));
  await pub.waitForConfirms();
}

interface Consumer {
  ch: Channel;
  tag: string;
  seen: AsyncQueue<ConsumeMessage>;
  /** resolves when the server cancels the consumer (amqplib calls back with null) */
  cancelled: Promise<void>;
}

/** A consumer on its own channel. */
async function consumer(
  q: string,
  opts: Options.Consume & { prefetch?: number } = {},
): Promise<Consumer> {
  const ch = await openChannel(conn);
  if (opts.prefetch !== undefined) await ch.prefetch(opts.prefetch);
  const seen = new AsyncQueue<ConsumeMessage>();
  const cancelled = deferred();
  const { prefetch: _, ...consumeOpts } = opts;
  const { consumerTag } = await ch.consume(
    q,
    (m) => {
      if (m) seen.push(m);
      else cancelled.resolve();
    },
    consumeOpts,
  );
  return { ch, tag: consumerTag, seen, cancelled: cancelled.promise };
}

/** Ready messages in q (a round trip on ch, so also a barrier for ch). */
async function ready(ch: Channel, q: string): Promise<number> {
  return (await ch.checkQueue(q)).messageCount;
}

describe('single active consumer: declaration', () => {
  test('x-single-active-consumer true and false are accepted', LIMIT, async () => {
    const ch = await openChannel(conn);
    for (const v of [true, false]) {
      const q = uniqueName('sac.decl');
      assert.deepEqual(await ch.assertQueue(q, { exclusive: true, arguments: { 'x-single-active-consumer': v } }), {
        queue: q,
        messageCount: 0,
        consumerCount: 0,
      });
    }
    await ch.close();
  });

  const invalid: Array<[string, unknown, string]> = [
    ['a string', 'true', 'longstr'],
    ['the integer 1', 1, 'byte'],
    ['the integer 0', 0, 'byte'],
    ['void', null, 'void'],
  ];
  for (const [what, value, type] of invalid) {
    test(`x-single-active-consumer as ${what} is a 406 channel error`, LIMIT, async () => {
      const q = uniqueName('sac.bad');
      await expectChannelError(
        conn,
        (ch) => ch.assertQueue(q, { exclusive: true, arguments: { 'x-single-active-consumer': value } }),
        406,
        new RegExp(
          `^PRECONDITION_FAILED - invalid arg 'x-single-active-consumer' for queue ${quoted(q)} in vhost '/': \\{unacceptable_type,${type}\\}$`,
        ),
        { method: 'queue.declare' },
      );
    });
  }
});

describe('single active consumer: delivery', () => {
  test('only the first registered consumer receives messages; the others all count as consumers', LIMIT, async () => {
    const q = await sacQueue('sac.first');
    const a = await consumer(q);
    const b = await consumer(q);
    const c = await consumer(q);
    assert.deepEqual(await pub.checkQueue(q), { queue: q, messageCount: 0, consumerCount: 3 });
    await publish(q, ['m1', 'm2', 'm3', 'm4']);
    assert.deepEqual((await a.seen.take(4)).map(body), ['m1', 'm2', 'm3', 'm4']);
    assert.equal(await ready(b.ch, q), 0);
    assert.equal(await ready(c.ch, q), 0);
    assert.equal(b.seen.all.length + c.seen.all.length, 0);
    await Promise.all([a.ch.close(), b.ch.close(), c.ch.close()]);
  });

  test('while the active consumer is at its prefetch limit the others still get nothing', LIMIT, async () => {
    const q = await sacQueue('sac.full');
    const a = await consumer(q, { prefetch: 1 });
    const b = await consumer(q);
    await publish(q, ['m1', 'm2', 'm3']);
    assert.equal(body(await a.seen.next()), 'm1');
    assert.equal(await ready(b.ch, q), 2);
    assert.equal(b.seen.all.length, 0);
    // an ack lets the active consumer have the next one
    a.ch.ack(a.seen.all[0]!);
    assert.equal(body(await a.seen.next()), 'm2');
    assert.equal(await ready(b.ch, q), 1);
    assert.equal(b.seen.all.length, 0);
    await Promise.all([a.ch.close(), b.ch.close()]);
  });

  test('when the active consumer cancels, the next registered one takes over; its unacked messages stay with it', LIMIT, async () => {
    const q = await sacQueue('sac.cancel');
    const a = await consumer(q);
    const b = await consumer(q);
    const c = await consumer(q);
    await publish(q, ['m1', 'm2']);
    const [m1, m2] = await a.seen.take(2);
    await a.ch.cancel(a.tag);
    await publish(q, ['m3']);
    assert.equal(mark(await b.seen.next()), 'm3');
    // a's unacked deliveries are still a's to settle: a requeued one goes to the new active consumer
    a.ch.nack(m1!, false, true);
    assert.equal(mark(await b.seen.next()), 'm1*');
    a.ch.ack(m2!);
    assert.equal(await ready(a.ch, q), 0);
    assert.equal(await ready(c.ch, q), 0);
    assert.equal(c.seen.all.length, 0);
    assert.deepEqual(await pub.checkQueue(q), { queue: q, messageCount: 0, consumerCount: 2 });
    await Promise.all([a.ch.close(), b.ch.close(), c.ch.close()]);
  });

  test("when the active consumer's channel closes, its unacked messages are requeued and go to the next consumer", LIMIT, async () => {
    const q = await sacQueue('sac.close');
    const a = await consumer(q, { prefetch: 2 });
    const b = await consumer(q);
    await publish(q, ['m1', 'm2', 'm3', 'm4']);
    assert.deepEqual((await a.seen.take(2)).map(body), ['m1', 'm2']);
    assert.equal(await ready(b.ch, q), 2);
    await a.ch.close();
    assert.deepEqual((await b.seen.take(4)).map(mark), ['m1*', 'm2*', 'm3', 'm4']);
    assert.deepEqual(await pub.checkQueue(q), { queue: q, messageCount: 0, consumerCount: 1 });
    await b.ch.close();
  });

  test('a no-ack active consumer gets everything too', LIMIT, async () => {
    const q = await sacQueue('sac.noack');
    const a = await consumer(q, { noAck: true });
    const b = await consumer(q, { noAck: true });
    await publish(q, ['m1', 'm2', 'm3']);
    assert.deepEqual((await a.seen.take(3)).map(body), ['m1', 'm2', 'm3']);
    assert.equal(await ready(b.ch, q), 0);
    assert.equal(b.seen.all.length, 0);
    await Promise.all([a.ch.close(), b.ch.close()]);
  });

  test('a consumer that registers on an idle queue after the active one left becomes active', LIMIT, async () => {
    const q = await sacQueue('sac.late');
    const a = await consumer(q);
    await a.ch.cancel(a.tag);
    const b = await consumer(q);
    await publish(q, ['m1']);
    assert.equal(body(await b.seen.next()), 'm1');
    await Promise.all([a.ch.close(), b.ch.close()]);
  });

  test('x-priority does not displace the active consumer, but picks the successor (highest priority, then FIFO)', LIMIT, async () => {
    const q = await sacQueue('sac.prio');
    const a = await consumer(q);
    const b = await consumer(q);
    const c = await consumer(q, { priority: 10 });
    const d = await consumer(q, { priority: 10 });
    await publish(q, ['m1', 'm2']);
    assert.deepEqual((await a.seen.take(2)).map(body), ['m1', 'm2']);
    await a.ch.cancel(a.tag);
    await publish(q, ['m3']);
    assert.equal(body(await c.seen.next()), 'm3');
    await c.ch.cancel(c.tag);
    await publish(q, ['m4']);
    assert.equal(body(await d.seen.next()), 'm4');
    await d.ch.cancel(d.tag);
    await publish(q, ['m5']);
    assert.equal(body(await b.seen.next()), 'm5');
    assert.deepEqual(
      [a, b, c, d].map((x) => x.seen.all.map(body)),
      [['m1', 'm2'], ['m5'], ['m3'], ['m4']],
    );
    await Promise.all([a, b, c, d].map((x) => x.ch.close()));
  });

  test('basic.get still works on a single-active-consumer queue and takes the next ready message', LIMIT, async () => {
    const q = await sacQueue('sac.get');
    const a = await consumer(q, { prefetch: 1 });
    await publish(q, ['m1', 'm2', 'm3']);
    assert.equal(body(await a.seen.next()), 'm1');
    const g = await pub.get(q, { noAck: true });
    assert.ok(g);
    assert.equal(g.content.toString(), 'm2');
    assert.equal(g.fields.messageCount, 1);
    await a.ch.close();
  });

  test('an exclusive basic.consume on a single-active-consumer queue is refused with 403, even with no consumers', LIMIT, async () => {
    const q = await sacQueue('sac.exclusive');
    const text = new RegExp(`^ACCESS_REFUSED - queue ${quoted(q)} in vhost '/' in exclusive use$`);
    await expectChannelError(conn, (ch) => ch.consume(q, () => {}, { exclusive: true }), 403, text, {
      method: 'basic.consume',
    });
    const a = await consumer(q);
    await expectChannelError(conn, (ch) => ch.consume(q, () => {}, { exclusive: true }), 403, text, {
      method: 'basic.consume',
    });
    // a non-exclusive consumer is still fine
    const b = await consumer(q);
    assert.deepEqual(await pub.checkQueue(q), { queue: q, messageCount: 0, consumerCount: 2 });
    await Promise.all([a.ch.close(), b.ch.close()]);
  });
});

describe('consumer priorities (x-priority)', () => {
  test('a higher-priority consumer gets messages while it has prefetch credit; the lower one gets the rest', LIMIT, async () => {
    const q = await plainQueue('cprio.credit');
    const lo = await consumer(q, { priority: 0 });
    const hi = await consumer(q, { priority: 10, prefetch: 2 });
    await publish(q, ['m1', 'm2', 'm3', 'm4', 'm5', 'm6']);
    assert.deepEqual((await hi.seen.take(2)).map(body), ['m1', 'm2']);
    assert.deepEqual((await lo.seen.take(4)).map(body), ['m3', 'm4', 'm5', 'm6']);
    // credit back: the next message goes to the higher priority again
    hi.ch.ack(hi.seen.all[0]!);
    assert.equal(await ready(hi.ch, q), 0);
    await publish(q, ['m7', 'm8']);
    assert.equal(body(await hi.seen.next()), 'm7');
    assert.equal(body(await lo.seen.next()), 'm8');
    await Promise.all([lo.ch.close(), hi.ch.close()]);
  });

  test('an unblocked higher-priority consumer takes everything', LIMIT, async () => {
    const q = await plainQueue('cprio.all');
    const lo = await consumer(q, { priority: 1 });
    const hi = await consumer(q, { priority: 2 });
    await publish(q, ['m1', 'm2', 'm3', 'm4']);
    assert.deepEqual((await hi.seen.take(4)).map(body), ['m1', 'm2', 'm3', 'm4']);
    assert.equal(await ready(lo.ch, q), 0);
    assert.equal(lo.seen.all.length, 0);
    await Promise.all([lo.ch.close(), hi.ch.close()]);
  });

  test('consumers of equal priority share round-robin; lower priorities get nothing', LIMIT, async () => {
    const q = await plainQueue('cprio.rr');
    const a = await consumer(q, { priority: 5 });
    const b = await consumer(q, { priority: 5 });
    const c = await consumer(q, { priority: 1 });
    await publish(q, ['m1', 'm2', 'm3', 'm4', 'm5', 'm6']);
    assert.deepEqual((await a.seen.take(3)).map(body), ['m1', 'm3', 'm5']);
    assert.deepEqual((await b.seen.take(3)).map(body), ['m2', 'm4', 'm6']);
    assert.equal(await ready(c.ch, q), 0);
    assert.equal(c.seen.all.length, 0);
    await Promise.all([a.ch.close(), b.ch.close(), c.ch.close()]);
  });

  test('no x-priority means 0, and negative priorities are allowed (below the default)', LIMIT, async () => {
    const q = await plainQueue('cprio.neg');
    const neg = await consumer(q, { priority: -1 });
    const def = await consumer(q);
    await publish(q, ['m1', 'm2', 'm3']);
    assert.deepEqual((await def.seen.take(3)).map(body), ['m1', 'm2', 'm3']);
    assert.equal(await ready(neg.ch, q), 0);
    assert.equal(neg.seen.all.length, 0);
    await Promise.all([neg.ch.close(), def.ch.close()]);
  });

  test('three levels: each level is used only while every higher one is blocked', LIMIT, async () => {
    const q = await plainQueue('cprio.levels');
    const lo = await consumer(q, { priority: 1 });
    const mid = await consumer(q, { priority: 5, prefetch: 1 });
    const hi = await consumer(q, { priority: 10, prefetch: 1 });
    await publish(q, ['m1', 'm2', 'm3', 'm4']);
    assert.equal(body(await hi.seen.next()), 'm1');
    assert.equal(body(await mid.seen.next()), 'm2');
    assert.deepEqual((await lo.seen.take(2)).map(body), ['m3', 'm4']);
    hi.ch.ack(hi.seen.all[0]!);
    assert.equal(await ready(hi.ch, q), 0);
    await publish(q, ['m5', 'm6']);
    assert.equal(body(await hi.seen.next()), 'm5');
    assert.equal(body(await lo.seen.next()), 'm6');
    assert.equal(mid.seen.all.length, 1);
    await Promise.all([lo.ch.close(), mid.ch.close(), hi.ch.close()]);
  });

  test('a backlog goes to the blocked high consumer only as credit frees up', LIMIT, async () => {
    const q = await plainQueue('cprio.backlog');
    await publish(q, ['m1', 'm2', 'm3', 'm4', 'm5']);
    // lo registers first and, with prefetch 1, takes only m1; hi then takes m2
    const lo = await consumer(q, { priority: 0, prefetch: 1 });
    assert.equal(body(await lo.seen.next()), 'm1');
    const hi = await consumer(q, { priority: 10, prefetch: 1 });
    assert.equal(body(await hi.seen.next()), 'm2');
    hi.ch.ack(hi.seen.all[0]!);
    assert.equal(body(await hi.seen.next()), 'm3');
    lo.ch.ack(lo.seen.all[0]!);
    assert.equal(body(await lo.seen.next()), 'm4');
    assert.equal(await ready(lo.ch, q), 1);
    await Promise.all([lo.ch.close(), hi.ch.close()]);
  });

  test('other integer types are accepted for x-priority', LIMIT, async () => {
    const q = await plainQueue('cprio.types');
    const ch = await openChannel(conn);
    for (const v of [
      { '!': 'long', value: 2 ** 40 },
      { '!': 'int', value: 7 },
      { '!': 'short', value: -300 },
      { '!': 'unsignedbyte', value: 3 },
      { '!': 'unsignedshort', value: 3 },
      { '!': 'unsignedint', value: 3 },
    ]) {
      await ch.consume(q, () => {}, { arguments: { 'x-priority': v } });
    }
    assert.deepEqual(await ch.checkQueue(q), { queue: q, messageCount: 0, consumerCount: 6 });
    await ch.close();
  });

  const invalid: Array<[string, unknown, string]> = [
    ['a numeric string', '5', 'longstr'],
    ['a string', 'high', 'longstr'],
    ['a double', 1.5, 'double'],
    ['a float', { '!': 'float', value: 3 }, 'float'],
    ['a boolean', true, 'bool'],
    ['void', null, 'void'],
    ['an array', ['a'], 'array'],
  ];
  for (const [what, value, type] of invalid) {
    test(`x-priority as ${what} is a 406 channel error on basic.consume`, LIMIT, async () => {
      const q = await plainQueue('cprio.bad');
      await expectChannelError(
        conn,
        (ch) => ch.consume(q, () => {}, { arguments: { 'x-priority': value } }),
        406,
        new RegExp(`^PRECONDITION_FAILED - invalid arg 'x-priority' for queue ${quoted(q)} in vhost '/': ${escape(`"expected integer, got ${type}"`)}$`),
        { method: 'basic.consume' },
      );
      assert.deepEqual(await pub.checkQueue(q), { queue: q, messageCount: 0, consumerCount: 0 });
    });
  }
});

describe('consumer cancel notification', () => {
  test('deleting a queue cancels its consumers (basic.cancel: amqplib calls back with null); the channel stays open', LIMIT, async () => {
    const q = uniqueName('cancel.delete');
    await pub.assertQueue(q, { durable: false });
    const a = await consumer(q);
    const b = await consumer(q);
    await publish(q, ['m1']);
    const m1 = await a.seen.next();
    const other = await openChannel(conn);
    assert.deepEqual(await other.deleteQueue(q), { messageCount: 0 });
    await Promise.all([a.cancelled, b.cancelled]);
    // the channel survives, and the delivery from the deleted queue can still be acked
    a.ch.ack(m1);
    await a.ch.checkExchange('amq.direct');
    // the tag is free again: cancelling it is a no-op, and it can be reused
    assert.deepEqual(await a.ch.cancel(a.tag), { consumerTag: a.tag });
    const q2 = await plainQueue('cancel.reuse');
    assert.deepEqual(await a.ch.consume(q2, () => {}, { consumerTag: a.tag }), { consumerTag: a.tag });
    await Promise.all([a.ch.close(), b.ch.close(), other.close()]);
  });

  test('deleting a single-active-consumer queue cancels the waiting consumers too', LIMIT, async () => {
    const q = uniqueName('cancel.sac');
    await pub.assertQueue(q, { durable: false, arguments: { 'x-single-active-consumer': true } });
    const a = await consumer(q);
    const b = await consumer(q);
    await pub.deleteQueue(q);
    await Promise.all([a.cancelled, b.cancelled]);
    await Promise.all([a.ch.close(), b.ch.close()]);
  });

  describe('on the wire', () => {
    function consumeFrame(channel: number, queue: string, tag: string): Buffer {
      // basic.consume: ticket, queue, consumer-tag, no-local, no-ack, exclusive, no-wait, arguments
      const args = new Writer().short(0).shortstr(queue).shortstr(tag).bit(false).bit(false).bit(false).bit(false).table({});
      return methodFrame(channel, 60, 20, args.toBuffer());
    }

    async function rawClient(capabilities: FieldTable): Promise<RawClient> {
      const raw = await RawClient.connect(broker.url);
      const props = defaultClientProperties();
      props['capabilities'] = { ...(props['capabilities'] as FieldTable), ...capabilities };
      await raw.handshake({ clientProperties: props });
      return raw;
    }

    test('with consumer_cancel_notify: basic.cancel(consumer-tag, no-wait=1), after queue.delete-ok on the deleting channel', LIMIT, async () => {
      const raw = await rawClient({ consumer_cancel_notify: true });
      try {
        await raw.openChannel(1);
        await raw.openChannel(2);
        const q = uniqueName('cancel.wire');
        await raw.write(M.queueDeclare(1, q));
        await raw.expectMethod(50, 11);
        await raw.write(consumeFrame(1, q, 'tag-on-1'));
        await raw.expectMethod(60, 21);
        await raw.write(consumeFrame(2, q, 'tag-on-2'));
        await raw.expectMethod(60, 21);
        await raw.write(M.queueDelete(1, q));
        const seen: string[] = [];
        const tags: Record<number, string> = {};
        for (let i = 0; i < 3; i++) {
          const m = await raw.nextMethod();
          seen.push(`${m.channel}:${m.classId}.${m.methodId}`);
          if (m.classId === 60 && m.methodId === 30) {
            tags[m.channel] = m.args.shortstr();
            assert.equal(m.args.octet(), 1, 'no-wait bit set');
          }
        }
        assert.deepEqual(tags, { 1: 'tag-on-1', 2: 'tag-on-2' });
        // channel 1: delete-ok first, then its basic.cancel
        const on1 = seen.filter((s) => s.startsWith('1:'));
        assert.deepEqual(on1, ['1:50.41', '1:60.30']);
        assert.ok(seen.includes('2:60.30'));
      } finally {
        await raw.close().catch(() => raw.destroy());
      }
    });

    test('without consumer_cancel_notify the consumer disappears silently', LIMIT, async () => {
      const raw = await rawClient({});
      try {
        await raw.openChannel(1);
        const q = uniqueName('cancel.silent');
        await raw.write(M.queueDeclare(1, q));
        await raw.expectMethod(50, 11);
        await raw.write(consumeFrame(1, q, 'silent'));
        await raw.expectMethod(60, 21);
        await pub.deleteQueue(q);
        // a round trip on the channel: the next frame is its answer, not a basic.cancel
        await raw.write(M.queueDeclare(1, '', { exclusive: true }));
        const m = await raw.nextMethod();
        assert.deepEqual([m.channel, m.classId, m.methodId], [1, 50, 11]);
      } finally {
        await raw.close().catch(() => raw.destroy());
      }
    });
  });
});
