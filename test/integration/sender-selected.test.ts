// Sender-selected distribution: the CC and BCC message headers, pinned to RabbitMQ 3.10.
// See docs/notes-rabbitmq-consumers.md for the facts these tests encode.
//
// A message whose headers hold CC and/or BCC (arrays of longstr) is routed by the exchange as if it
// had also been published with each of those routing keys. BCC is taken out of the headers before the
// message is stored; CC stays.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ChannelModel, ConfirmChannel, GetMessage, Message, Options } from 'amqplib';
import { testBroker, uniqueName, type TestBroker } from '../helpers/broker.js';
import { AsyncQueue, closeQuietly, connect, openConfirmChannel } from '../helpers/amqp-expect.js';
import { expectChannelError, quoted } from '../helpers/amqp-errors.js';
import { M, RawClient, Reader, decodeTableTyped } from '../helpers/raw-amqp.js';

/** A test waiting for a delivery that never comes fails after this instead of hanging the whole file. */
const LIMIT = { timeout: 10_000 };

let broker: TestBroker;
let conn: ChannelModel;
let pub: ConfirmChannel;
let returns: AsyncQueue<Message>;
/** a direct exchange with queues bound as a, b, c, d */
let x: string;
const q: Record<'a' | 'b' | 'c' | 'd', string> = { a: '', b: '', c: '', d: '' };
const KEYS = ['a', 'b', 'c', 'd'] as const;

before(async () => {
  broker = await testBroker();
  conn = await connect(broker.url);
  pub = await openConfirmChannel(conn);
  returns = new AsyncQueue<Message>();
  pub.on('return', (m: Message) => returns.push(m));
  x = uniqueName('ssd.direct');
  await pub.assertExchange(x, 'direct', { durable: false, autoDelete: true });
  for (const k of KEYS) {
    q[k] = uniqueName(`ssd.${k}`);
    await pub.assertQueue(q[k], { exclusive: true });
    await pub.bindQueue(q[k], x, k);
  }
});

after(async () => {
  await closeQuietly(conn);
  await broker.close();
});

async function getAll(queue: string): Promise<GetMessage[]> {
  const out: GetMessage[] = [];
  for (;;) {
    const m = await pub.get(queue, { noAck: true });
    if (m === false) return out;
    out.push(m);
  }
}

/** Publishes to x with confirms, then reports what each bound queue holds: [body, routing key, headers]. */
async function route(routingKey: string, headers: Record<string, unknown>, opts: Options.Publish = {}) {
  pub.publish(x, routingKey, Buffer.from('msg'), { ...opts, headers });
  await pub.waitForConfirms();
  const out: Record<string, Array<[string, string, unknown]>> = {};
  for (const k of KEYS) {
    out[k] = (await getAll(q[k])).map((m) => [m.content.toString(), m.fields.routingKey, m.properties.headers]);
  }
  return out;
}

describe('CC', () => {
  test('CC routes the message also by each listed key; every copy keeps the published routing key and the CC header', LIMIT, async () => {
    assert.deepEqual(await route('a', { CC: ['b', 'c'] }), {
      a: [['msg', 'a', { CC: ['b', 'c'] }]],
      b: [['msg', 'a', { CC: ['b', 'c'] }]],
      c: [['msg', 'a', { CC: ['b', 'c'] }]],
      d: [],
    });
  });

  test('a queue reached by several keys gets one copy', LIMIT, async () => {
    assert.deepEqual(await route('a', { CC: ['a', 'a', 'b'] }), {
      a: [['msg', 'a', { CC: ['a', 'a', 'b'] }]],
      b: [['msg', 'a', { CC: ['a', 'a', 'b'] }]],
      c: [],
      d: [],
    });
  });

  test('an empty CC array routes by the routing key only', LIMIT, async () => {
    assert.deepEqual(await route('a', { CC: [] }), { a: [['msg', 'a', { CC: [] }]], b: [], c: [], d: [] });
  });

  test('array elements that are not strings are ignored', LIMIT, async () => {
    assert.deepEqual(await route('a', { CC: ['b', 5, 'c'] }), {
      a: [['msg', 'a', { CC: ['b', 5, 'c'] }]],
      b: [['msg', 'a', { CC: ['b', 5, 'c'] }]],
      c: [['msg', 'a', { CC: ['b', 5, 'c'] }]],
      d: [],
    });
    const r = await route('a', { CC: [Buffer.from('b'), 1] });
    assert.equal(r['a']!.length, 1);
    assert.deepEqual([r['b'], r['c'], r['d']], [[], [], []]);
  });

  test('the header name is case-sensitive: "cc" is an ordinary header', LIMIT, async () => {
    assert.deepEqual(await route('a', { cc: ['b'], Bcc: ['c'] }), {
      a: [['msg', 'a', { cc: ['b'], Bcc: ['c'] }]],
      b: [],
      c: [],
      d: [],
    });
  });
});

