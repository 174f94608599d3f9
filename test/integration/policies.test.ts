// Policies (PUT /api/policies/{vhost}/{name}, rabbitmqctl set_policy) as AMQP clients see them, pinned
// against RabbitMQ 3.10: what a policy does to the queues and exchanges it matches, when it takes effect,
// and how it combines with the objects' own x-arguments.
//
// RabbitMQ facts these tests rely on (observed on 3.10.8):
// - PUT/DELETE of a policy returns once the exchange and queue records are updated and every matching
//   queue process has been sent the change; a queue takes it in turn with the rest of its work, so a
//   basic.get or a publish confirm issued afterwards sees it. (A passive queue.declare is answered with
//   priority and could overtake it on a busy queue; the "policy" field of GET /api/queues/{vhost}/{q} comes
//   from queue statistics and lags by up to 5 s.) Exchanges see it at once.
// - A policy applied to an existing queue acts at once on the backlog: max-length drops from the head.
//   RabbitMQ applies max-length before overflow, so a policy that brings both max-length and
//   overflow reject-publish to a queue that was drop-head still trims the backlog; a queue that already
//   rejected publishes (x-overflow argument) is not trimmed, only closed to further publishes.
// - message-ttl from a policy applies to messages enqueued after it; messages already in the queue keep
//   no expiry (and, being at the head, hold back expired messages behind them).
// - Precedence: message-ttl, expires, max-length, max-length-bytes: the lower of argument and policy;
//   dead-letter-exchange, dead-letter-routing-key, overflow: the argument, key by key (an argument DLX with
//   a policy's dead-letter-routing-key uses both); alternate-exchange: the exchange's argument.
// - At most one policy applies: the matching one with the highest priority; definitions are not merged.
//   Removing it lets the next one apply at once.
// - apply-to 'exchanges' policies do nothing to queues, apply-to 'queues' nothing to exchanges.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Channel, ChannelModel, ConfirmChannel, ConsumeMessage, Message } from 'amqplib';
import { testBroker, uniqueName, type PolicyBody, type TestBroker } from '../helpers/broker.js';
import { AsyncQueue, closeQuietly, connect, openChannel, openConfirmChannel, within, sleep } from '../helpers/amqp-expect.js';

let broker: TestBroker;
let conn: ChannelModel;

before(async () => {
  broker = await testBroker();
  conn = await connect(broker.url);
});

after(async () => {
  await closeQuietly(conn);
  await broker?.close();
});


/** A policy pattern matching exactly this name. */
const exact = (name: string) => `^${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`;


/** Retries a side-effect-free check until it holds (bounded). */
async function eventually(check: () => Promise<boolean>, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) assert.fail(`${what}: still not so after ${ms} ms`);
    await sleep(10);
  }
}

/**
 * Runs body with a policy setter whose policies are all cleared afterwards, whatever happens: a policy
 * left on the shared reference broker would disturb other tests.
 */
async function withPolicies(body: (set: (name: string, policy: PolicyBody) => Promise<void>) => Promise<void>): Promise<void> {
  const names = new Set<string>();
  let failed = false;
  try {
    await body(async (name, policy) => {
      names.add(name);
      await broker.setPolicy(name, policy);
    });
  } catch (err) {
    failed = true;
    throw err;
  } finally {
    for (const name of names) {
      try {
        await broker.clearPolicy(name);
      } catch (err) {
        if (!failed) throw err; // else the test's own failure is the one to report
      }
    }
  }
}

async function queue(ch: Channel, name: string, args: Record<string, unknown> = {}): Promise<string> {
  await ch.assertQueue(name, { exclusive: true, arguments: args });
  return name;
}

type Outcome = 'ack' | 'nack';

/** Publishes on a confirm channel and resolves with the broker's answer for this message. */
function publish(ch: ConfirmChannel, exchange: string, key: string, body: string, opts: object = {}): Promise<Outcome> {
  return new Promise((resolve) => {
    ch.publish(exchange, key, Buffer.from(body), opts, (err) => resolve(err ? 'nack' : 'ack'));
  });
}

