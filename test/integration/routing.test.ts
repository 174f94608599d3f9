// Message routing by exchange type, mandatory returns and alternate exchanges, pinned to what
// RabbitMQ 3.10 does (every test here passes against the reference broker).
//
// Routing results are read only after publisher confirms: RabbitMQ confirms a message once every
// queue it was routed to has it, so a basic.get afterwards sees exactly what was routed.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type ChannelModel, type ConfirmChannel, type Message } from 'amqplib';
import { AMQPClient, type AMQPChannel, type AMQPMessage } from '@cloudamqp/amqp-client';
import { testBroker, uniqueName, type TestBroker } from '../helpers/broker.js';
import { expectChannelError } from '../helpers/amqp-errors.js';

type Bindings = Record<string, { key?: string; args?: Record<string, unknown> }>;
type Publication = { id: string; key: string; headers?: Record<string, unknown> };

/** Reference topic matcher: words split on '.', the empty key has no words; '*' is one word, '#' any number. */
function topicMatches(pattern: string, key: string): boolean {
  const words = (s: string) => (s === '' ? [] : s.split('.'));
  const p = words(pattern);
  const k = words(key);
  const memo = new Map<string, boolean>();
  const go = (i: number, j: number): boolean => {
    const id = `${i},${j}`;
    const hit = memo.get(id);
    if (hit !== undefined) return hit;
    let r: boolean;
    if (i === p.length) r = j === k.length;
    else if (p[i] === '#') r = go(i + 1, j) || (j < k.length && go(i, j + 1));
    else r = j < k.length && (p[i] === '*' || p[i] === k[j]) && go(i + 1, j + 1);
    memo.set(id, r);
    return r;
  };
  return go(0, 0);
}