describe('BCC', () => {
  test('BCC routes like CC but is removed from the headers every copy carries', LIMIT, async () => {
    assert.deepEqual(await route('a', { BCC: ['b'] }), {
      a: [['msg', 'a', {}]],
      b: [['msg', 'a', {}]],
      c: [],
      d: [],
    });
  });

  test('CC and BCC together: both route, CC and the other headers stay, BCC goes', LIMIT, async () => {
    const h = { CC: ['b'], other: 1 };
    assert.deepEqual(await route('a', { CC: ['b'], BCC: ['c'], other: 1 }), {
      a: [['msg', 'a', h]],
      b: [['msg', 'a', h]],
      c: [['msg', 'a', h]],
      d: [],
    });
  });

  test('BCC is removed even when none of its elements is a string', LIMIT, async () => {
    assert.deepEqual(await route('a', { BCC: [5], keep: 'yes' }), {
      a: [['msg', 'a', { keep: 'yes' }]],
      b: [],
      c: [],
      d: [],
    });
  });

  test('on the wire, a message that had only BCC still has a headers property: an empty table', LIMIT, async () => {
    const target = uniqueName('ssd.wire');
    const other = uniqueName('ssd.wire2');
    await pub.assertQueue(target, { exclusive: false, durable: false });
    await pub.assertQueue(other, { exclusive: false, durable: false });
    try {
      pub.sendToQueue(target, Buffer.from('bcc-only'), { headers: { BCC: [other] } });
      pub.sendToQueue(target, Buffer.from('cc'), { headers: { CC: [other] } });
      await pub.waitForConfirms();
      const raw = await RawClient.connect(broker.url);
      try {
        await raw.handshake();
        await raw.openChannel(1);
        for (const [queue, expected] of [
          [target, 'bcc-only'],
          [other, 'bcc-only'],
          [target, 'cc'],
          [other, 'cc'],
        ] as const) {
          await raw.write(M.basicGet(1, queue, true));
          await raw.expectMethod(60, 71);
          const h = await raw.nextFrame();
          const r = new Reader(h.payload);
          r.short();
          r.short();
          r.longlong();
          const flags = r.short();
          assert.equal(flags, 1 << 13, 'only the headers property is present');
          const headers = decodeTableTyped(r.longstr());
          const content = (await raw.nextFrame()).payload.toString();
          assert.equal(content, expected);
          if (expected === 'bcc-only') assert.deepEqual(headers, {});
          else assert.deepEqual(headers, { CC: { type: 'A', value: [{ type: 'S', value: other }] } });
        }
      } finally {
        await raw.close().catch(() => raw.destroy());
      }
    } finally {
      await pub.deleteQueue(target);
      await pub.deleteQueue(other);
    }
  });
});

describe('CC / BCC and mandatory', () => {
  test('a message routed only through CC or BCC is not returned', LIMIT, async () => {
    const before = returns.all.length;
    assert.deepEqual(await route('nowhere', { CC: ['b'] }, { mandatory: true }), {
      a: [],
      b: [['msg', 'nowhere', { CC: ['b'] }]],
      c: [],
      d: [],
    });
    assert.deepEqual(await route('nowhere', { BCC: ['d'] }, { mandatory: true }), {
      a: [],
      b: [],
      c: [],
      d: [['msg', 'nowhere', {}]],
    });
    assert.equal(returns.all.length, before);
  });

  test('when no key routes, the message is returned 312 NO_ROUTE: with CC still in its headers, without BCC', LIMIT, async () => {
    const before = returns.all.length;
    await route('nowhere', { CC: ['nothing'] }, { mandatory: true });
    await route('nowhere', { BCC: ['nothing'], keep: 1 }, { mandatory: true });
    assert.equal(returns.all.length, before + 2);
    const [r1, r2] = await returns.take(2);
    assert.deepEqual(r1!.fields, { replyCode: 312, replyText: 'NO_ROUTE', exchange: x, routingKey: 'nowhere' });
    assert.deepEqual(r1!.properties.headers, { CC: ['nothing'] });
    assert.deepEqual(r2!.fields, { replyCode: 312, replyText: 'NO_ROUTE', exchange: x, routingKey: 'nowhere' });
    assert.deepEqual(r2!.properties.headers, { keep: 1 });
  });
});