async function publishAll(ch: ConfirmChannel, q: string, bodies: string[]): Promise<Outcome[]> {
  const out: Outcome[] = [];
  for (const b of bodies) out.push(await publish(ch, '', q, b));
  return out;
}

const msgs = (n: number, from = 1) => Array.from({ length: n }, (_, i) => `m${from + i}`);

/** Takes every ready message out of q (no-ack), returning the bodies in order. */
async function drain(ch: Channel, q: string): Promise<string[]> {
  const out: string[] = [];
  for (;;) {
    const m = await ch.get(q, { noAck: true });
    if (!m) return out;
    out.push(m.content.toString());
  }
}

/** basic.get (no-ack): the body and the get-ok message-count, or null for get-empty. */
async function getOne(ch: Channel, q: string): Promise<{ body: string; left: number } | null> {
  const m = await ch.get(q, { noAck: true });
  return m ? { body: m.content.toString(), left: m.fields.messageCount } : null;
}

async function count(ch: Channel, q: string): Promise<number> {
  return (await ch.checkQueue(q)).messageCount;
}

/**
 * Whether queue q exists, probed with a mandatory publish to the default exchange (basic.return ⇒ gone):
 * unlike a passive declare, a publish does not count as use of the queue, so it does not renew x-expires.
 */
async function exists(ch: ConfirmChannel, q: string): Promise<boolean> {
  const id = uniqueName('probe');
  let returned = false;
  const onReturn = (m: Message) => {
    if (m.properties.messageId === id) returned = true;
  };
  ch.on('return', onReturn);
  try {
    // basic.return comes before the confirm
    await publish(ch, '', q, 'probe', { mandatory: true, messageId: id });
    return !returned;
  } finally {
    ch.off('return', onReturn);
  }
}

/** A no-ack consumer collecting deliveries. */
async function collect(ch: Channel, q: string): Promise<AsyncQueue<ConsumeMessage>> {
  const seen = new AsyncQueue<ConsumeMessage>();
  await ch.consume(q, (m) => {
    if (m) seen.push(m);
  }, { noAck: true });
  return seen;
}

/** Gets one message (acks pending) and rejects it without requeue. */
async function rejectOne(ch: Channel, q: string): Promise<string> {
  const m = await ch.get(q, { noAck: false });
  assert.ok(m, `a message in ${q}`);
  ch.nack(m, false, false);
  return m.content.toString();
}

interface XDeath {
  queue: string;
  reason: string;
  count: number;
  exchange: string;
  'routing-keys': string[];
}

const xDeath = (m: Message) => (m.properties.headers?.['x-death'] ?? []) as XDeath[];

