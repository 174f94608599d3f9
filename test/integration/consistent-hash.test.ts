// The x-consistent-hash exchange (RabbitMQ's rabbitmq_consistent_hash_exchange plugin), pinned to what
// RabbitMQ 3.10 does: every test here passes against the reference broker with the plugin enabled.
//
// Binding keys are weights; each message reaches exactly one destination, chosen by hashing its routing
// key (or the header named by hash-header, or the property named by hash-property). RabbitMQ's own
// bucket placement is not copied, so the tests check only what a client can rely on: one destination
// per message, the same value always to the same destination, shares in proportion to the weights, and
// few values moving when a destination comes or goes.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { connect, type Channel, type ChannelModel, type ConfirmChannel, type Options } from 'amqplib';
import { testBroker, uniqueName, type TestBroker } from '../helpers/broker.js';
import { expectChannelError, quoted } from '../helpers/amqp-errors.js';

const TYPE = 'x-consistent-hash';
/** Exchange-argument checks live in vhost.declareExchange, which must call validateExchangeArguments. */

interface Publish {
  routingKey: string;
  /** what the message's body says, to tell which value went where */
  tag: string;
  props?: Options.Publish;
}

describe('x-consistent-hash exchange', () => {
  let broker: TestBroker;
  let conn: ChannelModel;
  let ch: ConfirmChannel;
  const exchanges = new Set<string>();
  const queues = new Set<string>();

  before(async () => {
    broker = await testBroker();
    conn = await connect(broker.url);
    ch = await conn.createConfirmChannel();
  });

  after(async () => {
    if (conn) {
      const c = await conn.createChannel();
      for (const x of exchanges) await c.deleteExchange(x);
      for (const q of queues) await c.deleteQueue(q);
      await conn.close();
    }
    await broker?.close();
  });

  async function exchange(tag: string, args: Record<string, unknown> = {}): Promise<string> {
    const name = uniqueName(`warren.chx.${tag}`);
    exchanges.add(name);
    await ch.assertExchange(name, TYPE, { durable: false, arguments: args });
    return name;
  }

  async function queue(tag: string): Promise<string> {
    const name = uniqueName(`warren.chx-q.${tag}`);
    queues.add(name);
    await ch.assertQueue(name, { durable: false });
    return name;
  }

  async function queuesBound(x: string, weights: number[], tag = 'q'): Promise<string[]> {
    const out: string[] = [];
    for (let i = 0; i < weights.length; i++) {
      const q = await queue(`${tag}${i}`);
      await ch.bindQueue(q, x, String(weights[i]));
      out.push(q);
    }
    return out;
  }

  async function publishAll(x: string, messages: Publish[]): Promise<void> {
    for (const m of messages) ch.publish(x, m.routingKey, Buffer.from(m.tag), m.props ?? {});
    await ch.waitForConfirms();
  }

  /** Empties the queues (basic.get), returning for each queue the tags of its messages. */
  async function drain(qs: string[]): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>();
    for (const q of qs) {
      const tags: string[] = [];
      for (;;) {
        const m = await ch.get(q, { noAck: true });
        if (m === false) break;
        tags.push(m.content.toString());
      }
      out.set(q, tags);
    }
    return out;
  }

  async function counts(qs: string[]): Promise<number[]> {
    const out: number[] = [];
    for (const q of qs) out.push((await ch.checkQueue(q)).messageCount);
    await Promise.all(qs.map((q) => ch.purgeQueue(q)));
    return out;
  }

  /** Where each tag went; fails if a tag went to two queues. */
  function placement(drained: Map<string, string[]>): Map<string, string> {
    const where = new Map<string, string>();
    for (const [q, tags] of drained) {
      for (const t of tags) {
        const before = where.get(t);
        assert.ok(before === undefined || before === q, `value ${t} reached both ${before} and ${q}`);
        where.set(t, q);
      }
    }
    return where;
  }

  const randomKeys = (n: number): string[] => Array.from({ length: n }, () => randomBytes(8).toString('hex'));
  const byKey = (keys: string[]): Publish[] => keys.map((k) => ({ routingKey: k, tag: k }));

  test('declares an x-consistent-hash exchange, and redeclares it', async () => {
    const x = await exchange('declare');
    assert.deepEqual(await ch.assertExchange(x, TYPE, { durable: false }), { exchange: x });
    await ch.checkExchange(x);
  });

  test('every message reaches exactly one queue, and a key always the same one', async () => {
    const x = await exchange('same');
    const qs = await queuesBound(x, [1, 1, 1, 1]);
    const keys = randomKeys(200);
    // each key three times, interleaved
    const msgs: Publish[] = [];
    for (let r = 0; r < 3; r++) for (const k of keys) msgs.push({ routingKey: k, tag: k });
    await publishAll(x, msgs);
    const drained = await drain(qs);
    const total = [...drained.values()].reduce((n, t) => n + t.length, 0);
    assert.equal(total, msgs.length, 'one copy of each message in all');
    const where = placement(drained);
    assert.equal(where.size, keys.length);
    for (const tags of drained.values()) assert.ok(tags.length > 0, 'four queues of equal weight all get some keys');
  });

  test('four queues of weight 1 share 4,000 random keys evenly (each 15%–35%)', async () => {
    const x = await exchange('even');
    const qs = await queuesBound(x, [1, 1, 1, 1]);
    await publishAll(x, byKey(randomKeys(4000)));
    const c = await counts(qs);
    assert.equal(c.reduce((a, b) => a + b, 0), 4000);
    for (const n of c) assert.ok(n >= 600 && n <= 1400, `share ${n}/4000 out of 15%–35% (all: ${c})`);
  });

  test('weights 1 and 3 split the keys about 1:3', async () => {
    const x = await exchange('weights');
    const qs = await queuesBound(x, [1, 3]);
    await publishAll(x, byKey(randomKeys(4000)));
    const [light, heavy] = await counts(qs);
    assert.equal(light + heavy, 4000);
    assert.ok(heavy / 4000 > 0.62 && heavy / 4000 < 0.88, `weight 3 got ${heavy}/4000, weight 1 got ${light}`);
  });

  test('a single binding takes every message, whatever its key (the empty key too)', async () => {
    const x = await exchange('single');
    const [q] = await queuesBound(x, [5]);
    await publishAll(x, [...byKey(randomKeys(50)), { routingKey: '', tag: 'empty' }]);
    assert.deepEqual(await counts([q]), [51]);
  });

  test('binding keys with a sign or leading zeros are weights too ("+3", "01")', async () => {
    const x = await exchange('signs');
    const qs = await queuesBound(x, [1]);
    const q2 = await queue('plus');
    await ch.bindQueue(q2, x, '+3');
    const q3 = await queue('zero');
    await ch.bindQueue(q3, x, '01');
    await publishAll(x, byKey(randomKeys(1000)));
    const c = await counts([...qs, q2, q3]);
    assert.equal(c.reduce((a, b) => a + b, 0), 1000);
    assert.ok(c[1] > c[0] && c[1] > c[2], `weight +3 gets the most: ${c}`);
  });

  test('a message published to an exchange without bindings is unroutable (basic.return 312)', async () => {
    const x = await exchange('empty');
    const returned = new Promise<number>((resolve) => ch.once('return', (m) => resolve(m.fields.replyCode)));
    ch.publish(x, 'k', Buffer.from('x'), { mandatory: true });
    await ch.waitForConfirms();
    assert.equal(await returned, 312);
  });

  test('adding a queue moves only about its share of the keys, all of them to the new queue', async () => {
    const x = await exchange('add');
    const qs = await queuesBound(x, [1, 1, 1]);
    const keys = randomKeys(2000);
    await publishAll(x, byKey(keys));
    const before = placement(await drain(qs));
    const [added] = await queuesBound(x, [1], 'added');
    await publishAll(x, byKey(keys));
    const after = placement(await drain([...qs, added]));
    let moved = 0;
    for (const k of keys) {
      if (after.get(k) === before.get(k)) continue;
      assert.equal(after.get(k), added, `key ${k} moved from ${before.get(k)} to ${after.get(k)}, not to the new queue`);
      moved++;
    }
    assert.ok(moved > 2000 * 0.1 && moved < 2000 * 0.4, `${moved}/2000 keys moved; about a quarter expected`);
  });

  test('removing the last-bound queue moves only the keys it had', async () => {
    const x = await exchange('remove');
    const qs = await queuesBound(x, [1, 1, 1, 1]);
    const keys = randomKeys(2000);
    await publishAll(x, byKey(keys));
    const before = placement(await drain(qs));
    const gone = qs[3];
    await ch.unbindQueue(gone, x, '1');
    await publishAll(x, byKey(keys));
    const after = placement(await drain(qs));
    for (const k of keys) {
      assert.notEqual(after.get(k), gone, 'the unbound queue receives nothing');
      if (before.get(k) !== gone) assert.equal(after.get(k), before.get(k), `key ${k} moved though its queue stayed`);
    }
  });

  test('a queue bound twice keeps the weight of its first binding; unbinding either takes it off the ring', async () => {
    const x = await exchange('twice');
    const [a, b] = await queuesBound(x, [1, 1]);
    await ch.bindQueue(a, x, '9'); // a second binding, but no more share
    await ch.bindQueue(b, x, '1'); // the same binding again: nothing changes
    await publishAll(x, byKey(randomKeys(2000)));
    let [ca, cb] = await counts([a, b]);
    assert.ok(ca > 700 && ca < 1300, `a has ${ca}/2000, b ${cb}: still 1:1`);

    // removing a's first binding takes a off the ring, though its weight-9 binding remains
    await ch.unbindQueue(a, x, '1');
    await publishAll(x, byKey(randomKeys(500)));
    assert.deepEqual(await counts([a, b]), [0, 500]);

    // the remaining binding does not come back by itself, but binding a again puts it back on
    await ch.unbindQueue(a, x, '9');
    await ch.bindQueue(a, x, '3');
    await publishAll(x, byKey(randomKeys(2000)));
    [ca, cb] = await counts([a, b]);
    assert.ok(ca > cb, `a (weight 3) has ${ca}, b (weight 1) has ${cb}`);
  });

  test('unbinding with a key that is no weight succeeds (there is nothing to unbind)', async () => {
    const x = await exchange('unbind-bad');
    const [q] = await queuesBound(x, [1]);
    await ch.unbindQueue(q, x, 'abc');
    await publishAll(x, byKey(['k']));
    assert.deepEqual(await counts([q]), [1]);
  });

  test('an exchange can be the destination: its weight counts like a queue', async () => {
    const x = await exchange('e2e');
    const fan = uniqueName('warren.chx.fan');
    exchanges.add(fan);
    await ch.assertExchange(fan, 'fanout', { durable: false });
    const [f1, f2] = [await queue('f1'), await queue('f2')];
    await ch.bindQueue(f1, fan, '');
    await ch.bindQueue(f2, fan, '');
    const [q] = await queuesBound(x, [1]);
    await ch.bindExchange(fan, x, '3');
    await publishAll(x, byKey(randomKeys(2000)));
    const [cq, c1, c2] = await counts([q, f1, f2]);
    assert.equal(c1, c2, 'the fanout copies each message it gets to both queues');
    assert.equal(cq + c1, 2000, 'each message went one way');
    assert.ok(c1 > cq, `the exchange (weight 3) got ${c1}, the queue (weight 1) ${cq}`);
  });

  test('as the destination of another exchange it hashes the original routing key', async () => {
    const x = await exchange('inner');
    const outer = uniqueName('warren.chx.outer');
    exchanges.add(outer);
    await ch.assertExchange(outer, 'topic', { durable: false });
    await ch.bindExchange(x, outer, '#');
    const qs = await queuesBound(x, [1, 1, 1]);
    const keys = randomKeys(300);
    await publishAll(x, byKey(keys));
    const direct = placement(await drain(qs));
    await publishAll(outer, byKey(keys));
    const via = placement(await drain(qs));
    for (const k of keys) assert.equal(via.get(k), direct.get(k));
  });

  describe('hash-header', () => {
    test('routes by the header value, not the routing key', async () => {
      const x = await exchange('hdr', { 'hash-header': 'user' });
      const qs = await queuesBound(x, [1, 1, 1, 1]);
      const users = randomKeys(100);
      const msgs: Publish[] = [];
      for (let r = 0; r < 3; r++) {
        for (const u of users) msgs.push({ routingKey: randomBytes(6).toString('hex'), tag: u, props: { headers: { user: u } } });
      }
      await publishAll(x, msgs);
      const drained = await drain(qs);
      const where = placement(drained); // throws if a user's messages split
      assert.equal(where.size, 100);
      for (const tags of drained.values()) assert.ok(tags.length > 0, 'every queue gets some users');
    });

    test('integer header values spread too', async () => {
      const x = await exchange('hdr-int', { 'hash-header': 'n' });
      const qs = await queuesBound(x, [1, 1, 1, 1]);
      const msgs: Publish[] = [];
      for (let r = 0; r < 2; r++) for (let i = 0; i < 400; i++) msgs.push({ routingKey: 'same', tag: String(i), props: { headers: { n: i } } });
      await publishAll(x, msgs);
      const drained = await drain(qs);
      placement(drained);
      for (const tags of drained.values()) assert.ok(tags.length > 100, `uneven: ${[...drained.values()].map((t) => t.length)}`);
    });

    test('messages without the header still route, all to one queue', async () => {
      const x = await exchange('hdr-missing', { 'hash-header': 'user' });
      const qs = await queuesBound(x, [1, 1, 1, 1]);
      const msgs: Publish[] = randomKeys(100).map((k, i) => ({
        routingKey: k,
        tag: k,
        props: i % 2 ? { headers: { other: 'x' } } : {},
      }));
      await publishAll(x, msgs);
      const c = await counts(qs);
      assert.equal(c.reduce((a, b) => a + b, 0), 100);
      assert.equal(c.filter((n) => n > 0).length, 1, `one queue takes them all: ${c}`);
    });

    test('an empty header name is accepted', async () => {
      const x = await exchange('hdr-empty', { 'hash-header': '' });
      const qs = await queuesBound(x, [1, 1]);
      await publishAll(x, [{ routingKey: 'k', tag: 'a', props: { headers: { '': 'v' } } }]);
      const c = await counts(qs);
      assert.equal(c[0] + c[1], 1);
    });
  });

  describe('hash-property', () => {
    const cases: [string, (v: number) => Options.Publish][] = [
      ['message_id', (v) => ({ messageId: `m${v}` })],
      ['correlation_id', (v) => ({ correlationId: `c${v}` })],
      ['timestamp', (v) => ({ timestamp: 1_600_000_000 + v })],
    ];
    for (const [property, props] of cases) {
      test(`${property}: routes by the property, and without it all to one queue`, async () => {
        const x = await exchange(`prop-${property}`, { 'hash-property': property });
        const qs = await queuesBound(x, [1, 1, 1, 1]);
        const msgs: Publish[] = [];
        for (let r = 0; r < 2; r++) {
          for (let v = 0; v < 200; v++) msgs.push({ routingKey: randomBytes(6).toString('hex'), tag: String(v), props: props(v) });
        }
        await publishAll(x, msgs);
        const drained = await drain(qs);
        assert.equal(placement(drained).size, 200);
        for (const tags of drained.values()) assert.ok(tags.length > 0, 'every queue gets some values');

        await publishAll(x, byKey(randomKeys(100)));
        const c = await counts(qs);
        assert.deepEqual([c.reduce((a, b) => a + b, 0), c.filter((n) => n > 0).length], [100, 1], `without ${property}: ${c}`);
      });
    }

    test('message_id hashes like a routing key of the same text', async () => {
      // RabbitMQ hashes the property's text as it hashes a routing key; with the same queues bound in
      // the same way, both exchanges send a value the same way.
      const byRoutingKey = await exchange('rk');
      const byMessageId = await exchange('mid', { 'hash-property': 'message_id' });
      const qs = await queuesBound(byRoutingKey, [1, 1, 1]);
      for (const q of qs) await ch.bindQueue(q, byMessageId, '1');
      const keys = randomKeys(200);
      await publishAll(byRoutingKey, byKey(keys));
      const a = placement(await drain(qs));
      await publishAll(
        byMessageId,
        keys.map((k) => ({ routingKey: 'same', tag: k, props: { messageId: k } })),
      );
      const b = placement(await drain(qs));
      for (const k of keys) assert.equal(b.get(k), a.get(k));
    });
  });

  describe('binding keys that are no weight', () => {
    const bad: [string, string][] = [
      ['abc', `The binding key must be an integer: <<"abc">>`],
      ['', `The binding key must be an integer: <<>>`],
      ['1.5', `The binding key must be an integer: <<"1.5">>`],
      [' 1', `The binding key must be an integer: <<" 1">>`],
      ['1e3', `The binding key must be an integer: <<"1e3">>`],
      ['é', `The binding key must be an integer: <<"é">>`],
      ['€', `The binding key must be an integer: <<226,130,172>>`],
      ['a"b\\c', `The binding key must be an integer: <<"a\\"b\\\\c">>`],
      ['a\nb\tc\u001b', `The binding key must be an integer: <<"a\\nb\\tc\\e">>`],
      ['a\u007f', `The binding key must be an integer: <<97,127>>`],
      [
        '\u0001'.repeat(22),
        `The binding key must be an integer: <<${'1,'.repeat(20)}\n${' '.repeat(38)}1,1>>`,
      ],
      [
        '\u007f'.repeat(10) + '\u0010',
        `The binding key must be an integer: <<${'127,'.repeat(10)}\n${' '.repeat(38)}16>>`,
      ],
      ['\u0001'.repeat(18) + '\u0010\u0001', `The binding key must be an integer: <<${'1,'.repeat(18)}16,1>>`],
      ['0', 'The binding key must be greater than 0'],
      ['-1', 'The binding key must be greater than 0'],
      ['00', 'The binding key must be greater than 0'],
      ['-0', 'The binding key must be greater than 0'],
    ];
    const exact = (text: string) => new RegExp(`^PRECONDITION_FAILED - ${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);

    for (const [key, text] of bad) {
      test(`queue.bind with key ${JSON.stringify(key)} is 406: ${JSON.stringify(text)}`, async () => {
        const x = await exchange('badkey');
        const q = await queue('badkey');
        await expectChannelError(conn, (c) => c.bindQueue(q, x, key), 406, exact(text), { method: 'queue.bind' });
      });
    }

    test('exchange.bind with a key that is no weight is 406 too', async () => {
      const x = await exchange('badkey-x');
      const dest = uniqueName('warren.chx.dest');
      exchanges.add(dest);
      await ch.assertExchange(dest, 'fanout', { durable: false });
      await expectChannelError(conn, (c) => c.bindExchange(dest, x, 'abc'), 406, exact(`The binding key must be an integer: <<"abc">>`), {
        method: 'exchange.bind',
      });
    });

    test('a missing queue is reported before the key', async () => {
      const x = await exchange('badkey-404');
      const q = uniqueName('warren.chx.none');
      await expectChannelError(conn, (c) => c.bindQueue(q, x, 'abc'), 404, new RegExp(`^NOT_FOUND - no queue ${quoted(q)} in vhost '/'$`));
    });

    test('order of checks on queue.bind: missing exchange (404), then the key (406), then exclusive access (405)', async () => {
      const x = await exchange('badkey-405');
      const owner = await connect(broker.url);
      try {
        const och = await owner.createChannel();
        const q = uniqueName('warren.chx.excl');
        await och.assertQueue(q, { exclusive: true });
        await expectChannelError(conn, (c) => c.bindQueue(q, uniqueName('warren.chx.nox'), 'abc'), 404, /^NOT_FOUND - no exchange/);
        await expectChannelError(conn, (c) => c.bindQueue(q, x, 'abc'), 406, /must be an integer/);
        await expectChannelError(conn, (c) => c.bindQueue(q, x, '1'), 405, /RESOURCE_LOCKED/);
      } finally {
        await owner.close();
      }
    });

    test('the failed binding leaves nothing behind', async () => {
      const x = await exchange('badkey-none');
      const q = await queue('badkey-none');
      await expectChannelError(conn, (c) => c.bindQueue(q, x, 'abc'), 406, /must be an integer/);
      const returned = new Promise<number>((resolve) => ch.once('return', (m) => resolve(m.fields.replyCode)));
      ch.publish(x, 'k', Buffer.from('x'), { mandatory: true });
      await ch.waitForConfirms();
      assert.equal(await returned, 312);
    });
  });

  describe('exchange arguments', () => {
    test('hash-header and hash-property together are 406', async () => {
      const name = uniqueName('warren.chx.both');
      await expectChannelError(
        conn,
        (c) => c.assertExchange(name, TYPE, { durable: false, arguments: { 'hash-header': 'h', 'hash-property': 'message_id' } }),
        406,
        /^PRECONDITION_FAILED - hash-header and hash-property are mutually exclusive$/,
        { method: 'exchange.declare' },
      );
      assert.equal(await exists(name), false);
    });

    for (const property of ['app_id', '', 'ünï']) {
      test(`hash-property ${JSON.stringify(property)} is 406 Unsupported property`, async () => {
        const name = uniqueName('warren.chx.prop');
        await expectChannelError(
          conn,
          (c) => c.assertExchange(name, TYPE, { durable: false, arguments: { 'hash-property': property } }),
          406,
          new RegExp(`^PRECONDITION_FAILED - Unsupported property: ${property}$`),
          { method: 'exchange.declare' },
        );
        assert.equal(await exists(name), false);
      });
    }

    for (const [arg, value] of [
      ['hash-header', 5],
      ['hash-property', true],
      ['hash-header', Buffer.from('user')],
    ] as const) {
      test(`${arg} that is not a string closes the connection with a bare INTERNAL_ERROR`, async () => {
        const name = uniqueName('warren.chx.type');
        const c2 = await connect(broker.url);
        const closed = new Promise<Error & { code?: number }>((resolve) => c2.once('close', (err: Error) => resolve(err)));
        c2.on('error', () => {});
        const c = await c2.createChannel();
        c.on('error', () => {});
        await assert.rejects(c.assertExchange(name, TYPE, { durable: false, arguments: { [arg]: value } }));
        const err = await closed;
        assert.equal(err?.code, 541);
        assert.match(err.message, /with message "INTERNAL_ERROR"$/);
        assert.equal(await exists(name), false);
      });
    }

    test('redeclaring an existing exchange does not check them again', async () => {
      const x = await exchange('redeclare', { 'hash-header': 'a' });
      await ch.assertExchange(x, TYPE, { durable: false, arguments: { 'hash-header': 'b' } });
      await ch.assertExchange(x, TYPE, { durable: false, arguments: { 'hash-property': 'nope' } });
      // still hashing by header a
      const qs = await queuesBound(x, [1, 1]);
      await publishAll(x, randomKeys(50).map((k) => ({ routingKey: k, tag: k, props: { headers: { a: 'same' } } })));
      const c = await counts(qs);
      assert.deepEqual(c.sort(), [0, 50]);
    });

    async function exists(name: string): Promise<boolean> {
      const c: Channel = await conn.createChannel();
      c.on('error', () => {});
      try {
        await c.checkExchange(name);
        await c.close();
        exchanges.add(name);
        return true;
      } catch (err) {
        if ((err as { code?: number }).code === 404) return false;
        throw err;
      }
    }
  });
});
