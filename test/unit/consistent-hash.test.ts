// The consistent-hash exchange's ring and router: stable placement, shares in proportion to weights,
// minimal movement when owners come and go, and RabbitMQ's texts for bad binding keys and arguments.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Writer } from '../../src/amqp/codec.js';
import { tableOf } from '../../src/amqp/field-table.js';
import { encodeBasicProperties, type BasicProperties } from '../../src/amqp/spec.js';
import { Binding, type Destination } from '../../src/broker/binding.js';
import { AmqpError } from '../../src/broker/errors.js';
import { Exchange } from '../../src/broker/exchange.js';
import {
  ConsistentHashRouter,
  erlangPrettyBinary,
  hashString,
  HashRing,
  MAX_POINTS,
  POINTS_PER_WEIGHT,
  validateConsistentHashArguments,
  weightOf,
} from '../../src/broker/exchanges/consistent-hash.js';
import { routerFor, validateExchangeArguments } from '../../src/broker/exchanges/index.js';
import { Message } from '../../src/broker/message.js';

/** Deterministic pseudo-random 32-bit values (xorshift), so the tests never flake. */
function randomHashes(n: number, seed = 0x9e3779b9): Uint32Array {
  const out = new Uint32Array(n);
  let x = seed | 0;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x >>> 0;
  }
  return out;
}

function ringOf(weights: Record<string, number>): HashRing<string> {
  const ring = new HashRing<string>();
  for (const [id, w] of Object.entries(weights)) ring.set(id, id, w);
  return ring;
}

function shares(ring: HashRing<string>, hashes: Uint32Array): Map<string, number> {
  const out = new Map<string, number>();
  for (const h of hashes) {
    const o = ring.lookup(h)!;
    out.set(o, (out.get(o) ?? 0) + 1 / hashes.length);
  }
  return out;
}

describe('HashRing', () => {
  const hashes = randomHashes(100_000);

  test('an empty ring has no owner; a single owner owns everything', () => {
    const ring = new HashRing<string>();
    assert.equal(ring.lookup(123), undefined);
    ring.set('a', 'a', 1);
    for (const h of [0, 1, 0x7fffffff, 0xffffffff]) assert.equal(ring.lookup(h), 'a');
    ring.delete('a');
    assert.equal(ring.lookup(123), undefined);
  });

  test('points per owner follow the weight', () => {
    assert.equal(ringOf({ a: 1, b: 3 }).pointCount, 4 * POINTS_PER_WEIGHT);
  });

  test('equal weights get even shares', () => {
    for (const names of [['a', 'b'], ['q1', 'q2', 'q3', 'q4'], ['x', 'y', 'z', 'w', 'v', 'u', 't', 's']]) {
      const ring = ringOf(Object.fromEntries(names.map((n) => [n, 1])));
      const s = shares(ring, hashes);
      const even = 1 / names.length;
      for (const n of names) assert.ok(Math.abs(s.get(n)! - even) < even * 0.35, `${n}: ${s.get(n)} vs ${even} in ${names}`);
    }
  });

  test('shares follow the weights (1:3, 1:2:5)', () => {
    let s = shares(ringOf({ light: 1, heavy: 3 }), hashes);
    assert.ok(Math.abs(s.get('heavy')! - 0.75) < 0.06, `heavy ${s.get('heavy')}`);
    s = shares(ringOf({ a: 1, b: 2, c: 5 }), hashes);
    assert.ok(Math.abs(s.get('a')! - 1 / 8) < 0.04 && Math.abs(s.get('c')! - 5 / 8) < 0.06, JSON.stringify([...s]));
  });

  test('placement depends on the owners, not the order they came in', () => {
    const a = ringOf({ a: 1, b: 2, c: 1 });
    const b = ringOf({ c: 1, a: 1, b: 2 });
    for (const h of hashes.subarray(0, 5000)) assert.equal(a.lookup(h), b.lookup(h));
  });

  test('adding an owner moves only about its share, and only to it', () => {
    const ring = ringOf({ a: 1, b: 1, c: 1 });
    const before = Array.from(hashes, (h) => ring.lookup(h));
    ring.set('d', 'd', 1);
    let moved = 0;
    hashes.forEach((h, i) => {
      const now = ring.lookup(h);
      if (now === before[i]) return;
      assert.equal(now, 'd');
      moved++;
    });
    const share = moved / hashes.length;
    assert.ok(share > 0.15 && share < 0.35, `moved ${share}, about 1/4 expected`);
  });

  test('removing an owner moves only its keys', () => {
    const ring = ringOf({ a: 1, b: 2, c: 1, d: 1 });
    const before = Array.from(hashes, (h) => ring.lookup(h));
    ring.delete('b');
    hashes.forEach((h, i) => {
      const now = ring.lookup(h);
      if (before[i] === 'b') assert.notEqual(now, 'b');
      else assert.equal(now, before[i]);
    });
  });

  test('changing a weight moves keys only between that owner and the others', () => {
    const ring = ringOf({ a: 1, b: 1, c: 1 });
    const before = Array.from(hashes, (h) => ring.lookup(h));
    ring.set('a', 'a', 2);
    hashes.forEach((h, i) => {
      const now = ring.lookup(h);
      if (now !== before[i]) assert.equal(now, 'a', 'only a gains keys');
    });
  });

  test('huge weights are scaled down together, keeping the proportions and bounding memory', () => {
    const ring = ringOf({ a: 100_000, b: 300_000 });
    assert.ok(ring.pointCount <= MAX_POINTS, `${ring.pointCount} points`);
    const s = shares(ring, hashes);
    assert.ok(Math.abs(s.get('b')! - 0.75) < 0.03, `b ${s.get('b')}`);
    const tiny = ringOf({ big: 1e20, small: 1 });
    assert.ok(tiny.pointCount <= MAX_POINTS + 1);
    assert.ok(shares(tiny, hashes).get('big')! > 0.99);
  });
});