describe('policies: effects on queues', () => {
  test('message-ttl expires messages of a matching queue, not of a non-matching one', async () => {
    const ch = await openConfirmChannel(conn);
    const q = await queue(ch, uniqueName('pol.ttl'));
    const other = await queue(ch, `${q}.other`); // the anchored pattern does not match it
    await withPolicies(async (set) => {
      await set(uniqueName('pol.ttl'), { pattern: exact(q), definition: { 'message-ttl': 100 } });
      assert.deepEqual(await publishAll(ch, q, ['a']), ['ack']);
      assert.deepEqual(await publishAll(ch, other, ['b']), ['ack']);
      await eventually(async () => (await count(ch, q)) === 0, `the message in ${q} expires`);
      assert.equal(await count(ch, other), 1);
      assert.deepEqual(await drain(ch, other), ['b']);
      assert.deepEqual(await drain(ch, q), []);
    });
    await ch.close();
  });

  test('message-ttl applies to messages enqueued after the policy; those already there never expire', async () => {
    const ch = await openConfirmChannel(conn);
    const q = await queue(ch, uniqueName('pol.ttlold'));
    assert.deepEqual(await publishAll(ch, q, ['old']), ['ack']);
    await withPolicies(async (set) => {
      await set(uniqueName('pol.ttlold'), { pattern: exact(q), definition: { 'message-ttl': 50 } });
      // the confirm of 'new' is a barrier: the queue had taken the policy when it enqueued 'new'
      assert.deepEqual(await publishAll(ch, q, ['new']), ['ack']);
      await sleep(150);
      // 'old' has no expiry; 'new' expired behind it and goes as soon as it is at the head
      assert.equal(await count(ch, q), 2);
      assert.deepEqual(await getOne(ch, q), { body: 'old', left: 0 });
      assert.equal(await getOne(ch, q), null);
    });
    await ch.close();
  });

  test('max-length with overflow drop-head trims the backlog of an existing queue at once', async () => {
    const ch = await openConfirmChannel(conn);
    const q = await queue(ch, uniqueName('pol.maxlen'));
    assert.deepEqual(await publishAll(ch, q, msgs(10)), Array(10).fill('ack'));
    await withPolicies(async (set) => {
      await set(uniqueName('pol.maxlen'), { pattern: exact(q), definition: { 'max-length': 3, overflow: 'drop-head' } });
      // basic.get is handled after the policy change (no publish needed to trigger the trim)
      assert.deepEqual(await getOne(ch, q), { body: 'm8', left: 2 });
      assert.equal(await count(ch, q), 2);
      // and the limit holds for new publishes
      assert.deepEqual(await publishAll(ch, q, msgs(3, 11)), ['ack', 'ack', 'ack']);
      assert.deepEqual(await drain(ch, q), ['m11', 'm12', 'm13']);
    });
    await ch.close();
  });

  test('max-length with overflow reject-publish from one policy still trims the backlog (max-length is applied first)', async () => {
    const ch = await openConfirmChannel(conn);
    const q = await queue(ch, uniqueName('pol.maxlenrp'));
    assert.deepEqual(await publishAll(ch, q, msgs(10)), Array(10).fill('ack'));
    await withPolicies(async (set) => {
      await set(uniqueName('pol.maxlenrp'), { pattern: exact(q), definition: { 'max-length': 3, overflow: 'reject-publish' } });
      assert.deepEqual(await getOne(ch, q), { body: 'm8', left: 2 });
      // from now on the queue rejects publishes when full
      assert.deepEqual(await publishAll(ch, q, ['n1', 'n2']), ['ack', 'nack']);
      assert.deepEqual(await drain(ch, q), ['m9', 'm10', 'n1']);
    });
    await ch.close();
  });

  test('max-length on a queue that already rejects publishes (x-overflow) keeps its backlog and refuses publishes', async () => {
    const ch = await openConfirmChannel(conn);
    const q = await queue(ch, uniqueName('pol.maxlenarg'), { 'x-overflow': 'reject-publish' });
    assert.deepEqual(await publishAll(ch, q, msgs(10)), Array(10).fill('ack'));
    await withPolicies(async (set) => {
      await set(uniqueName('pol.maxlenarg'), { pattern: exact(q), definition: { 'max-length': 3 } });
      assert.deepEqual(await publishAll(ch, q, ['n1']), ['nack']);
      assert.deepEqual(await getOne(ch, q), { body: 'm1', left: 9 });
      assert.equal(await count(ch, q), 9);
    });
    await ch.close();
  });

  test('a policy applies to a queue declared after it', async () => {
    const ch = await openConfirmChannel(conn);
    const q = uniqueName('pol.later');
    await withPolicies(async (set) => {
      await set(uniqueName('pol.later'), { pattern: exact(q), definition: { 'max-length': 2 } });
      await queue(ch, q);
      assert.deepEqual(await publishAll(ch, q, msgs(5)), Array(5).fill('ack'));
      assert.deepEqual(await drain(ch, q), ['m4', 'm5']);
    });
    await ch.close();
  });

  test('dead-letter-exchange and dead-letter-routing-key from a policy dead-letter rejected messages', async () => {
    const ch = await openConfirmChannel(conn);
    const dlx = uniqueName('pol.dlx.x');
    await ch.assertExchange(dlx, 'direct', { autoDelete: true });
    try {
      const dlq = await queue(ch, uniqueName('pol.dlx.dlq'));
      await ch.bindQueue(dlq, dlx, 'dead');
      const q = await queue(ch, uniqueName('pol.dlx.src'));
      const dead = await collect(ch, dlq);
      await withPolicies(async (set) => {
        await set(uniqueName('pol.dlx'), {
          pattern: exact(q),
          definition: { 'dead-letter-exchange': dlx, 'dead-letter-routing-key': 'dead' },
        });
        assert.deepEqual(await publishAll(ch, q, ['m1']), ['ack']);
        assert.equal(await rejectOne(ch, q), 'm1');
        const m = await within(dead.next(), 3000, 'dead-lettered message');
        assert.equal(m.content.toString(), 'm1');
        assert.equal(m.fields.exchange, dlx);
        assert.equal(m.fields.routingKey, 'dead');
        const [death] = xDeath(m);
        assert.ok(death, 'an x-death header');
        assert.equal(death.queue, q);
        assert.equal(death.reason, 'rejected');
        assert.equal(death.exchange, '');
        assert.deepEqual(death['routing-keys'], [q]);
      });
    } finally {
      await ch.deleteExchange(dlx);
      await ch.close();
    }
  });

  test('expires from a policy deletes an unused queue', async () => {
    const ch = await openConfirmChannel(conn);
    const q = await queue(ch, uniqueName('pol.expires'), { 'x-expires': 60000 });
    await withPolicies(async (set) => {
      assert.equal(await exists(ch, q), true);
      // the lower of argument (60 s) and policy wins
      await set(uniqueName('pol.expires'), { pattern: exact(q), definition: { expires: 100 } });
      await eventually(async () => !(await exists(ch, q)), `${q} expires`);
    });
    await ch.close();
  });
});