describe('CC / BCC with other exchange types', () => {
  test('default exchange: CC names further queues', LIMIT, async () => {
    const q1 = uniqueName('ssd.default1');
    const q2 = uniqueName('ssd.default2');
    await pub.assertQueue(q1, { exclusive: true });
    await pub.assertQueue(q2, { exclusive: true });
    pub.sendToQueue(q1, Buffer.from('d'), { headers: { CC: [q2] } });
    await pub.waitForConfirms();
    const [m1] = await getAll(q1);
    const [m2] = await getAll(q2);
    assert.ok(m1 && m2);
    assert.equal(m2.fields.routingKey, q1);
    assert.equal(m2.fields.exchange, '');
    assert.deepEqual(m2.properties.headers, { CC: [q2] });
  });

  test('topic exchange: CC keys are matched against the binding patterns', LIMIT, async () => {
    const tx = uniqueName('ssd.topic');
    const q1 = uniqueName('ssd.topic1');
    const q2 = uniqueName('ssd.topic2');
    await pub.assertExchange(tx, 'topic', { durable: false, autoDelete: true });
    await pub.assertQueue(q1, { exclusive: true });
    await pub.assertQueue(q2, { exclusive: true });
    await pub.bindQueue(q1, tx, 'x.*');
    await pub.bindQueue(q2, tx, 'y.#');
    pub.publish(tx, 'x.1', Buffer.from('t'), { headers: { BCC: ['y.a.b'] } });
    await pub.waitForConfirms();
    const got1 = await getAll(q1);
    const got2 = await getAll(q2);
    assert.deepEqual(got1.map((m) => m.fields.routingKey), ['x.1']);
    assert.deepEqual(got2.map((m) => [m.fields.routingKey, m.properties.headers]), [['x.1', {}]]);
  });

  test('fanout exchange: still one copy per queue', LIMIT, async () => {
    const fx = uniqueName('ssd.fanout');
    const q1 = uniqueName('ssd.fanout1');
    await pub.assertExchange(fx, 'fanout', { durable: false, autoDelete: true });
    await pub.assertQueue(q1, { exclusive: true });
    await pub.bindQueue(q1, fx, '');
    pub.publish(fx, 'k', Buffer.from('f'), { headers: { CC: ['z', 'k'] } });
    await pub.waitForConfirms();
    assert.equal((await getAll(q1)).length, 1);
  });
});

describe('CC / BCC of the wrong type', () => {
  const cases: Array<[string, string, unknown, string]> = [
    ['CC', 'a string', 'b', 'longstr'],
    ['BCC', 'a string', 'b', 'longstr'],
    ['CC', 'a number', 5, 'byte'],
    ['CC', 'a table', { x: 'b' }, 'table'],
    ['CC', 'void', null, 'void'],
  ];
  for (const [header, what, value, type] of cases) {
    test(`${header} as ${what} is a 406 channel error on basic.publish; nothing is routed`, LIMIT, async () => {
      await expectChannelError(
        conn,
        (ch) => {
          ch.publish(x, 'a', Buffer.from('bad'), { headers: { [header]: value } });
        },
        406,
        new RegExp(`^PRECONDITION_FAILED - invalid message: \\{unacceptable_type_in_header,"${header}",${type}\\}$`),
        { method: 'basic.publish' },
      );
      for (const k of KEYS) assert.deepEqual(await getAll(q[k]), []);
    });
  }

  test('the headers are checked whatever the exchange type (fanout, headers) and even when nothing would route', LIMIT, async () => {
    for (const [exchange, key] of [['amq.fanout', 'k'], ['amq.headers', 'k'], ['amq.direct', uniqueName('nobody')]]) {
      await expectChannelError(
        conn,
        (ch) => {
          ch.publish(exchange!, key!, Buffer.from('bad'), { headers: { CC: 'b' } });
        },
        406,
        /^PRECONDITION_FAILED - invalid message: \{unacceptable_type_in_header,"CC",longstr\}$/,
      );
    }
  });

  test('CC is checked before BCC', LIMIT, async () => {
    await expectChannelError(
      conn,
      (ch) => {
        ch.publish(x, 'a', Buffer.from('bad'), { headers: { BCC: 1, CC: 'b' } });
      },
      406,
      /^PRECONDITION_FAILED - invalid message: \{unacceptable_type_in_header,"CC",longstr\}$/,
    );
  });

  test('a missing exchange is reported first (404)', LIMIT, async () => {
    const missing = uniqueName('ssd.missing');
    await expectChannelError(
      conn,
      (ch) => {
        ch.publish(missing, 'a', Buffer.from('bad'), { headers: { CC: 'b' } });
      },
      404,
      new RegExp(`^NOT_FOUND - no exchange ${quoted(missing)} in vhost '/'$`),
    );
  });
});
