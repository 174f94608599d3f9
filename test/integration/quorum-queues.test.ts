// Quorum queues (x-queue-type quorum) as a single-node RabbitMQ 3.10 shows them to an AMQP 0-9-1 client.
// See docs/notes-rabbitmq-consumers.md for the facts these tests encode.
//
// Quorum queues are durable and outlive the test's connection, so every test deletes the ones it made
// (in a finally block). Message counts from a passive declare are not used as barriers here; basic.get
// and publisher confirms are.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Channel, ChannelModel, ConfirmChannel, ConsumeMessage, GetMessage, Options } from 'amqplib';
import { testBroker, uniqueName, type TestBroker } from '../helpers/broker.js';
import { AsyncQueue, closeQuietly, connect, deferred, openChannel, openConfirmChannel } from '../helpers/amqp-expect.js';
import { expectChannelError, expectConnectionError, quoted } from '../helpers/amqp-errors.js';
import { M, RawClient, Reader, decodeTableTyped, type TypedTable } from '../helpers/raw-amqp.js';

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

const QUORUM = { 'x-queue-type': 'quorum' } as const;
const body = (m: ConsumeMessage | GetMessage) => m.content.toString();

/**
 * Runs fn with a function that names (and remembers) quorum queues; deletes them all afterwards,
 * whether fn passed or not.
 */
async function withQueues(fn: (name: (prefix: string) => string) => Promise<void>): Promise<void> {
  const names: string[] = [];
  try {
    await fn((prefix) => {
      const n = uniqueName(prefix);
      names.push(n);
      return n;
    });
  } finally {
    const c = await connect(broker.url);
    const ch = await openChannel(c);
    for (const n of names) await ch.deleteQueue(n).catch(() => {});
    await closeQuietly(c);
  }
}

async function declareQuorum(q: string, args: Record<string, unknown> = {}): Promise<void> {
  assert.deepEqual(await pub.assertQueue(q, { durable: true, arguments: { ...QUORUM, ...args } }), {
    queue: q,
    messageCount: 0,
    consumerCount: 0,
  });
}

async function publish(q: string, bodies: string[], opts: Options.Publish = {}): Promise<void> {
  for (const b of bodies) pub.sendToQueue(q, Buffer.from(b), opts);
  await pub.waitForConfirms();
}