describe('routing', () => {
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

  function exchangeName(tag: string): string {
    const name = uniqueName(`warren.rt.${tag}`);
    exchanges.add(name);
    return name;
  }

  async function newQueue(): Promise<string> {
    const { queue } = await ch.assertQueue('', { exclusive: true, durable: false });
    queues.add(queue);
    return queue;
  }

  async function drain(queue: string): Promise<string[]> {
    const bodies: string[] = [];
    for (;;) {
      const m = await ch.get(queue, { noAck: true });
      if (m === false) return bodies;
      bodies.push(m.content.toString());
    }
  }

  /**
   * Declares an exchange of `type`, one queue per binding, publishes `messages` (body = id) and
   * returns, per binding label, the ids its queue received in order.
   */
  async function route(type: string, bindings: Bindings, messages: Publication[]): Promise<Record<string, string[]>> {
    const x = exchangeName(type);
    await ch.assertExchange(x, type, { durable: false });
    const queueOf: Record<string, string> = {};
    for (const [label, { key = '', args }] of Object.entries(bindings)) {
      queueOf[label] = await newQueue();
      await ch.bindQueue(queueOf[label], x, key, args);
    }
    for (const m of messages) ch.publish(x, m.key, Buffer.from(m.id), m.headers ? { headers: m.headers } : {});
    await ch.waitForConfirms();
    const out: Record<string, string[]> = {};
    for (const label of Object.keys(bindings)) out[label] = await drain(queueOf[label]!);
    return out;
  }

  /** topic routing of `keys` through one queue per pattern; message ids are the keys */
  async function topicRoute(patterns: string[], keys: string[]): Promise<Record<string, string[]>> {
    const bindings: Bindings = {};
    for (const p of patterns) bindings[p] = { key: p };
    const got = await route(
      'topic',
      bindings,
      keys.map((key) => ({ id: `<${key}>`, key })),
    );
    const out: Record<string, string[]> = {};
    for (const p of patterns) out[p] = got[p]!.map((id) => id.slice(1, -1));
    return out;
  }

  describe('direct', () => {
    test('direct exchange routes on an exact, case-sensitive routing key match', async () => {
      const got = await route(
        'direct',
        { ab: { key: 'a.b' }, ab2: { key: 'a.b' }, star: { key: '*' }, empty: { key: '' } },
        [
          { id: 'a.b', key: 'a.b' },
          { id: 'a', key: 'a' },
          { id: 'a.b.c', key: 'a.b.c' },
          { id: 'A.B', key: 'A.B' },
          { id: 'star', key: '*' },
          { id: 'empty', key: '' },
          { id: 'x', key: 'x' },
        ],
      );
      assert.deepEqual(got, { ab: ['a.b'], ab2: ['a.b'], star: ['star'], empty: ['empty'] });
    });
  });

  describe('fanout', () => {
    test('fanout exchange routes every message to every bound queue, whatever the key', async () => {
      const got = await route('fanout', { q1: { key: '' }, q2: { key: 'ignored' }, q3: { key: '#' } }, [
        { id: 'm1', key: '' },
        { id: 'm2', key: 'anything' },
        { id: 'm3', key: 'a.b.c' },
      ]);
      assert.deepEqual(got, { q1: ['m1', 'm2', 'm3'], q2: ['m1', 'm2', 'm3'], q3: ['m1', 'm2', 'm3'] });
    });
  });

  describe('topic', () => {
    test('topic * matches exactly one word', async () => {
      const got = await topicRoute(['*', 'a.*', '*.*', '*.b'], ['', 'a', 'a.b', 'a.b.c', 'x.b', 'b']);
      assert.deepEqual(got, {
        '*': ['a', 'b'],
        'a.*': ['a.b'],
        '*.*': ['a.b', 'x.b'],
        '*.b': ['a.b', 'x.b'],
      });
    });

    test('topic # matches zero or more words', async () => {
      const got = await topicRoute(['#', 'a.#', '#.b', '#.#'], ['', 'a', 'b', 'a.b', 'a.c.b', 'b.a', 'x.y.z']);
      assert.deepEqual(got, {
        '#': ['', 'a', 'b', 'a.b', 'a.c.b', 'b.a', 'x.y.z'],
        'a.#': ['a', 'a.b', 'a.c.b'],
        '#.b': ['b', 'a.b', 'a.c.b'],
        '#.#': ['', 'a', 'b', 'a.b', 'a.c.b', 'b.a', 'x.y.z'],
      });
    });

    test('topic a.#.b: # in the middle matches zero or more words between a and b', async () => {
      const got = await topicRoute(['a.#.b', 'a.#.#.b', 'a.*.b'], ['a.b', 'a.c.b', 'a.c.d.b', 'a', 'b', 'a.b.c', 'x.a.b', 'a.c.d']);
      assert.deepEqual(got, {
        'a.#.b': ['a.b', 'a.c.b', 'a.c.d.b'],
        'a.#.#.b': ['a.b', 'a.c.b', 'a.c.d.b'],
        'a.*.b': ['a.c.b'],
      });
    });

    test('topic #.a.# matches a word anywhere in the key', async () => {
      const got = await topicRoute(['#.a.#', '*.#', '#.*', 'a.*.#'], ['', 'a', 'x.a', 'a.x', 'x.a.y', 'x.y', 'ab', 'a.b.c']);
      assert.deepEqual(got, {
        '#.a.#': ['a', 'x.a', 'a.x', 'x.a.y', 'a.b.c'],
        '*.#': ['a', 'x.a', 'a.x', 'x.a.y', 'x.y', 'ab', 'a.b.c'],
        '#.*': ['a', 'x.a', 'a.x', 'x.a.y', 'x.y', 'ab', 'a.b.c'],
        'a.*.#': ['a.x', 'a.b.c'],
      });
    });

    test('topic keys with empty words: dots delimit words that may be empty', async () => {
      const keys = ['', '.', '..', 'a.', '.a', 'a..b', 'a.b'];
      const got = await topicRoute(['a..b', 'a.*.b', '*.*', '.', '*.', '.*', '#.', '.#', 'a.'], keys);
      assert.deepEqual(got, {
        'a..b': ['a..b'],
        'a.*.b': ['a..b'],
        '*.*': ['.', 'a.', '.a', 'a.b'],
        '.': ['.'],
        '*.': ['.', 'a.'],
        '.*': ['.', '.a'],
        '#.': ['.', '..', 'a.'],
        '.#': ['.', '..', '.a'],
        'a.': ['a.'],
      });
    });

    test('topic binding key "" matches only the empty routing key, "#" matches it too, "*" does not', async () => {
      const got = await topicRoute(['', '#', '*'], ['', 'a', '.']);
      assert.deepEqual(got, { '': [''], '#': ['', 'a', '.'], '*': ['a'] });
    });

    test('topic wildcards inside a word are literal characters', async () => {
      const got = await topicRoute(['a#', 'a*', '#b', 'a.b#'], ['a', 'ab', 'a#', 'a*', 'b', '#b', 'a.b#', 'a.bc']);
      assert.deepEqual(got, { 'a#': ['a#'], 'a*': ['a*'], '#b': ['#b'], 'a.b#': ['a.b#'] });
    });

    test('the reference topic matcher agrees with the broker on edge cases', () => {
      // guards the matcher used by the many-bindings test below
      assert.equal(topicMatches('#', ''), true);
      assert.equal(topicMatches('*', ''), false);
      assert.equal(topicMatches('', ''), true);
      assert.equal(topicMatches('#.', '.'), true);
      assert.equal(topicMatches('a.#.b', 'a.b'), true);
      assert.equal(topicMatches('*.#', ''), false);
    });

    test('2000 topic bindings: every queue receives exactly the messages its patterns match, once each', async () => {
      const x = exchangeName('many');
      await ch.assertExchange(x, 'topic', { durable: false });
      // deterministic pseudo-random patterns (mulberry32)
      let seed = 0x5eed;
      const rand = () => {
        seed = (seed + 0x6d2b79f5) | 0;
        let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
        t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
      };
      const tokens = ['a', 'b', 'c', 'd', '*', '#'];
      const QUEUES = 20;
      const PER_QUEUE = 100;
      const patternsOf: string[][] = [];
      const queueNames: string[] = [];
      for (let qi = 0; qi < QUEUES; qi++) {
        const patterns = new Set<string>();
        while (patterns.size < PER_QUEUE) {
          const len = 1 + Math.floor(rand() * 4);
          const words = Array.from({ length: len }, () => tokens[Math.floor(rand() * tokens.length)]!);
          patterns.add(words.join('.'));
        }
        patternsOf.push([...patterns]);
        queueNames.push(await newQueue());
      }
      const binds: Promise<unknown>[] = [];
      for (let qi = 0; qi < QUEUES; qi++) {
        for (const p of patternsOf[qi]!) binds.push(ch.bindQueue(queueNames[qi]!, x, p));
      }
      assert.equal(binds.length, 2000);
      await Promise.all(binds);

      // every key of 0..4 words over a-d, plus keys containing a word no pattern names
      const keys: string[] = [''];
      let layer = [''];
      for (let len = 1; len <= 4; len++) {
        layer = layer.flatMap((prefix) => ['a', 'b', 'c', 'd'].map((w) => (prefix === '' && len === 1 ? w : `${prefix}.${w}`)));
        keys.push(...layer);
      }
      keys.push('e', 'a.e', 'e.a.b', 'a.b.c.d.e', 'a.b.c.d.a');
      for (const key of keys) ch.publish(x, key, Buffer.from(`<${key}>`));
      await ch.waitForConfirms();

      const expected = patternsOf.map((patterns) => keys.filter((key) => patterns.some((p) => topicMatches(p, key))));
      let total = 0;
      for (let qi = 0; qi < QUEUES; qi++) {
        const { messageCount } = await ch.checkQueue(queueNames[qi]!);
        assert.equal(messageCount, expected[qi]!.length, `queue ${qi} message count`);
        total += messageCount;
      }
      assert.ok(total > 1000, `the patterns should match plenty of keys (got ${total})`);

      // and they are the right messages, each once, in publish order
      const consumer = await conn.createChannel();
      const received: string[][] = queueNames.map(() => []);
      let count = 0;
      let resolveAll!: () => void;
      const all = new Promise<void>((resolve) => (resolveAll = resolve));
      for (let qi = 0; qi < QUEUES; qi++) {
        await consumer.consume(
          queueNames[qi]!,
          (m) => {
            if (!m) return;
            received[qi]!.push(m.content.toString().slice(1, -1));
            if (++count === total) resolveAll();
          },
          { noAck: true },
        );
      }
      await all;
      assert.deepEqual(received, expected);
      await consumer.close();
    });
  });

  describe('headers', () => {
    const messages: Publication[] = [
      { id: 'none', key: 'k' },
      { id: 'a', key: 'k', headers: { a: '1' } },
      { id: 'ab', key: 'k', headers: { a: '1', b: '2' } },
      { id: 'abc', key: 'k', headers: { a: '1', b: '2', c: '3' } },
      { id: 'a-wrong-b', key: 'k', headers: { a: '1', b: '3' } },
      { id: 'xfoo', key: 'k', headers: { 'x-foo': 'bar' } },
      { id: 'xfoo-a', key: 'k', headers: { 'x-foo': 'bar', a: '1' } },
      { id: 'xbaz-a', key: 'k', headers: { 'x-foo': 'baz', a: '1' } },
    ];

    test('headers x-match all requires every binding header, extra message headers allowed', async () => {
      const got = await route('headers', { all: { args: { 'x-match': 'all', a: '1', b: '2' } } }, messages);
      assert.deepEqual(got.all, ['ab', 'abc']);
    });

    test('headers x-match any requires at least one binding header', async () => {
      const got = await route('headers', { any: { args: { 'x-match': 'any', a: '1', b: '2' } } }, messages);
      assert.deepEqual(got.any, ['a', 'ab', 'abc', 'a-wrong-b', 'xfoo-a', 'xbaz-a']);
    });

    test('headers without x-match behave as x-match all', async () => {
      const got = await route('headers', { implicit: { args: { a: '1', b: '2' } } }, messages);
      assert.deepEqual(got.implicit, ['ab', 'abc']);
    });

    test('headers x-match all with no other binding headers matches every message; any matches none', async () => {
      const got = await route(
        'headers',
        { all: { args: { 'x-match': 'all' } }, any: { args: { 'x-match': 'any' } }, bare: {} },
        messages,
      );
      const ids = messages.map((m) => m.id);
      assert.deepEqual(got, { all: ids, any: [], bare: ids });
    });

    test('headers x-match all/any ignore binding headers starting with x-', async () => {
      const got = await route(
        'headers',
        {
          all: { args: { 'x-match': 'all', 'x-foo': 'bar', a: '1' } },
          any: { args: { 'x-match': 'any', 'x-foo': 'bar' } },
        },
        messages,
      );
      assert.deepEqual(got, { all: ['a', 'ab', 'abc', 'a-wrong-b', 'xfoo-a', 'xbaz-a'], any: [] });
    });

    test('headers x-match all-with-x and any-with-x also match binding headers starting with x-', async () => {
      const got = await route(
        'headers',
        {
          allx: { args: { 'x-match': 'all-with-x', 'x-foo': 'bar', a: '1' } },
          anyx: { args: { 'x-match': 'any-with-x', 'x-foo': 'bar' } },
        },
        messages,
      );
      assert.deepEqual(got, { allx: ['xfoo-a'], anyx: ['xfoo', 'xfoo-a'] });
    });

    test('headers match integers by value across integer widths and doubles, not strings', async () => {
      const got = await route(
        'headers',
        {
          int: { args: { 'x-match': 'all', n: 1 } },
          long: { args: { 'x-match': 'all', n: { '!': 'long', value: 1 } } },
          double: { args: { 'x-match': 'all', d: 1.5 } },
        },
        [
          { id: 'byte-1', key: '', headers: { n: 1 } },
          { id: 'long-1', key: '', headers: { n: { '!': 'long', value: 1 } } },
          { id: 'double-1', key: '', headers: { n: { '!': 'double', value: 1 } } },
          { id: 'double-1.0000001', key: '', headers: { n: 1.0000001 } },
          { id: 'string-1', key: '', headers: { n: '1' } },
          { id: 'int-2', key: '', headers: { n: 2 } },
          { id: 'double-1.5', key: '', headers: { d: 1.5 } },
        ],
      );
      assert.deepEqual(got, {
        int: ['byte-1', 'long-1', 'double-1'],
        long: ['byte-1', 'long-1', 'double-1'],
        double: ['double-1.5'],
      });
    });

    test('headers match booleans by value, not as strings or numbers', async () => {
      const got = await route(
        'headers',
        { t: { args: { 'x-match': 'all', f: true } }, f: { args: { 'x-match': 'all', f: false } } },
        [
          { id: 'true', key: '', headers: { f: true } },
          { id: 'false', key: '', headers: { f: false } },
          { id: 'string-true', key: '', headers: { f: 'true' } },
          { id: 'int-1', key: '', headers: { f: 1 } },
          { id: 'int-0', key: '', headers: { f: 0 } },
        ],
      );
      assert.deepEqual(got, { t: ['true'], f: ['false'] });
    });

    test('a headers binding value of type void matches on the header being present', async () => {
      const got = await route('headers', { present: { args: { 'x-match': 'all', v: null } } }, [
        { id: 'string', key: '', headers: { v: 'anything' } },
        { id: 'void', key: '', headers: { v: null } },
        { id: 'absent', key: '', headers: { w: 'x' } },
      ]);
      assert.deepEqual(got.present, ['string', 'void']);
    });

    test('headers exchange ignores the routing key', async () => {
      const got = await route('headers', { b: { key: 'only-this', args: { a: '1' } } }, [
        { id: 'other-key', key: 'other', headers: { a: '1' } },
        { id: 'same-key-no-header', key: 'only-this' },
      ]);
      assert.deepEqual(got.b, ['other-key']);
    });

    test('binding with an invalid x-match value is 406', async () => {
      const q = await newQueue();
      await expectChannelError(
        conn,
        (c) => c.bindQueue(q, 'amq.headers', '', { 'x-match': 'some' }),
        406,
        /^PRECONDITION_FAILED - Invalid x-match field value <<"some">>; expected all, any, all-with-x, or any-with-x$/,
        { method: 'queue.bind' },
      );
    });

    test('binding with a non-string x-match is 406', async () => {
      const q = await newQueue();
      await expectChannelError(
        conn,
        (c) => c.bindQueue(q, 'amq.headers', '', { 'x-match': 1 }),
        406,
        /^PRECONDITION_FAILED - Invalid x-match field type byte \(value 1\); expected longstr$/,
      );
    });
  });

  describe('default exchange', () => {
    test('the default exchange routes to the queue named by the routing key', async () => {
      const q1 = await newQueue();
      const q2 = await newQueue();
      ch.publish('', q1, Buffer.from('to-q1'));
      ch.sendToQueue(q2, Buffer.from('to-q2'));
      ch.publish('', `${q1}.nope`, Buffer.from('nowhere'));
      await ch.waitForConfirms();
      const m = await ch.get(q1, { noAck: true });
      assert.ok(m);
      assert.equal(m.content.toString(), 'to-q1');
      assert.equal(m.fields.exchange, '');
      assert.equal(m.fields.routingKey, q1);
      assert.deepEqual(await drain(q1), []);
      assert.deepEqual(await drain(q2), ['to-q2']);
    });
  });

  describe('deduplication', () => {
    test('a message matching two bindings of the same queue is delivered once', async () => {
      const x = exchangeName('dedup');
      const q = await newQueue();
      await ch.assertExchange(x, 'topic', { durable: false });
      await ch.bindQueue(q, x, 'a.*');
      await ch.bindQueue(q, x, '#');
      await ch.bindQueue(q, x, 'a.b');
      ch.publish(x, 'a.b', Buffer.from('once'));
      await ch.waitForConfirms();
      assert.deepEqual(await drain(q), ['once']);
    });

    test('a message reaching a queue directly and through an exchange-to-exchange binding is delivered once', async () => {
      const source = exchangeName('dedup-src');
      const dest = exchangeName('dedup-dest');
      const q = await newQueue();
      await ch.assertExchange(source, 'direct', { durable: false });
      await ch.assertExchange(dest, 'fanout', { durable: false });
      await ch.bindExchange(dest, source, 'k');
      await ch.bindQueue(q, source, 'k');
      await ch.bindQueue(q, dest, '');
      ch.publish(source, 'k', Buffer.from('once'));
      await ch.waitForConfirms();
      assert.deepEqual(await drain(q), ['once']);
    });
  });

  describe('mandatory', () => {
    test('a mandatory message with no route comes back as basic.return 312 NO_ROUTE', async () => {
      const x = exchangeName('mandatory');
      await ch.assertExchange(x, 'direct', { durable: false });
      const returned = new Promise<Message>((resolve) => ch.once('return', resolve));
      ch.publish(x, 'nowhere', Buffer.from('bounce'), {
        mandatory: true,
        messageId: 'm-1',
        contentType: 'text/plain',
        headers: { h: 'v' },
      });
      const m = await returned;
      assert.equal(m.content.toString(), 'bounce');
      assert.deepEqual(
        { ...m.fields },
        { replyCode: 312, replyText: 'NO_ROUTE', exchange: x, routingKey: 'nowhere' },
      );
      assert.equal(m.properties.messageId, 'm-1');
      assert.equal(m.properties.contentType, 'text/plain');
      assert.deepEqual(m.properties.headers, { h: 'v' });
      await ch.waitForConfirms();
    });

    test('a mandatory message to the default exchange for a missing queue is returned', async () => {
      const name = uniqueName('warren.rt.no-queue');
      const returned = new Promise<Message>((resolve) => ch.once('return', resolve));
      ch.publish('', name, Buffer.from('bounce'), { mandatory: true });
      const m = await returned;
      assert.deepEqual({ ...m.fields }, { replyCode: 312, replyText: 'NO_ROUTE', exchange: '', routingKey: name });
      await ch.waitForConfirms();
    });

    test('under publisher confirms the basic.return arrives before the basic.ack', async () => {
      const x = exchangeName('return-order');
      await ch.assertExchange(x, 'fanout', { durable: false });
      const events: string[] = [];
      const onReturn = (m: Message) => events.push(`return:${m.content.toString()}`);
      ch.on('return', onReturn);
      try {
        await new Promise<void>((resolve, reject) =>
          ch.publish(x, 'k', Buffer.from('r1'), { mandatory: true }, (err) => {
            events.push('ack:r1');
            if (err) reject(err);
            else resolve();
          }),
        );
      } finally {
        ch.off('return', onReturn);
      }
      assert.deepEqual(events, ['return:r1', 'ack:r1']);
    });

    test('a routable mandatory message is not returned, an unroutable non-mandatory one is dropped and acked', async () => {
      const x = exchangeName('no-return');
      await ch.assertExchange(x, 'direct', { durable: false });
      const q = await newQueue();
      await ch.bindQueue(q, x, 'hit');
      const returns: string[] = [];
      const onReturn = (m: Message) => returns.push(m.content.toString());
      ch.on('return', onReturn);
      try {
        ch.publish(x, 'hit', Buffer.from('routed'), { mandatory: true });
        ch.publish(x, 'miss', Buffer.from('dropped'), { mandatory: false });
        await ch.waitForConfirms();
      } finally {
        ch.off('return', onReturn);
      }
      assert.deepEqual(returns, []);
      assert.deepEqual(await drain(q), ['routed']);
    });
  });

  describe('alternate exchange', () => {
    async function withAe(): Promise<{ main: string; ae: string; mainQ: string; aeQ: string }> {
      const ae = exchangeName('ae');
      const main = exchangeName('ae-main');
      await ch.assertExchange(ae, 'fanout', { durable: false });
      await ch.assertExchange(main, 'direct', { durable: false, alternateExchange: ae });
      const aeQ = await newQueue();
      const mainQ = await newQueue();
      await ch.bindQueue(aeQ, ae, '');
      await ch.bindQueue(mainQ, main, 'hit');
      return { main, ae, mainQ, aeQ };
    }

    test('the alternate-exchange argument routes messages the exchange cannot route', async () => {
      const { main, mainQ, aeQ } = await withAe();
      ch.publish(main, 'miss', Buffer.from('to-ae'));
      ch.publish(main, 'hit', Buffer.from('to-main'));
      await ch.waitForConfirms();
      const m = await ch.get(aeQ, { noAck: true });
      assert.ok(m);
      assert.equal(m.content.toString(), 'to-ae');
      // the delivery keeps the exchange and routing key it was published with
      assert.equal(m.fields.exchange, main);
      assert.equal(m.fields.routingKey, 'miss');
      assert.deepEqual(await drain(aeQ), []);
      assert.deepEqual(await drain(mainQ), ['to-main']);
    });

    test('a mandatory message routed by the alternate exchange is not returned', async () => {
      const { main, aeQ } = await withAe();
      const returns: string[] = [];
      const onReturn = (m: Message) => returns.push(m.content.toString());
      ch.on('return', onReturn);
      try {
        ch.publish(main, 'miss', Buffer.from('via-ae'), { mandatory: true });
        await ch.waitForConfirms();
      } finally {
        ch.off('return', onReturn);
      }
      assert.deepEqual(returns, []);
      assert.deepEqual(await drain(aeQ), ['via-ae']);
    });

    test('a mandatory message is returned when the alternate exchange does not exist', async () => {
      const main = exchangeName('ae-missing');
      await ch.assertExchange(main, 'direct', { durable: false, alternateExchange: exchangeName('never-declared') });
      const returned = new Promise<Message>((resolve) => ch.once('return', resolve));
      ch.publish(main, 'miss', Buffer.from('bounce'), { mandatory: true });
      const m = await returned;
      assert.deepEqual({ ...m.fields }, { replyCode: 312, replyText: 'NO_ROUTE', exchange: main, routingKey: 'miss' });
      await ch.waitForConfirms();
    });

    test('a mandatory message is returned when the alternate exchange cannot route it either', async () => {
      const ae = exchangeName('ae-empty');
      const main = exchangeName('ae-empty-main');
      await ch.assertExchange(ae, 'fanout', { durable: false });
      await ch.assertExchange(main, 'direct', { durable: false, alternateExchange: ae });
      const returned = new Promise<Message>((resolve) => ch.once('return', resolve));
      ch.publish(main, 'miss', Buffer.from('bounce'), { mandatory: true });
      const m = await returned;
      assert.deepEqual({ ...m.fields }, { replyCode: 312, replyText: 'NO_ROUTE', exchange: main, routingKey: 'miss' });
      await ch.waitForConfirms();
    });

    test("alternate exchanges chain: an alternate exchange's own alternate exchange is used", async () => {
      const last = exchangeName('ae-last');
      const middle = exchangeName('ae-middle');
      const first = exchangeName('ae-first');
      await ch.assertExchange(last, 'fanout', { durable: false });
      await ch.assertExchange(middle, 'direct', { durable: false, alternateExchange: last });
      await ch.assertExchange(first, 'direct', { durable: false, alternateExchange: middle });
      const q = await newQueue();
      await ch.bindQueue(q, last, '');
      ch.publish(first, 'x', Buffer.from('chained'));
      await ch.waitForConfirms();
      assert.deepEqual(await drain(q), ['chained']);
    });

    test('a cycle of alternate exchanges ends: the mandatory message is returned', async () => {
      const d = exchangeName('ae-cycle-d');
      const e = exchangeName('ae-cycle-e');
      await ch.assertExchange(d, 'direct', { durable: false, alternateExchange: e });
      await ch.assertExchange(e, 'direct', { durable: false, alternateExchange: d });
      const returned = new Promise<Message>((resolve) => ch.once('return', resolve));
      ch.publish(d, 'x', Buffer.from('cycle'), { mandatory: true });
      const m = await returned;
      assert.equal(m.content.toString(), 'cycle');
      assert.deepEqual({ ...m.fields }, { replyCode: 312, replyText: 'NO_ROUTE', exchange: d, routingKey: 'x' });
      await ch.waitForConfirms();
    });
  });

  // Routing basics again through an independent client, so Warren is not tuned to one client's framing.
  describe('with @cloudamqp/amqp-client', () => {
    let client: AMQPClient;
    let cch: AMQPChannel;

    before(async () => {
      client = new AMQPClient(broker.url);
      await client.connect();
      cch = await client.channel();
      await cch.confirmSelect();
    });

    after(async () => {
      await client?.close();
    });

    async function cDrain(queue: string): Promise<string[]> {
      const out: string[] = [];
      for (;;) {
        const m = await cch.basicGet(queue, { noAck: true });
        if (!m) return out;
        out.push(m.bodyString() ?? '');
      }
    }

    async function cQueue(): Promise<string> {
      const { name } = await cch.queueDeclare('', { exclusive: true, durable: false });
      return name;
    }

    test('direct, fanout and topic routing', async () => {
      const direct = exchangeName('c-direct');
      const fanout = exchangeName('c-fanout');
      const topic = exchangeName('c-topic');
      await cch.exchangeDeclare(direct, 'direct', { durable: false });
      await cch.exchangeDeclare(fanout, 'fanout', { durable: false });
      await cch.exchangeDeclare(topic, 'topic', { durable: false });
      const qd = await cQueue();
      const qf1 = await cQueue();
      const qf2 = await cQueue();
      const qt = await cQueue();
      await cch.queueBind(qd, direct, 'k');
      await cch.queueBind(qf1, fanout, '');
      await cch.queueBind(qf2, fanout, 'x');
      await cch.queueBind(qt, topic, 'a.#.z');
      // in confirm mode basicPublish resolves on the broker's ack
      await Promise.all([
        cch.basicPublish(direct, 'k', 'direct-hit'),
        cch.basicPublish(direct, 'K', 'direct-miss'),
        cch.basicPublish(fanout, 'whatever', 'fanned'),
        cch.basicPublish(topic, 'a.z', 'topic-1'),
        cch.basicPublish(topic, 'a.b.c.z', 'topic-2'),
        cch.basicPublish(topic, 'a.b', 'topic-miss'),
      ]);
      assert.deepEqual(await cDrain(qd), ['direct-hit']);
      assert.deepEqual(await cDrain(qf1), ['fanned']);
      assert.deepEqual(await cDrain(qf2), ['fanned']);
      assert.deepEqual(await cDrain(qt), ['topic-1', 'topic-2']);
    });

    test('headers routing and the default exchange', async () => {
      const headers = exchangeName('c-headers');
      await cch.exchangeDeclare(headers, 'headers', { durable: false });
      const qh = await cQueue();
      await cch.queueBind(qh, headers, '', { 'x-match': 'any', color: 'red', size: 3 });
      await cch.basicPublish(headers, '', 'red', { headers: { color: 'red' } });
      await cch.basicPublish(headers, '', 'size-3', { headers: { size: 3 } });
      await cch.basicPublish(headers, '', 'blue', { headers: { color: 'blue', size: 4 } });
      assert.deepEqual(await cDrain(qh), ['red', 'size-3']);

      const qd = await cQueue();
      await cch.basicPublish('', qd, 'by-name');
      const m = await cch.basicGet(qd, { noAck: true });
      assert.ok(m);
      assert.equal(m.bodyString(), 'by-name');
      assert.equal(m.exchange, '');
      assert.equal(m.routingKey, qd);
    });

    test('mandatory unroutable message is returned with 312 NO_ROUTE', async () => {
      const x = exchangeName('c-mandatory');
      await cch.exchangeDeclare(x, 'direct', { durable: false });
      const returned = new Promise<AMQPMessage>((resolve) => {
        cch.onReturn = resolve;
      });
      await cch.basicPublish(x, 'nowhere', 'bounce', {}, true);
      const m = await returned;
      assert.equal(m.replyCode, 312);
      assert.equal(m.replyText, 'NO_ROUTE');
      assert.equal(m.exchange, x);
      assert.equal(m.routingKey, 'nowhere');
      assert.equal(m.bodyString(), 'bounce');
    });
  });
});