describe('hashString', () => {
  test('is stable and spreads similar keys', () => {
    assert.equal(hashString('order-1'), hashString('order-1'));
    assert.notEqual(hashString('order-1'), hashString('order-2'));
    assert.notEqual(hashString(''), hashString('\u0000'));
    const ring = ringOf({ q1: 1, q2: 1, q3: 1, q4: 1 });
    const counts = new Map<string, number>();
    for (let i = 0; i < 10_000; i++) {
      const o = ring.lookup(hashString(`k${i}`))!;
      counts.set(o, (counts.get(o) ?? 0) + 1);
    }
    for (const [o, n] of counts) assert.ok(n > 1500 && n < 3500, `${o}: ${n}`);
  });
});

describe('binding keys', () => {
  test('weights are Erlang integers: optional sign, digits', () => {
    assert.equal(weightOf('1'), 1);
    assert.equal(weightOf('+3'), 3);
    assert.equal(weightOf('007'), 7);
    assert.equal(weightOf('99999999999999999999'), 1e20);
  });

  const rejects = (key: string, text: string) => {
    assert.throws(
      () => weightOf(key),
      (e: unknown) => e instanceof AmqpError && e.code === 406 && e.replyText === `PRECONDITION_FAILED - ${text}`,
      JSON.stringify(key),
    );
  };

  test('a weight below 1 is refused', () => {
    for (const k of ['0', '-1', '00', '-0', '+0']) rejects(k, 'The binding key must be greater than 0');
  });

  test('a key that is no integer is quoted as Erlang prints a binary', () => {
    const p = 'The binding key must be an integer: ';
    rejects('abc', `${p}<<"abc">>`);
    rejects('', `${p}<<>>`);
    rejects('1.5', `${p}<<"1.5">>`);
    rejects(' 1', `${p}<<" 1">>`);
    rejects('+', `${p}<<"+">>`);
    rejects('１', `${p}<<239,188,145>>`); // a full-width digit is no digit
    rejects('é', `${p}<<"é">>`);
    rejects('\u00a0', `${p}<<"\u00a0">>`);
    rejects('Ā', `${p}<<196,128>>`);
    rejects('a"b\\c', `${p}<<"a\\"b\\\\c">>`);
    rejects('a\rb\u000bc\bd\fe', `${p}<<"a\\rb\\vc\\bd\\fe">>`);
    rejects('ab\u0000', `${p}<<97,98,0>>`);
  });

  test('a long unprintable key breaks at column 80, indented under the <<', () => {
    const col = 'The binding key must be an integer: '.length;
    const ind = '\n' + ' '.repeat(col + 2);
    const ones = (n: number) => Array(n).fill('1').join(',');
    assert.equal(erlangPrettyBinary('\u0001'.repeat(20), col), `<<${ones(20)}>>`);
    assert.equal(erlangPrettyBinary('\u0001'.repeat(21), col), `<<${ones(21)}>>`);
    assert.equal(erlangPrettyBinary('\u0001'.repeat(22), col), `<<${ones(20)},${ind}${ones(2)}>>`);
    assert.equal(erlangPrettyBinary('\u0001'.repeat(60), col), `<<${ones(20)},${ind}${ones(20)},${ind}${ones(20)}>>`);
    assert.equal(erlangPrettyBinary('\u0001'.repeat(20) + '\u0010', col), `<<${ones(20)},${ind}16>>`);
    assert.equal(erlangPrettyBinary('\u0001'.repeat(19) + '\u0010\u0001', col), `<<${ones(19)},16,${ind}1>>`);
    assert.equal(erlangPrettyBinary('\u0001'.repeat(18) + '\u0010\u0001', col), `<<${ones(18)},16,1>>`);
    assert.equal(erlangPrettyBinary('\u007f'.repeat(10) + '\u0001', col), `<<${Array(10).fill(127).join(',')},1>>`);
    assert.equal(erlangPrettyBinary('ĀĀĀĀĀĀĀ', col), `<<${'196,128,'.repeat(5).slice(0, -1)},${ind}196,128,196,128>>`);
    // printable keys never break, however long
    assert.equal(erlangPrettyBinary('x'.repeat(120), col), `<<"${'x'.repeat(120)}">>`);
  });
});