async function drain(ch: Channel, q: string): Promise<string[]> {
  const out: string[] = [];
  for (;;) {
    const m = await ch.get(q, { noAck: true });
    if (m === false) return out;
    out.push(body(m));
  }
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('quorum queues: declaration', () => {
  test('a durable quorum queue is declared; a passive declare and a same redeclare answer alike', LIMIT, async () => {
    await withQueues(async (name) => {
      const q = name('qq.decl');
      await declareQuorum(q);
      assert.deepEqual(await pub.checkQueue(q), { queue: q, messageCount: 0, consumerCount: 0 });
      await declareQuorum(q);
    });
  });

  const badProperty: Array<[string, Options.AssertQueue, string]> = [
    ['non-durable', { durable: false }, 'non-durable'],
    ['exclusive', { durable: true, exclusive: true }, 'exclusive-owner'],
    ['auto-delete', { durable: true, autoDelete: true }, 'auto-delete'],
    // several at once: auto-delete is reported first, then exclusive, then non-durable
    ['non-durable and exclusive', { durable: false, exclusive: true }, 'exclusive-owner'],
    ['non-durable and auto-delete', { durable: false, autoDelete: true }, 'auto-delete'],
    ['exclusive and auto-delete', { durable: true, exclusive: true, autoDelete: true }, 'auto-delete'],
  ];
  for (const [what, opts, property] of badProperty) {
    test(`a ${what} quorum queue is 406 invalid property '${property}'`, LIMIT, async () => {
      await withQueues(async (name) => {
        const q = name('qq.badprop');
        await expectChannelError(
          conn,
          (ch) => ch.assertQueue(q, { ...opts, arguments: QUORUM }),
          406,
          new RegExp(`^PRECONDITION_FAILED - invalid property '${property}' for queue ${quoted(q)} in vhost '/'$`),
          { method: 'queue.declare' },
        );
        await expectChannelError(conn, (ch) => ch.checkQueue(q), 404, /^NOT_FOUND - no queue /);
      });
    });
  }

  const badArg: Array<[string, Record<string, unknown>, string]> = [
    ['x-max-priority 5', { 'x-max-priority': 5 }, 'x-max-priority'],
    ['x-max-priority 0', { 'x-max-priority': 0 }, 'x-max-priority'],
    ['x-max-priority as a string', { 'x-max-priority': 'a' }, 'x-max-priority'],
    ['x-queue-mode lazy', { 'x-queue-mode': 'lazy' }, 'x-queue-mode'],
    ['x-queue-master-locator', { 'x-queue-master-locator': 'min-masters' }, 'x-queue-master-locator'],
  ];
  for (const [what, args, arg] of badArg) {
    test(`a quorum queue with ${what} is 406 (no reason given, just the queue type)`, LIMIT, async () => {
      await withQueues(async (name) => {
        const q = name('qq.badarg');
        await expectChannelError(
          conn,
          (ch) => ch.assertQueue(q, { durable: true, arguments: { ...QUORUM, ...args } }),
          406,
          new RegExp(`^PRECONDITION_FAILED - invalid arg '${arg}' for queue ${quoted(q)} in vhost '/' of queue type rabbit_quorum_queue$`),
          { method: 'queue.declare' },
        );
      });
    });
  }

  test('unsupported arguments are reported before bad properties', LIMIT, async () => {
    await withQueues(async (name) => {
      const q = name('qq.order');
      await expectChannelError(
        conn,
        (ch) => ch.assertQueue(q, { durable: false, exclusive: true, arguments: { ...QUORUM, 'x-max-priority': 5 } }),
        406,
        new RegExp(`^PRECONDITION_FAILED - invalid arg 'x-max-priority' for queue ${quoted(q)} in vhost '/' of queue type rabbit_quorum_queue$`),
      );
    });
  });

  test('an invalid x-dead-letter-strategy is 406 with the reason', LIMIT, async () => {
    await withQueues(async (name) => {
      const q = name('qq.dlstrategy');
      await expectChannelError(
        conn,
        (ch) => ch.assertQueue(q, { durable: true, arguments: { ...QUORUM, 'x-dead-letter-strategy': 'bad' } }),
        406,
        new RegExp(`^PRECONDITION_FAILED - invalid arg 'x-dead-letter-strategy' for queue ${quoted(q)} in vhost '/': invalid_dlx_strategy$`),
      );
    });
  });

  test('a server-named quorum queue is 406', LIMIT, async () => {
    await expectChannelError(
      conn,
      (ch) => ch.assertQueue('', { durable: true, arguments: QUORUM }),
      406,
      /^PRECONDITION_FAILED - Cannot declare a server-named queue for type rabbit_quorum_queue$/,
      { method: 'queue.declare' },
    );
  });

  test('accepted arguments: x-delivery-limit (even 0, negative or a string), x-max-length, x-message-ttl, x-expires, x-single-active-consumer, x-overflow, x-dead-letter-strategy, x-quorum-initial-group-size, x-max-in-memory-length', LIMIT, async () => {
    const accepted: Array<Record<string, unknown>> = [
      { 'x-delivery-limit': 5 },
      { 'x-delivery-limit': 0 },
      { 'x-delivery-limit': -1 },
      { 'x-delivery-limit': 'x' },
      { 'x-max-length': 10 },
      { 'x-message-ttl': 1000 },
      { 'x-expires': 100_000 },
      { 'x-single-active-consumer': true },
      { 'x-overflow': 'reject-publish' },
      { 'x-overflow': 'drop-head' },
      { 'x-overflow': 'reject-publish-dlx' },
      { 'x-dead-letter-strategy': 'at-least-once' },
      { 'x-quorum-initial-group-size': 3 },
      { 'x-max-in-memory-length': 5 },
    ];
    await withQueues(async (name) => {
      for (const args of accepted) await declareQuorum(name('qq.accepted'), args);
    });
  });

  test('x-overflow reject-publish-dlx is accepted but acts as drop-head (every publish confirmed, oldest dropped)', LIMIT, async () => {
    await withQueues(async (name) => {
      const q = name('qq.rpdlx');
      await declareQuorum(q, { 'x-max-length': 1, 'x-overflow': 'reject-publish-dlx' });
      const outcomes: string[] = [];
      for (const b of ['a', 'b', 'c']) {
        pub.sendToQueue(q, Buffer.from(b), {}, (err: unknown) => outcomes.push(`${b}:${err ? 'nack' : 'ack'}`));
      }
      await pub.waitForConfirms();
      assert.deepEqual(outcomes, ['a:ack', 'b:ack', 'c:ack']);
      assert.deepEqual(await drain(pub, q), ['c']);
    });
  });

  const quorumOnly: Array<[string, unknown]> = [
    ['x-delivery-limit', 5],
    ['x-quorum-initial-group-size', 3],
    ['x-dead-letter-strategy', 'at-most-once'],
    ['x-max-in-memory-length', 5],
  ];
  for (const [arg, value] of quorumOnly) {
    test(`a classic queue with ${arg} is 406 (of queue type rabbit_classic_queue)`, LIMIT, async () => {
      await withQueues(async (name) => {
        const q = name('cq.quorumonly');
        await expectChannelError(
          conn,
          (ch) => ch.assertQueue(q, { durable: true, arguments: { [arg]: value } }),
          406,
          new RegExp(`^PRECONDITION_FAILED - invalid arg '${arg}' for queue ${quoted(q)} in vhost '/' of queue type rabbit_classic_queue$`),
          { method: 'queue.declare' },
        );
      });
    });
  }
});

describe('quorum queues: redeclaration', () => {
  test('redeclaring a quorum queue as classic, or without x-queue-type, is 406 inequivalent arg', LIMIT, async () => {
    await withQueues(async (name) => {
      const q = name('qq.redecl');
      await declareQuorum(q);
      const prefix = `^PRECONDITION_FAILED - inequivalent arg 'x-queue-type' for queue ${quoted(q)} in vhost '/': `;
      await expectChannelError(
        conn,
        (ch) => ch.assertQueue(q, { durable: true, arguments: { 'x-queue-type': 'classic' } }),
        406,
        new RegExp(`${prefix}received 'classic' but current is 'quorum'$`),
        { method: 'queue.declare' },
      );
      await expectChannelError(
        conn,
        (ch) => ch.assertQueue(q, { durable: true }),
        406,
        new RegExp(`${prefix}received none but current is the value 'quorum' of type 'longstr'$`),
      );
    });
  });

  test('redeclaring a classic queue as quorum is 406 inequivalent arg', LIMIT, async () => {
    await withQueues(async (name) => {
      const q = name('cq.redecl');
      await pub.assertQueue(q, { durable: true });
      await expectChannelError(
        conn,
        (ch) => ch.assertQueue(q, { durable: true, arguments: QUORUM }),
        406,
        new RegExp(
          `^PRECONDITION_FAILED - inequivalent arg 'x-queue-type' for queue ${quoted(q)} in vhost '/': ` +
            `received the value 'quorum' of type 'longstr' but current is none$`,
        ),
      );
    });
  });

  test('redeclaring an existing quorum queue non-durable is the generic durable inequivalence', LIMIT, async () => {
    await withQueues(async (name) => {
      const q = name('qq.redecl-durable');
      await declareQuorum(q);
      await expectChannelError(
        conn,
        (ch) => ch.assertQueue(q, { durable: false, arguments: QUORUM }),
        406,
        new RegExp(`^PRECONDITION_FAILED - inequivalent arg 'durable' for queue ${quoted(q)} in vhost '/': received 'false' but current is 'true'$`),
      );
    });
  });

  test('adding x-delivery-limit on redeclare is 406 inequivalent arg', LIMIT, async () => {
    await withQueues(async (name) => {
      const q = name('qq.redecl-limit');
      await declareQuorum(q);
      await expectChannelError(
        conn,
        (ch) => ch.assertQueue(q, { durable: true, arguments: { ...QUORUM, 'x-delivery-limit': 3 } }),
        406,
        new RegExp(
          `^PRECONDITION_FAILED - inequivalent arg 'x-delivery-limit' for queue ${quoted(q)} in vhost '/': ` +
            `received the value '3' of type 'byte' but current is none$`,
        ),
      );
    });
  });
});

/** basic.get through the raw client, keeping header field types. */
async function rawGetHeaders(raw: RawClient, q: string): Promise<{ body: string; headers: TypedTable | undefined } | null> {
  await raw.write(M.basicGet(1, q, true));
  const m = await raw.nextMethod();
  if (m.classId === 60 && m.methodId === 72) return null; // get-empty
  assert.deepEqual([m.classId, m.methodId], [60, 71]);
  const h = await raw.nextFrame();
  const r = new Reader(h.payload);
  r.short(); // class
  r.short(); // weight
  const size = Number(r.longlong());
  const flags = r.short();
  if (flags & (1 << 15)) r.shortstr(); // content-type
  if (flags & (1 << 14)) r.shortstr(); // content-encoding
  const headers = flags & (1 << 13) ? decodeTableTyped(r.longstr()) : undefined;
  const b = size > 0 ? (await raw.nextFrame()).payload.toString() : '';
  return { body: b, headers };
}

describe('quorum queues: delivery', () => {
  test('basic.get works; every basic.get delivery carries x-delivery-count (0 the first time)', LIMIT, async () => {
    await withQueues(async (name) => {
      const q = name('qq.get');
      await declareQuorum(q);
      await publish(q, ['m1', 'm2']);
      await publish(q, ['m3'], { headers: { a: 1 } });
      const ch = await openChannel(conn);
      const g1 = await ch.get(q, { noAck: false });
      assert.ok(g1);
      assert.equal(body(g1), 'm1');
      assert.equal(g1.fields.redelivered, false);
      assert.equal(g1.fields.messageCount, 2);
      assert.deepEqual(g1.properties.headers, { 'x-delivery-count': 0 });
      ch.ack(g1);
      const g2 = await ch.get(q, { noAck: true });
      assert.ok(g2);
      assert.deepEqual(g2.properties.headers, { 'x-delivery-count': 0 });
      const g3 = await ch.get(q, { noAck: true });
      assert.ok(g3);
      assert.deepEqual(g3.properties.headers, { a: 1, 'x-delivery-count': 0 });
      assert.equal(await ch.get(q), false);
      await ch.close();
    });
  });

  test('x-delivery-count is a long (type l), counting returns', LIMIT, async () => {
    await withQueues(async (name) => {
      const q = name('qq.count-type');
      await declareQuorum(q);
      await publish(q, ['m1']);
      const ch = await openChannel(conn);
      const g = await ch.get(q);
      assert.ok(g);
      ch.nack(g, false, true);
      await ch.close();
      const raw = await RawClient.connect(broker.url);
      try {
        await raw.handshake();
        await raw.openChannel(1);
        const got = await rawGetHeaders(raw, q);
        assert.ok(got);
        assert.equal(got.body, 'm1');
        assert.deepEqual(got.headers, { 'x-delivery-count': { type: 'l', value: 1n } });
      } finally {
        await raw.close().catch(() => raw.destroy());
      }
    });
  });

  test('a consumer sees no x-delivery-count on a first delivery, then 1, 2, ... with redelivered set', LIMIT, async () => {
    await withQueues(async (name) => {
      const q = name('qq.consume-count');
      await declareQuorum(q);
      await publish(q, ['m1'], { headers: { h: 'x' } });
      const ch = await openChannel(conn);
      const seen = new AsyncQueue<ConsumeMessage>();
      await ch.consume(q, (m) => {
        if (!m) return;
        seen.push(m);
        if (seen.all.length < 3) ch.nack(m, false, true);
        else ch.ack(m);
      });
      const ms = await seen.take(3);
      assert.deepEqual(
        ms.map((m) => [m.properties.headers, m.fields.redelivered]),
        [
          [{ h: 'x' }, false],
          [{ h: 'x', 'x-delivery-count': 1 }, true],
          [{ h: 'x', 'x-delivery-count': 2 }, true],
        ],
      );
      await ch.close();
    });
  });

  test('a requeued message goes to the back of a quorum queue (unlike a classic queue)', LIMIT, async () => {
    await withQueues(async (name) => {
      const q = name('qq.requeue');
      await declareQuorum(q);
      await publish(q, ['m1', 'm2', 'm3', 'm4']);
      const ch = await openChannel(conn);
      const g1 = await ch.get(q);
      const g2 = await ch.get(q);
      assert.ok(g1 && g2);
      ch.nack(g2, false, true);
      ch.nack(g1, false, true);
      const after: string[] = [];
      for (;;) {
        const m = await ch.get(q, { noAck: true });
        if (m === false) break;
        after.push(`${body(m)}:${m.properties.headers?.['x-delivery-count']}:${m.fields.redelivered}`);
      }
      assert.deepEqual(after, ['m3:0:false', 'm4:0:false', 'm2:1:true', 'm1:1:true']);
      await ch.close();
    });
  });

  test('messages are kept by the queue, not the connection: a new connection reads them', LIMIT, async () => {
    await withQueues(async (name) => {
      const q = name('qq.survive');
      const c1 = await connect(broker.url);
      const ch1 = await openConfirmChannel(c1);
      await ch1.assertQueue(q, { durable: true, arguments: QUORUM });
      ch1.sendToQueue(q, Buffer.from('kept'), { persistent: true });
      ch1.sendToQueue(q, Buffer.from('kept-transient'), { persistent: false });
      await ch1.waitForConfirms();
      await c1.close();
      const c2 = await connect(broker.url);
      const ch2 = await openChannel(c2);
      assert.deepEqual(await drain(ch2, q), ['kept', 'kept-transient']);
      await c2.close();
    });
  });
});

describe('quorum queues: x-delivery-limit', () => {
  test('after x-delivery-limit returns the message is dead-lettered with reason delivery_limit', LIMIT, async () => {
    await withQueues(async (name) => {
      const q = name('qq.limit');
      const dlq = uniqueName('qq.limit-dlq');
      await pub.assertQueue(dlq, { exclusive: true });
      await declareQuorum(q, { 'x-delivery-limit': 2, 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': dlq });
      const dead = new AsyncQueue<ConsumeMessage>();
      const dch = await openChannel(conn);
      await dch.consume(dlq, (m) => { if (m) dead.push(m); }, { noAck: true });
      await publish(q, ['m1'], { headers: { a: 1 } });
      const ch = await openChannel(conn);
      const counts: unknown[] = [];
      for (;;) {
        const m = await ch.get(q);
        if (m === false) break;
        counts.push(m.properties.headers?.['x-delivery-count']);
        ch.nack(m, false, true);
      }
      // delivered limit + 1 times
      assert.deepEqual(counts, [0, 1, 2]);
      const d = await dead.next();
      assert.equal(body(d), 'm1');
      assert.deepEqual(d.fields, {
        consumerTag: d.fields.consumerTag,
        deliveryTag: 1,
        redelivered: false,
        exchange: '',
        routingKey: dlq,
      });
      const headers = d.properties.headers as Record<string, unknown>;
      assert.equal(headers['x-delivery-count'], undefined);
      assert.equal(headers['a'], 1);
      assert.equal(headers['x-first-death-reason'], 'delivery_limit');
      assert.equal(headers['x-first-death-queue'], q);
      assert.equal(headers['x-first-death-exchange'], '');
      const deaths = headers['x-death'] as Array<Record<string, unknown>>;
      assert.equal(deaths.length, 1);
      const { time, ...death } = deaths[0]!;
      assert.ok(time);
      assert.deepEqual(death, { count: 1, reason: 'delivery_limit', queue: q, exchange: '', 'routing-keys': [q] });
      await Promise.all([ch.close(), dch.close()]);
    });
  });

  test('without a dead-letter exchange the message is dropped; limit 0 allows one delivery', LIMIT, async () => {
    await withQueues(async (name) => {
      const q = name('qq.limit0');
      await declareQuorum(q, { 'x-delivery-limit': 0 });
      await publish(q, ['m1']);
      const ch = await openChannel(conn);
      const g = await ch.get(q);
      assert.ok(g);
      ch.nack(g, false, true);
      assert.equal(await ch.get(q), false);
      await ch.close();
    });
  });

  test('basic.reject with requeue and a channel close count as returns too', LIMIT, async () => {
    await withQueues(async (name) => {
      const q = name('qq.limit-close');
      await declareQuorum(q, { 'x-delivery-limit': 1 });
      await publish(q, ['m1']);
      const a = await openChannel(conn);
      const g1 = await a.get(q);
      assert.ok(g1);
      assert.equal(g1.properties.headers?.['x-delivery-count'], 0);
      a.reject(g1, true);
      const g2 = await a.get(q);
      assert.ok(g2);
      assert.equal(g2.properties.headers?.['x-delivery-count'], 1);
      await a.close(); // returns it a second time: over the limit
      const b = await openChannel(conn);
      assert.equal(await b.get(q), false);
      await b.close();
    });
  });

  test('a consumer nacking forever sees the message limit + 1 times', LIMIT, async () => {
    await withQueues(async (name) => {
      const q = name('qq.limit-consume');
      await declareQuorum(q, { 'x-delivery-limit': 3 });
      const ch = await openChannel(conn);
      const seen = new AsyncQueue<ConsumeMessage>();
      await ch.consume(q, (m) => {
        if (!m) return;
        seen.push(m);
        ch.nack(m, false, true);
      });
      await publish(q, ['m1', 'm2']);
      await seen.take(8);
      const counts = seen.all.map((m) => `${body(m)}:${m.properties.headers?.['x-delivery-count'] ?? '-'}`);
      assert.deepEqual(counts.filter((c) => c.startsWith('m1')), ['m1:-', 'm1:1', 'm1:2', 'm1:3']);
      assert.deepEqual(counts.filter((c) => c.startsWith('m2')), ['m2:-', 'm2:1', 'm2:2', 'm2:3']);
      // nothing left
      assert.equal(await ch.get(q), false);
      assert.equal(seen.all.length, 8);
      await ch.close();
    });
  });
});

describe('quorum queues: global QoS', () => {
  test('consuming from a quorum queue on a channel with global prefetch is a 540 connection error', LIMIT, async () => {
    await withQueues(async (name) => {
      const q = name('qq.globalqos');
      await declareQuorum(q);
      await expectConnectionError(
        broker.url,
        async (ch) => {
          await ch.prefetch(5, true);
          await ch.consume(q, () => {});
        },
        540,
        new RegExp(`^NOT_IMPLEMENTED - queue ${quoted(q)} in vhost '/' does not support global qos$`),
      );
    });
  });

  test('also when the channel already consumes from a classic queue', LIMIT, async () => {
    await withQueues(async (name) => {
      const q = name('qq.globalqos2');
      await declareQuorum(q);
      await expectConnectionError(
        broker.url,
        async (ch) => {
          await ch.prefetch(5, true);
          const { queue } = await ch.assertQueue('', { exclusive: true });
          await ch.consume(queue, () => {});
          await ch.consume(q, () => {});
        },
        540,
        new RegExp(`^NOT_IMPLEMENTED - queue ${quoted(q)} in vhost '/' does not support global qos$`),
      );
    });
  });

  test('global prefetch 0, basic.get under a global prefetch, and global then per-consumer prefetch are all fine', LIMIT, async () => {
    await withQueues(async (name) => {
      const q = name('qq.globalqos-ok');
      await declareQuorum(q);
      const a = await openChannel(conn);
      await a.prefetch(0, true);
      await a.consume(q, () => {}, { consumerTag: 'zero-global' });
      await a.cancel('zero-global');
      await publish(q, ['m1']);
      const b = await openChannel(conn);
      await b.prefetch(5, true);
      const g = await b.get(q, { noAck: true });
      assert.ok(g);
      assert.equal(body(g), 'm1');
      // basic.qos global=false drops the channel's global limit (see the next test)
      await b.prefetch(5, false);
      const { consumerTag } = await b.consume(q, () => {});
      assert.match(consumerTag, /^amq\.ctag-/);
      await Promise.all([a.close(), b.close()]);
    });
  });

  test('basic.qos global=false after global=true removes the global limit (classic queue)', LIMIT, async () => {
    const q = uniqueName('cq.qos-reset');
    await pub.assertQueue(q, { exclusive: true });
    await publish(q, ['m1', 'm2', 'm3', 'm4', 'm5']);
    const ch = await openChannel(conn);
    await ch.prefetch(1, true);
    await ch.prefetch(3, false);
    const seen = new AsyncQueue<ConsumeMessage>();
    await ch.consume(q, (m) => { if (m) seen.push(m); });
    assert.deepEqual((await seen.take(3)).map(body), ['m1', 'm2', 'm3']);
    // a second consumer on the channel gets its own 3 (there is no channel-wide 1 any more)
    await ch.consume(q, (m) => { if (m) seen.push(m); });
    assert.deepEqual((await seen.take(2)).map(body), ['m4', 'm5']);
    await ch.close();
  });
});

describe('quorum queues: consumers', () => {
  test('single active consumer: the first consumer gets everything; passive declare counts only the active one', LIMIT, async () => {
    await withQueues(async (name) => {
      const q = name('qq.sac');
      await declareQuorum(q, { 'x-single-active-consumer': true });
      const a = await openChannel(conn);
      const b = await openChannel(conn);
      const seenA = new AsyncQueue<ConsumeMessage>();
      const seenB = new AsyncQueue<ConsumeMessage>();
      await a.consume(q, (m) => { if (m) seenA.push(m); });
      await b.consume(q, (m) => { if (m) seenB.push(m); });
      assert.equal((await pub.checkQueue(q)).consumerCount, 1);
      await publish(q, ['m1', 'm2', 'm3']);
      assert.deepEqual((await seenA.take(3)).map(body), ['m1', 'm2', 'm3']);
      // the active consumer's channel closes: its unacked messages go to the next consumer
      await a.close();
      const redelivered = await seenB.take(3);
      assert.deepEqual(
        redelivered.map((m) => [body(m), m.fields.redelivered, m.properties.headers?.['x-delivery-count']]),
        [
          ['m1', true, 1],
          ['m2', true, 1],
          ['m3', true, 1],
        ],
      );
      redelivered.forEach((m) => b.ack(m));
      await b.close();
    });
  });

  test('consumer priorities apply to quorum queues too', LIMIT, async () => {
    await withQueues(async (name) => {
      const q = name('qq.cprio');
      await declareQuorum(q);
      const lo = await openChannel(conn);
      const hi = await openChannel(conn);
      await hi.prefetch(2);
      const seenLo = new AsyncQueue<ConsumeMessage>();
      const seenHi = new AsyncQueue<ConsumeMessage>();
      await lo.consume(q, (m) => { if (m) seenLo.push(m); }, { priority: 0 });
      await hi.consume(q, (m) => { if (m) seenHi.push(m); }, { priority: 5 });
      await publish(q, ['m1', 'm2', 'm3', 'm4', 'm5']);
      assert.deepEqual((await seenHi.take(2)).map(body), ['m1', 'm2']);
      assert.deepEqual((await seenLo.take(3)).map(body), ['m3', 'm4', 'm5']);
      await Promise.all([lo.close(), hi.close()]);
    });
  });

  test('an invalid x-priority is the same 406 as on a classic queue', LIMIT, async () => {
    await withQueues(async (name) => {
      const q = name('qq.cprio-bad');
      await declareQuorum(q);
      await expectChannelError(
        conn,
        (ch) => ch.consume(q, () => {}, { arguments: { 'x-priority': 'x' } }),
        406,
        new RegExp(`^PRECONDITION_FAILED - invalid arg 'x-priority' for queue ${quoted(q)} in vhost '/': ${escape('"expected integer, got longstr"')}$`),
        { method: 'basic.consume' },
      );
    });
  });

  test('deleting a quorum queue cancels its consumers', LIMIT, async () => {
    await withQueues(async (name) => {
      const q = name('qq.cancel');
      await declareQuorum(q);
      const ch = await openChannel(conn);
      const cancelled = deferred();
      await ch.consume(q, (m) => { if (m === null) cancelled.resolve(); });
      assert.deepEqual(await pub.deleteQueue(q), { messageCount: 0 });
      await cancelled.promise;
      await ch.checkExchange('amq.direct');
      await ch.close();
    });
  });
});