describe('policies: x-arguments against policy', () => {
  test('message-ttl: x-message-ttl 60000 with a policy of 100 → 100', async () => {
    const ch = await openConfirmChannel(conn);
    const q = await queue(ch, uniqueName('pol.prec.ttl'), { 'x-message-ttl': 60000 });
    await withPolicies(async (set) => {
      await set(uniqueName('pol.prec.ttl'), { pattern: exact(q), definition: { 'message-ttl': 100 } });
      assert.deepEqual(await publishAll(ch, q, ['a']), ['ack']);
      await eventually(async () => (await count(ch, q)) === 0, 'the message expires after 100 ms');
    });
    await ch.close();
  });

  test('message-ttl: x-message-ttl 100 with a policy of 60000 → 100', async () => {
    const ch = await openConfirmChannel(conn);
    const q = await queue(ch, uniqueName('pol.prec.ttl2'), { 'x-message-ttl': 100 });
    await withPolicies(async (set) => {
      await set(uniqueName('pol.prec.ttl2'), { pattern: exact(q), definition: { 'message-ttl': 60000 } });
      assert.deepEqual(await publishAll(ch, q, ['a']), ['ack']);
      await eventually(async () => (await count(ch, q)) === 0, 'the message expires after 100 ms');
    });
    await ch.close();
  });

  test('max-length: x-max-length 10 with a policy of 2 → 2; x-max-length 2 with a policy of 10 → 2', async () => {
    const ch = await openConfirmChannel(conn);
    const q1 = await queue(ch, uniqueName('pol.prec.len1'), { 'x-max-length': 10 });
    const q2 = await queue(ch, uniqueName('pol.prec.len2'), { 'x-max-length': 2 });
    await withPolicies(async (set) => {
      await set(uniqueName('pol.prec.len1'), { pattern: exact(q1), definition: { 'max-length': 2 } });
      await set(uniqueName('pol.prec.len2'), { pattern: exact(q2), definition: { 'max-length': 10 } });
      assert.deepEqual(await publishAll(ch, q1, msgs(5)), Array(5).fill('ack'));
      assert.deepEqual(await publishAll(ch, q2, msgs(5)), Array(5).fill('ack'));
      assert.deepEqual(await drain(ch, q1), ['m4', 'm5']);
      assert.deepEqual(await drain(ch, q2), ['m4', 'm5']);
    });
    await ch.close();
  });

  test('max-length-bytes: x-max-length-bytes 1000 with a policy of 10 → 10', async () => {
    const ch = await openConfirmChannel(conn);
    const q = await queue(ch, uniqueName('pol.prec.bytes'), { 'x-max-length-bytes': 1000 });
    await withPolicies(async (set) => {
      await set(uniqueName('pol.prec.bytes'), { pattern: exact(q), definition: { 'max-length-bytes': 10 } });
      assert.deepEqual(await publishAll(ch, q, ['aaaa', 'bbbb', 'cccc']), ['ack', 'ack', 'ack']);
      assert.deepEqual(await drain(ch, q), ['bbbb', 'cccc']);
    });
    await ch.close();
  });

  test('dead-letter-exchange: the x-dead-letter-exchange argument wins; a policy routing key still applies when the argument has none', async () => {
    const ch = await openConfirmChannel(conn);
    const argDlx = uniqueName('pol.prec.dlx.arg');
    const polDlx = uniqueName('pol.prec.dlx.pol');
    await ch.assertExchange(argDlx, 'direct', { autoDelete: true });
    await ch.assertExchange(polDlx, 'direct', { autoDelete: true });
    try {
      const argDlq = await queue(ch, uniqueName('pol.prec.dlq.arg'));
      const polDlq = await queue(ch, uniqueName('pol.prec.dlq.pol'));
      await ch.bindQueue(argDlq, argDlx, 'k');
      await ch.bindQueue(polDlq, polDlx, 'k');
      const q = await queue(ch, uniqueName('pol.prec.dlx.src'), { 'x-dead-letter-exchange': argDlx });
      const dead = await collect(ch, argDlq);
      await withPolicies(async (set) => {
        await set(uniqueName('pol.prec.dlx'), {
          pattern: exact(q),
          definition: { 'dead-letter-exchange': polDlx, 'dead-letter-routing-key': 'k' },
        });
        assert.deepEqual(await publishAll(ch, q, ['m1']), ['ack']);
        assert.equal(await rejectOne(ch, q), 'm1');
        const m = await within(dead.next(), 3000, 'message dead-lettered through the argument DLX');
        assert.equal(m.content.toString(), 'm1');
        assert.equal(m.fields.exchange, argDlx);
        assert.equal(m.fields.routingKey, 'k');
        assert.equal(await count(ch, polDlq), 0);
      });
    } finally {
      await ch.deleteExchange(argDlx);
      await ch.deleteExchange(polDlx);
      await ch.close();
    }
  });

  test('dead-letter-routing-key: the x-dead-letter-routing-key argument wins', async () => {
    const ch = await openConfirmChannel(conn);
    const dlq = await queue(ch, uniqueName('pol.prec.dlrk.dlq'));
    // (x-dead-letter-routing-key without x-dead-letter-exchange is refused: routing_key_but_no_dlx_defined)
    const q = await queue(ch, uniqueName('pol.prec.dlrk.src'), { 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': dlq });
    const dead = await collect(ch, dlq);
    await withPolicies(async (set) => {
      await set(uniqueName('pol.prec.dlrk'), { pattern: exact(q), definition: { 'dead-letter-routing-key': `${dlq}.nowhere` } });
      assert.deepEqual(await publishAll(ch, q, ['m1']), ['ack']);
      assert.equal(await rejectOne(ch, q), 'm1');
      const m = await within(dead.next(), 3000, 'dead-lettered message');
      assert.equal(m.fields.exchange, '');
      assert.equal(m.fields.routingKey, dlq);
    });
    await ch.close();
  });

  test('overflow: x-overflow reject-publish wins over a policy overflow drop-head', async () => {
    const ch = await openConfirmChannel(conn);
    const q = await queue(ch, uniqueName('pol.prec.overflow'), { 'x-overflow': 'reject-publish' });
    await withPolicies(async (set) => {
      await set(uniqueName('pol.prec.overflow'), { pattern: exact(q), definition: { 'max-length': 2, overflow: 'drop-head' } });
      assert.deepEqual(await publishAll(ch, q, msgs(3)), ['ack', 'ack', 'nack']);
      assert.deepEqual(await drain(ch, q), ['m1', 'm2']);
    });
    await ch.close();
  });

  test('overflow: a policy overflow reject-publish applies to a queue without x-overflow', async () => {
    const ch = await openConfirmChannel(conn);
    const q = await queue(ch, uniqueName('pol.overflow'));
    await withPolicies(async (set) => {
      await set(uniqueName('pol.overflow'), { pattern: exact(q), definition: { 'max-length': 2, overflow: 'reject-publish' } });
      assert.deepEqual(await publishAll(ch, q, msgs(3)), ['ack', 'ack', 'nack']);
      assert.deepEqual(await drain(ch, q), ['m1', 'm2']);
    });
    await ch.close();
  });
});

describe('policies: which policy applies', () => {
  for (const order of ['lower priority first', 'higher priority first'] as const) {
    test(`of two matching policies the higher priority wins (${order})`, async () => {
      const ch = await openConfirmChannel(conn);
      const q = await queue(ch, uniqueName('pol.prio'));
      await withPolicies(async (set) => {
        const low = { name: uniqueName('pol.prio.low'), body: { pattern: exact(q), definition: { 'max-length': 1 }, priority: 1 } };
        // a broader pattern, so that both really are candidates
        const high = { name: uniqueName('pol.prio.high'), body: { pattern: `^${exact(q).slice(1, -1)}`, definition: { 'max-length': 3 }, priority: 5 } };
        for (const p of order === 'lower priority first' ? [low, high] : [high, low]) await set(p.name, p.body);
        assert.deepEqual(await publishAll(ch, q, msgs(5)), Array(5).fill('ack'));
        assert.deepEqual(await drain(ch, q), ['m3', 'm4', 'm5']);
      });
      await ch.close();
    });
  }

  test('definitions are not merged; when the winning policy goes, the next one applies at once', async () => {
    const ch = await openConfirmChannel(conn);
    const q = await queue(ch, uniqueName('pol.nomerge'));
    await withPolicies(async (set) => {
      const high = uniqueName('pol.nomerge.high');
      await set(uniqueName('pol.nomerge.low'), { pattern: exact(q), definition: { 'max-length': 1 }, priority: 0 });
      await set(high, { pattern: exact(q), definition: { 'message-ttl': 60000 }, priority: 10 });
      assert.deepEqual(await publishAll(ch, q, msgs(3)), ['ack', 'ack', 'ack']);
      assert.equal(await count(ch, q), 3, 'the lower-priority max-length does not apply');
      await broker.clearPolicy(high);
      assert.deepEqual(await getOne(ch, q), { body: 'm3', left: 0 });
    });
    await ch.close();
  });

  test("apply-to 'exchanges' does not affect queues; changed to 'queues' it does", async () => {
    const ch = await openConfirmChannel(conn);
    const q = await queue(ch, uniqueName('pol.applyto'));
    await withPolicies(async (set) => {
      const name = uniqueName('pol.applyto');
      await set(name, { pattern: exact(q), definition: { 'max-length': 1 }, 'apply-to': 'exchanges' });
      assert.deepEqual(await publishAll(ch, q, msgs(3)), ['ack', 'ack', 'ack']);
      assert.equal(await count(ch, q), 3);
      await set(name, { pattern: exact(q), definition: { 'max-length': 1 }, 'apply-to': 'queues' });
      assert.deepEqual(await getOne(ch, q), { body: 'm3', left: 0 });
    });
    await ch.close();
  });
});

describe('policies: alternate-exchange', () => {
  /**
   * x (direct, no bindings; with alternate-exchange ae1 as its own argument when aeArgument) and fanout
   * exchanges ae1 → q1, ae2 → q2; the exchanges are deleted by the returned cleanup.
   */
  async function exchanges(ch: Channel, prefix: string, aeArgument = false) {
    const x = uniqueName(`${prefix}.x`);
    const ae1 = uniqueName(`${prefix}.ae1`);
    const ae2 = uniqueName(`${prefix}.ae2`);
    await ch.assertExchange(x, 'direct', { autoDelete: false, arguments: aeArgument ? { 'alternate-exchange': ae1 } : {} });
    const q1 = await queue(ch, uniqueName(`${prefix}.q1`));
    const q2 = await queue(ch, uniqueName(`${prefix}.q2`));
    await ch.assertExchange(ae1, 'fanout', { autoDelete: false });
    await ch.assertExchange(ae2, 'fanout', { autoDelete: false });
    await ch.bindQueue(q1, ae1, '');
    await ch.bindQueue(q2, ae2, '');
    const cleanup = async () => {
      for (const e of [x, ae1, ae2]) await ch.deleteExchange(e);
    };
    return { x, ae1, ae2, q1, q2, cleanup };
  }

  /** Publishes mandatory to x on a confirm channel: the confirm and whether it came back with basic.return. */
  async function publishMandatory(ch: ConfirmChannel, x: string, key: string, body: string) {
    const id = uniqueName('msg');
    let returned: number | undefined;
    const onReturn = (m: Message) => {
      if (m.properties.messageId === id) returned = (m.fields as { replyCode?: number }).replyCode ?? 0;
    };
    ch.on('return', onReturn);
    try {
      const outcome = await publish(ch, x, key, body, { mandatory: true, messageId: id });
      return { outcome, returned };
    } finally {
      ch.off('return', onReturn);
    }
  }

  test('a policy alternate-exchange receives the unroutable messages of a matching exchange', async () => {
    const ch = await openConfirmChannel(conn);
    const { x, ae1, q1, q2, cleanup } = await exchanges(ch, 'pol.ae');
    try {
      await withPolicies(async (set) => {
        assert.deepEqual(await publishMandatory(ch, x, 'nowhere', 'before'), { outcome: 'ack', returned: 312 });
        await set(uniqueName('pol.ae'), { pattern: exact(x), definition: { 'alternate-exchange': ae1 }, 'apply-to': 'exchanges' });
        // routed through the alternate exchange: not returned
        assert.deepEqual(await publishMandatory(ch, x, 'nowhere', 'm1'), { outcome: 'ack', returned: undefined });
        assert.deepEqual(await drain(ch, q1), ['m1']);
        assert.deepEqual(await drain(ch, q2), []);
      });
      // cleared: unroutable again
      assert.deepEqual(await publishMandatory(ch, x, 'nowhere', 'after'), { outcome: 'ack', returned: 312 });
      assert.deepEqual(await drain(ch, q1), []);
    } finally {
      await cleanup();
      await ch.close();
    }
  });

  test("the exchange's own alternate-exchange argument wins over a policy's", async () => {
    const ch = await openConfirmChannel(conn);
    const { x, ae2, q1, q2, cleanup } = await exchanges(ch, 'pol.aearg', true);
    try {
      await withPolicies(async (set) => {
        await set(uniqueName('pol.aearg'), { pattern: exact(x), definition: { 'alternate-exchange': ae2 } });
        assert.deepEqual(await publishMandatory(ch, x, 'nowhere', 'm1'), { outcome: 'ack', returned: undefined });
        assert.deepEqual(await drain(ch, q1), ['m1']);
        assert.deepEqual(await drain(ch, q2), []);
      });
    } finally {
      await cleanup();
      await ch.close();
    }
  });

  test("apply-to 'queues' does not give a matching exchange an alternate exchange", async () => {
    const ch = await openConfirmChannel(conn);
    const { x, ae1, q1, cleanup } = await exchanges(ch, 'pol.aeq');
    try {
      await withPolicies(async (set) => {
        await set(uniqueName('pol.aeq'), { pattern: exact(x), definition: { 'alternate-exchange': ae1 }, 'apply-to': 'queues' });
        assert.deepEqual(await publishMandatory(ch, x, 'nowhere', 'm1'), { outcome: 'ack', returned: 312 });
        assert.deepEqual(await drain(ch, q1), []);
      });
    } finally {
      await cleanup();
      await ch.close();
    }
  });
});

describe('policies: changing and clearing', () => {
  test('clearing a policy removes its effect: max-length no longer applies to new publishes', async () => {
    const ch = await openConfirmChannel(conn);
    const q = await queue(ch, uniqueName('pol.clear'));
    const name = uniqueName('pol.clear');
    await withPolicies(async (set) => {
      await set(name, { pattern: exact(q), definition: { 'max-length': 2 } });
      assert.deepEqual(await publishAll(ch, q, msgs(4)), Array(4).fill('ack'));
      assert.equal(await count(ch, q), 2);
      await broker.clearPolicy(name);
      assert.deepEqual(await publishAll(ch, q, msgs(2, 5)), ['ack', 'ack']);
      assert.deepEqual(await drain(ch, q), ['m3', 'm4', 'm5', 'm6']);
    });
    await ch.close();
  });

  test('clearing a dead-letter policy: messages rejected meanwhile are dropped', async () => {
    const ch = await openConfirmChannel(conn);
    const dlq = await queue(ch, uniqueName('pol.cleardlx.dlq'));
    const q = await queue(ch, uniqueName('pol.cleardlx.src'));
    const dead = await collect(ch, dlq);
    const name = uniqueName('pol.cleardlx');
    const policy = { pattern: exact(q), definition: { 'dead-letter-exchange': '', 'dead-letter-routing-key': dlq } };
    await withPolicies(async (set) => {
      assert.deepEqual(await publishAll(ch, q, msgs(3)), ['ack', 'ack', 'ack']);
      await set(name, policy);
      assert.equal(await rejectOne(ch, q), 'm1');
      assert.equal((await within(dead.next(), 3000, 'm1 dead-lettered')).content.toString(), 'm1');
      await broker.clearPolicy(name);
      const m2 = await ch.get(q, { noAck: false });
      const m3 = await ch.get(q, { noAck: false });
      assert.ok(m2 && m3);
      ch.nack(m2, false, false);
      // a basic.get on the same channel and queue is handled after the reject: m2 is gone before the policy returns
      assert.equal(await ch.get(q, { noAck: true }), false);
      await set(name, policy);
      ch.nack(m3, false, false);
      // dead-lettering from one queue keeps its order: had m2 been dead-lettered it would come first
      assert.equal((await within(dead.next(), 3000, 'm3 dead-lettered')).content.toString(), 'm3');
      assert.equal(dead.all.length, 2);
    });
    await ch.close();
  });

  test("changing a policy's definition re-applies it; changing its pattern away removes it", async () => {
    const ch = await openConfirmChannel(conn);
    const q = await queue(ch, uniqueName('pol.change'));
    const name = uniqueName('pol.change');
    assert.deepEqual(await publishAll(ch, q, msgs(10)), Array(10).fill('ack'));
    await withPolicies(async (set) => {
      await set(name, { pattern: exact(q), definition: { 'max-length': 5 } });
      assert.deepEqual(await getOne(ch, q), { body: 'm6', left: 4 });
      await set(name, { pattern: exact(q), definition: { 'max-length': 2 } });
      assert.deepEqual(await getOne(ch, q), { body: 'm9', left: 1 });
      await set(name, { pattern: exact(`${q}.nomatch`), definition: { 'max-length': 2 } });
      assert.deepEqual(await publishAll(ch, q, msgs(3, 11)), ['ack', 'ack', 'ack']);
      assert.deepEqual(await drain(ch, q), ['m10', 'm11', 'm12', 'm13']);
    });
    await ch.close();
  });

  test('changing a message-ttl policy: messages enqueued afterwards get the new TTL', async () => {
    const ch = await openConfirmChannel(conn);
    const q = await queue(ch, uniqueName('pol.changettl'));
    const name = uniqueName('pol.changettl');
    await withPolicies(async (set) => {
      await set(name, { pattern: exact(q), definition: { 'message-ttl': 60000 } });
      await set(name, { pattern: exact(q), definition: { 'message-ttl': 100 } });
      assert.deepEqual(await publishAll(ch, q, ['a']), ['ack']);
      await eventually(async () => (await count(ch, q)) === 0, 'the message expires after 100 ms');
    });
    await ch.close();
  });
});