describe('exchange arguments', () => {
  const check = (args: Record<string, unknown>) => () => validateConsistentHashArguments(tableOf(args as never));
  const fails = (args: Record<string, unknown>, code: number, replyText: string) =>
    assert.throws(check(args), (e: unknown) => e instanceof AmqpError && e.code === code && e.replyText === replyText);

  test('accepted: none, a header (even ""), one of the three properties', () => {
    for (const args of [{}, { 'hash-header': 'h' }, { 'hash-header': '' }, { 'hash-property': 'message_id' }, { 'hash-property': 'correlation_id' }, { 'hash-property': 'timestamp' }]) {
      check(args)();
    }
  });

  test('refused with RabbitMQ texts', () => {
    fails({ 'hash-header': 'h', 'hash-property': 'message_id' }, 406, 'PRECONDITION_FAILED - hash-header and hash-property are mutually exclusive');
    fails({ 'hash-property': 'app_id' }, 406, 'PRECONDITION_FAILED - Unsupported property: app_id');
    fails({ 'hash-property': '' }, 406, 'PRECONDITION_FAILED - Unsupported property: ');
  });

  test('a value that is not a string is the plugin crashing: a bare 541 INTERNAL_ERROR on the connection', () => {
    for (const args of [{ 'hash-header': 5 }, { 'hash-property': true }, { 'hash-header': 'h', 'hash-property': 1 }]) {
      assert.throws(check(args), (e: unknown) => e instanceof AmqpError && e.code === 541 && e.hard && e.replyText === 'INTERNAL_ERROR' && e.methodId === 0);
    }
  });

  test('the registry knows the type and checks only its arguments', () => {
    assert.ok(routerFor('x-consistent-hash') instanceof ConsistentHashRouter);
    assert.throws(() => validateExchangeArguments('x-consistent-hash', tableOf({ 'hash-property': 'nope' })), /Unsupported property/);
    validateExchangeArguments('direct', tableOf({ 'hash-property': 'nope' }));
    assert.throws(() => routerFor('constructor'), (e: unknown) => e instanceof AmqpError && e.code === 503);
  });
});

describe('ConsistentHashRouter', () => {
  const writer = new Writer(1024);
  const message = (routingKey: string, props: BasicProperties = {}) => {
    encodeBasicProperties(writer, props);
    return new Message('x', routingKey, Buffer.from(writer.take()), Buffer.alloc(0));
  };
  const queue = (name: string) => ({ kind: 'queue', name }) as unknown as Destination;

  function setup(args: Record<string, unknown> = {}) {
    const router = new ConsistentHashRouter();
    const x = new Exchange('/', 'x', 'x-consistent-hash', false, false, false, tableOf(args as never), router);
    const bind = (d: Destination, key: string) => {
      const b = new Binding(x, d, key, new Map());
      x.addBinding(b);
      return b;
    };
    const route = (msg: Message) => {
      const out: Binding[] = [];
      router.match(msg, msg.routingKey, out);
      assert.ok(out.length <= 1);
      return out[0]?.destination;
    };
    return { router, x, bind, route };
  }

  test('a message goes to one destination, the same for the same key', () => {
    const { bind, route } = setup();
    const qs = ['a', 'b', 'c'].map(queue);
    for (const q of qs) bind(q, '1');
    const seen = new Set<Destination>();
    for (let i = 0; i < 300; i++) {
      const d = route(message(`k${i}`))!;
      assert.equal(route(message(`k${i}`)), d);
      seen.add(d);
    }
    assert.equal(seen.size, 3);
  });

  test('a key that is no weight is refused before the binding exists', () => {
    const { x, bind, route } = setup();
    assert.throws(() => bind(queue('a'), 'abc'), /must be an integer/);
    assert.equal(x.bindings.length, 0);
    assert.equal(route(message('k')), undefined);
  });

  test('a destination bound twice keeps its first weight; removing either binding takes it off', () => {
    const { x, bind, route } = setup();
    const [a, b] = [queue('a'), queue('b')];
    const a1 = bind(a, '1');
    bind(b, '1');
    const before = Array.from({ length: 500 }, (_, i) => route(message(`k${i}`)));
    const a9 = bind(a, '9');
    assert.deepEqual(Array.from({ length: 500 }, (_, i) => route(message(`k${i}`))), before, 'the second binding adds no weight');
    x.removeBinding(a1);
    for (let i = 0; i < 200; i++) assert.equal(route(message(`k${i}`)), b);
    x.removeBinding(a9); // already off the ring: nothing changes
    for (let i = 0; i < 200; i++) assert.equal(route(message(`k${i}`)), b);
    bind(a, '1');
    assert.deepEqual(Array.from({ length: 500 }, (_, i) => route(message(`k${i}`))), before, 'back on with the same points');
  });

  test('hash-header: the header value decides; without it, one fixed destination', () => {
    const { bind, route } = setup({ 'hash-header': 'user' });
    for (const n of ['a', 'b', 'c', 'd']) bind(queue(n), '1');
    const seen = new Set<Destination>();
    for (let i = 0; i < 200; i++) {
      const d = route(message(`r${i}`, { headers: tableOf({ user: `u${i % 50}` }) }))!;
      assert.equal(route(message('other', { headers: tableOf({ user: `u${i % 50}` }) })), d);
      seen.add(d);
    }
    assert.equal(seen.size, 4);
    const absent = new Set([...Array(50).keys()].map((i) => route(message(`r${i}`, i % 2 ? {} : { headers: tableOf({ x: 1 }) }))));
    assert.equal(absent.size, 1);
  });

  test('hash-property: message_id and correlation_id hash like routing keys; timestamp as its decimal text', () => {
    const byKey = setup();
    const byId = setup({ 'hash-property': 'message_id' });
    const byCorr = setup({ 'hash-property': 'correlation_id' });
    const byTime = setup({ 'hash-property': 'timestamp' });
    const qs = ['a', 'b', 'c', 'd'].map(queue);
    for (const s of [byKey, byId, byCorr, byTime]) for (const q of qs) s.bind(q, '1');
    for (let i = 0; i < 200; i++) {
      const k = String(1_600_000_000 + i);
      const d = byKey.route(message(k));
      assert.equal(byId.route(message('x', { messageId: k })), d);
      assert.equal(byCorr.route(message('x', { correlationId: k })), d);
      assert.equal(byTime.route(message('x', { timestamp: Number(k) })), d);
    }
    const absent = new Set([...Array(50).keys()].map((i) => byId.route(message(`r${i}`, { correlationId: `c${i}` }))));
    assert.equal(absent.size, 1);
  });

  test('a large timestamp is hashed as its exact decimal text', () => {
    const byKey = setup();
    const byTime = setup({ 'hash-property': 'timestamp' });
    for (const q of ['a', 'b', 'c', 'd', 'e', 'f'].map(queue)) {
      byKey.bind(q, '1');
      byTime.bind(q, '1');
    }
    for (const t of [2 ** 53 + 2, 2 ** 60]) {
      assert.equal(byTime.route(message('x', { timestamp: t })), byKey.route(message(BigInt(t).toString())));
    }
  });
});
