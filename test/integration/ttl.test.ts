// Message TTL (x-message-ttl, the expiration property) and queue expiry (x-expires), pinned against
// RabbitMQ 3.10. Every test here passes against the reference RabbitMQ; docs/notes-rabbitmq-dlx-ttl.md
// lists the facts. Expired messages are watched arriving in a dead-letter queue instead of sleeping.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Channel, ChannelModel, ConfirmChannel, ConsumeMessage, GetMessage } from 'amqplib';
import { testBroker, uniqueName, type TestBroker } from '../helpers/broker.js';
import { AsyncQueue, closeQuietly, connect, openChannel, openConfirmChannel, within, sleep, exclusiveQueue } from '../helpers/amqp-expect.js';
import { expectChannelError, quoted } from '../helpers/amqp-errors.js';

let broker: TestBroker;
let conn: ChannelModel;
/** non-exclusive queues, deleted in after() (deleting one that expired is fine) */
const sharedQueues = new Set<string>();

before(async () => {
  broker = await testBroker();
  conn = await connect(broker.url);
});

after(async () => {
  if (conn) {
    const ch = await openChannel(conn);
    for (const q of sharedQueues) await ch.deleteQueue(q).catch(() => {});
    await closeQuietly(conn);
  }
  await broker?.close();
});



const queue = exclusiveQueue;

async function sharedQueue(ch: Channel, prefix: string, args: Record<string, unknown> = {}): Promise<string> {
  const name = uniqueName(prefix);
  sharedQueues.add(name);
  await ch.assertQueue(name, { durable: false, arguments: args });
  return name;
}

const toQueue = (target: string) => ({ 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': target });

/** A DLQ with a no-ack consumer on it, and a source queue with `args` that dead-letters into it. */
async function withDlq(ch: Channel, prefix: string, args: Record<string, unknown>) {
  const dlq = await queue(ch, `${prefix}.dlq`);
  const src = await queue(ch, `${prefix}.src`, { ...args, ...toQueue(dlq) });
  const dead = new AsyncQueue<ConsumeMessage>();
  await ch.consume(dlq, (m) => {
    if (m) dead.push(m);
  }, { noAck: true });
  return { src, dlq, dead };
}

async function ready(ch: Channel, q: string): Promise<number> {
  return (await ch.checkQueue(q)).messageCount;
}

async function getEventually(ch: Channel, q: string, ms = 2000): Promise<GetMessage> {
  const deadline = Date.now() + ms;
  for (;;) {
    const m = await ch.get(q, { noAck: false });
    if (m) return m;
    if (Date.now() > deadline) throw new Error(`no message in ${q} within ${ms} ms`);
    await sleep(10);
  }
}

async function publishConfirmed(ch: ConfirmChannel, q: string, body: string, opts: object = {}): Promise<void> {
  ch.sendToQueue(q, Buffer.from(body), opts);
  await ch.waitForConfirms();
}

function deaths(m: ConsumeMessage | GetMessage): Array<Record<string, unknown>> {
  const xd = m.properties.headers?.['x-death'];
  assert.ok(Array.isArray(xd), `x-death should be an array, headers: ${JSON.stringify(m.properties.headers)}`);
  return xd as unknown as Array<Record<string, unknown>>;
}

/** x-death of a message that died once, without its time */
function onlyDeath(m: ConsumeMessage): Record<string, unknown> {
  const xd = deaths(m);
  assert.equal(xd.length, 1);
  const { time, ...rest } = xd[0]!;
  assert.equal((time as { '!': string })['!'], 'timestamp');
  return rest;
}

const bodies = (ms: ConsumeMessage[]) => ms.map((m) => m.content.toString());

/**
 * Whether q exists, asked without "using" it (a passive declare would count as use and renew x-expires):
 * a mandatory publish through the default exchange is returned only when q is gone. RabbitMQ sends
 * basic.return before the confirm, so the confirm is a barrier.
 */
async function queueExists(q: string): Promise<boolean> {
  const ch = await openConfirmChannel(conn);
  let returned = false;
  ch.on('return', () => {
    returned = true;
  });
  ch.publish('', q, Buffer.from('probe'), { mandatory: true });
  await ch.waitForConfirms();
  await ch.close();
  return !returned;
}

/** ms from `since` until q is gone (polled), failing after `ms` */
async function goneAfter(q: string, since: number, ms = 2000): Promise<number> {
  const deadline = Date.now() + ms;
  while (await queueExists(q)) {
    if (Date.now() > deadline) throw new Error(`queue ${q} still exists after ${ms} ms`);
    await sleep(10);
  }
  return Date.now() - since;
}

// ---------------------------------------------------------------------------------------------

describe('per-queue message TTL (x-message-ttl)', () => {
  test('a message not consumed within x-message-ttl is dead-lettered with reason "expired"', async () => {
    const ch = await openConfirmChannel(conn);
    const { src, dlq, dead } = await withDlq(ch, 'ttl.q', { 'x-message-ttl': 100 });
    const rk = uniqueName('ttl.q.rk');
    await ch.bindQueue(src, 'amq.direct', rk);
    const started = Date.now();
    ch.publish('amq.direct', rk, Buffer.from('late'), { messageId: 'm-1' });
    await ch.waitForConfirms();
    const d = await within(dead.next(), 2000, 'expired message');
    assert.ok(Date.now() - started >= 95, `expired after ${Date.now() - started} ms, TTL 100`);
    assert.equal(d.content.toString(), 'late');
    assert.equal(d.fields.exchange, '');
    assert.equal(d.fields.routingKey, dlq, 'x-dead-letter-routing-key');
    assert.deepEqual(onlyDeath(d), { count: 1, reason: 'expired', queue: src, exchange: 'amq.direct', 'routing-keys': [rk] });
    const h = d.properties.headers ?? {};
    assert.deepEqual([h['x-first-death-queue'], h['x-first-death-reason'], h['x-first-death-exchange']], [src, 'expired', 'amq.direct']);
    assert.equal(d.properties.messageId, 'm-1');
    assert.equal(d.properties.expiration, undefined);
    assert.equal(await ready(ch, src), 0);
    await ch.close();
  });

  test('expired messages are dead-lettered in queue order', async () => {
    const ch = await openConfirmChannel(conn);
    const { src, dead } = await withDlq(ch, 'ttl.order', { 'x-message-ttl': 80 });
    for (const b of ['m1', 'm2', 'm3']) ch.sendToQueue(src, Buffer.from(b));
    await ch.waitForConfirms();
    assert.deepEqual(bodies(await within(dead.take(3), 2000, 'three expired messages')), ['m1', 'm2', 'm3']);
    await ch.close();
  });

  test('without a dead-letter exchange an expired message is discarded', async () => {
    const ch = await openConfirmChannel(conn);
    const q = await queue(ch, 'ttl.discard', { 'x-message-ttl': 50 });
    await publishConfirmed(ch, q, 'gone');
    const deadline = Date.now() + 2000;
    while ((await ready(ch, q)) > 0) {
      assert.ok(Date.now() < deadline, 'the message should expire');
      await sleep(20);
    }
    assert.equal(await ch.get(q), false);
    await ch.close();
  });

  test('a message consumed before it expires is delivered normally, keeping its expiration property', async () => {
    const ch = await openConfirmChannel(conn);
    const { src, dead } = await withDlq(ch, 'ttl.live', { 'x-message-ttl': 100 });
    const got = new AsyncQueue<ConsumeMessage>();
    await ch.consume(src, (m) => {
      if (m) got.push(m);
    }, { noAck: true });
    await publishConfirmed(ch, src, 'fresh', { expiration: '5000' });
    const m = await within(got.next(), 2000, 'delivery');
    assert.equal(m.properties.expiration, '5000');
    assert.equal(m.properties.headers?.['x-death'], undefined);
    assert.equal(m.fields.redelivered, false);
    await sleep(200);
    assert.equal(dead.all.length, 0);
    await ch.close();
  });

  test('an unacked message does not expire, but is dead-lettered at once when requeued after its TTL', async () => {
    const ch = await openConfirmChannel(conn);
    const { src, dead } = await withDlq(ch, 'ttl.unacked', { 'x-message-ttl': 150 });
    await publishConfirmed(ch, src, 'held');
    const worker = await openChannel(conn);
    const m = await getEventually(worker, src);
    await sleep(300);
    assert.equal(dead.all.length, 0, 'not expired while unacked');
    worker.reject(m, true);
    const d = await within(dead.next(), 1000, 'expired message after requeue');
    assert.equal(d.content.toString(), 'held');
    assert.equal(onlyDeath(d).reason, 'expired');
    assert.equal(await ready(ch, src), 0);
    await worker.close();
    await ch.close();
  });

  test('x-message-ttl 0: expires at once unless a consumer can take it immediately', async () => {
    const ch = await openConfirmChannel(conn);
    const { src, dead } = await withDlq(ch, 'ttl.zero', { 'x-message-ttl': 0 });
    await publishConfirmed(ch, src, 'z1');
    const d = await within(dead.next(), 1000, 'expired message');
    assert.equal(d.content.toString(), 'z1');
    assert.equal(onlyDeath(d).reason, 'expired');
    // a consumer with room gets the next one; a message it has no room for expires
    const worker = await openChannel(conn);
    await worker.prefetch(1);
    const got = new AsyncQueue<ConsumeMessage>();
    await worker.consume(src, (m) => {
      if (m) got.push(m);
    });
    ch.sendToQueue(src, Buffer.from('z2'));
    ch.sendToQueue(src, Buffer.from('z3'));
    await ch.waitForConfirms();
    const delivered = await within(got.next(), 1000, 'delivery');
    assert.equal(delivered.content.toString(), 'z2');
    assert.equal((await within(dead.next(), 1000, 'expired message')).content.toString(), 'z3');
    // requeued, z2 is already past its TTL: dead-lettered rather than redelivered
    worker.reject(delivered, true);
    assert.equal((await within(dead.next(), 1000, 'expired message')).content.toString(), 'z2');
    await sleep(50);
    assert.equal(got.all.length, 1);
    await worker.close();
    await ch.close();
  });
});

describe('per-message TTL (expiration property)', () => {
  test('an expired message is dead-lettered with reason "expired"; expiration becomes original-expiration', async () => {
    const ch = await openConfirmChannel(conn);
    const { src, dead } = await withDlq(ch, 'ttl.msg', {});
    const started = Date.now();
    await publishConfirmed(ch, src, 'short', { expiration: '100', persistent: true });
    const d = await within(dead.next(), 2000, 'expired message');
    assert.ok(Date.now() - started >= 95, `expired after ${Date.now() - started} ms, expiration 100`);
    assert.deepEqual(onlyDeath(d), {
      count: 1, reason: 'expired', queue: src, exchange: '', 'routing-keys': [src], 'original-expiration': '100',
    });
    assert.equal(d.properties.expiration, undefined, 'the dead-lettered copy has no expiration');
    assert.equal(d.properties.deliveryMode, 2);
    await ch.close();
  });

  test('the lower of x-message-ttl and expiration applies', async () => {
    const ch = await openConfirmChannel(conn);
    const queueLower = await withDlq(ch, 'ttl.lowq', { 'x-message-ttl': 100 });
    const messageLower = await withDlq(ch, 'ttl.lowm', { 'x-message-ttl': 60_000 });
    await publishConfirmed(ch, queueLower.src, 'a', { expiration: '60000' });
    await publishConfirmed(ch, messageLower.src, 'b', { expiration: '100' });
    const [a, b] = await within(Promise.all([queueLower.dead.next(), messageLower.dead.next()]), 2000, 'expired messages');
    assert.equal(onlyDeath(a!)['original-expiration'], '60000', 'original-expiration is the property, not the TTL used');
    assert.equal(onlyDeath(b!)['original-expiration'], '100');
    assert.equal(onlyDeath(a!).reason, 'expired');
    await ch.close();
  });

  test('only the head expires: an expired message behind a live one stays until it reaches the head', async () => {
    const ch = await openConfirmChannel(conn);
    const { src, dead } = await withDlq(ch, 'ttl.head', {});
    await publishConfirmed(ch, src, 'm1');
    await publishConfirmed(ch, src, 'm2', { expiration: '50' });
    await sleep(200);
    assert.equal(dead.all.length, 0);
    assert.equal(await ready(ch, src), 2, 'the expired m2 is still counted');
    const m1 = await getEventually(ch, src);
    assert.equal(m1.content.toString(), 'm1');
    // m2 is now at the head and past its expiry: dead-lettered right away (m1 is merely unacked)
    const d = await within(dead.next(), 500, 'expired m2');
    assert.equal(d.content.toString(), 'm2');
    assert.equal(await ready(ch, src), 0);
    ch.ack(m1);
    await ch.close();
  });

  test('a longer expiration at the head holds back a shorter one behind it', async () => {
    const ch = await openConfirmChannel(conn);
    const { src, dead } = await withDlq(ch, 'ttl.held', {});
    const started = Date.now();
    ch.sendToQueue(src, Buffer.from('long'), { expiration: '400' });
    ch.sendToQueue(src, Buffer.from('short'), { expiration: '50' });
    await ch.waitForConfirms();
    await sleep(200);
    assert.equal(dead.all.length, 0, 'short expired long ago but is not at the head');
    const both = await within(dead.take(2), 2000, 'both expired messages');
    assert.deepEqual(bodies(both), ['long', 'short']);
    assert.ok(Date.now() - started >= 395);
    await ch.close();
  });

  test('expiration "0": expires at once without a consumer, is delivered to a ready consumer', async () => {
    const ch = await openConfirmChannel(conn);
    const { src, dead } = await withDlq(ch, 'ttl.exp0', {});
    await publishConfirmed(ch, src, 'nobody', { expiration: '0' });
    const d = await within(dead.next(), 1000, 'expired message');
    assert.equal(d.content.toString(), 'nobody');
    assert.equal(onlyDeath(d)['original-expiration'], '0');
    assert.equal(await ready(ch, src), 0);
    const got = new AsyncQueue<ConsumeMessage>();
    await ch.consume(src, (m) => {
      if (m) got.push(m);
    }, { noAck: true });
    await publishConfirmed(ch, src, 'somebody', { expiration: '0' });
    const m = await within(got.next(), 1000, 'delivery');
    assert.equal(m.content.toString(), 'somebody');
    assert.equal(m.properties.expiration, '0');
    await sleep(50);
    assert.equal(dead.all.length, 1);
    await ch.close();
  });

  test('expiration strings RabbitMQ accepts: leading "+" and zeros, up to 315360000000', async () => {
    const ch = await openConfirmChannel(conn);
    const { src, dead } = await withDlq(ch, 'ttl.accepted', {});
    await publishConfirmed(ch, src, 'zero', { expiration: '00' }); // = 0: expires at once
    assert.equal((await within(dead.next(), 1000, 'expired message')).content.toString(), 'zero');
    await publishConfirmed(ch, src, 'plus', { expiration: '+60000' });
    await publishConfirmed(ch, src, 'max', { expiration: '315360000000' });
    await publishConfirmed(ch, src, 'big', { expiration: '4294967296' });
    assert.equal(await ready(ch, src), 3);
    const m = await getEventually(ch, src);
    assert.equal(m.properties.expiration, '+60000', 'the property is passed on as sent');
    await ch.close();
  });

  const invalid: Array<[string, string]> = [
    ['abc', 'no_integer'],
    ['', 'no_integer'],
    [' 1', 'no_integer'],
    ['-1', '{value_negative,-1}'],
    ['1.5', '{leftover_string,".5"}'],
    ['1 ', '{leftover_string," "}'],
    ['0x10', '{leftover_string,"x10"}'],
    ['315360000001', '{value_too_large,315360000001}'],
  ];
  for (const [expiration, reason] of invalid) {
    test(`publishing with expiration ${JSON.stringify(expiration)} is a 406 channel error: ${reason}`, async () => {
      const q = await sharedQueue(await openChannel(conn), 'ttl.invalid');
      const text = new RegExp(`^${literal(`PRECONDITION_FAILED - invalid expiration '${expiration}': ${reason}`)}$`);
      await expectChannelError(conn, (ch) => ch.sendToQueue(q, Buffer.from('x'), { expiration }), 406, text, {
        method: 'basic.publish',
      });
      const ch = await openChannel(conn);
      assert.equal(await ready(ch, q), 0, 'the message was not enqueued');
      await ch.close();
    });
  }

  test('the reason is printed like Erlang ~p: a long one breaks after the comma, indented under the term', async () => {
    // "{value_too_large,N}" fits on the line while (chars before it) + (its length) <= 78; otherwise the
    // second element goes on a new line indented to one past the "{" column.
    const q = await sharedQueue(await openChannel(conn), 'ttl.invalid.wrap');
    const fits = '999999999999999999'; // 41 + 36 = 77
    const wraps = '1000000000000000000'; // 42 + 37 = 79
    await expectChannelError(conn, (ch) => ch.sendToQueue(q, Buffer.from('x'), { expiration: fits }), 406,
      new RegExp(`^${literal(`PRECONDITION_FAILED - invalid expiration '${fits}': {value_too_large,${fits}}`)}$`));
    const prefix = `invalid expiration '${wraps}': `;
    await expectChannelError(conn, (ch) => ch.sendToQueue(q, Buffer.from('x'), { expiration: wraps }), 406,
      new RegExp(`^${literal(`PRECONDITION_FAILED - ${prefix}{value_too_large,\n${' '.repeat(prefix.length + 1)}${wraps}}`)}$`));
  });
});

describe('queue expiry (x-expires)', () => {
  test('an unused queue is deleted after x-expires, messages included (not dead-lettered)', async () => {
    const ch = await openConfirmChannel(conn);
    const dlq = await queue(ch, 'ttl.expires.dlq');
    const started = Date.now();
    const q = await sharedQueue(ch, 'ttl.expires', { 'x-expires': 200, ...toQueue(dlq) });
    await publishConfirmed(ch, q, 'left behind');
    const elapsed = await goneAfter(q, started);
    assert.ok(elapsed >= 190 && elapsed < 1500, `deleted after ${elapsed} ms, x-expires 200`);
    await expectChannelError(conn, (c) => c.checkQueue(q), 404, new RegExp(`^NOT_FOUND - no queue ${quoted(q)} in vhost '/'$`), {
      method: 'queue.declare',
    });
    assert.equal(await ready(ch, dlq), 0);
    await ch.close();
  });

  test('a consumer keeps the queue alive; it expires x-expires after the consumer is cancelled', async () => {
    const ch = await openConfirmChannel(conn);
    const q = await sharedQueue(ch, 'ttl.expires.consumer', { 'x-expires': 200 });
    const { consumerTag } = await ch.consume(q, () => {}, { noAck: true });
    await sleep(400);
    assert.equal(await queueExists(q), true);
    const cancelled = Date.now();
    await ch.cancel(consumerTag);
    const elapsed = await goneAfter(q, cancelled);
    assert.ok(elapsed >= 190 && elapsed < 1500, `deleted ${elapsed} ms after the cancel, x-expires 200`);
    await ch.close();
  });

  test('the expiry starts when the last consumer goes with its channel', async () => {
    const ch = await openConfirmChannel(conn);
    const q = await sharedQueue(ch, 'ttl.expires.chclose', { 'x-expires': 200 });
    const worker = await openChannel(conn);
    await worker.consume(q, () => {});
    await sleep(300);
    assert.equal(await queueExists(q), true);
    const closed = Date.now();
    await worker.close();
    const elapsed = await goneAfter(q, closed);
    assert.ok(elapsed >= 190 && elapsed < 1500, `deleted ${elapsed} ms after the channel closed`);
    await ch.close();
  });

  test('basic.get, queue.declare and passive queue.declare count as use; publishing and purging do not', async () => {
    const ch = await openConfirmChannel(conn);
    const args = { 'x-expires': 250 };
    const viaGet = await sharedQueue(ch, 'ttl.use.get', args);
    const viaDeclare = await sharedQueue(ch, 'ttl.use.declare', args);
    const viaPassive = await sharedQueue(ch, 'ttl.use.passive', args);
    const viaPublish = await sharedQueue(ch, 'ttl.use.publish', args);
    const viaPurge = await sharedQueue(ch, 'ttl.use.purge', args);
    const started = Date.now();
    const user = await openConfirmChannel(conn);
    // purging a queue that has expired is a 404 that closes the channel: purge on a channel of its own
    const purger = await openChannel(conn);
    let purging = true;
    const stopAt = started + 650;
    while (Date.now() < stopAt) {
      await user.get(viaGet, { noAck: true });
      await user.assertQueue(viaDeclare, { durable: false, arguments: args });
      await user.checkQueue(viaPassive);
      user.sendToQueue(viaPublish, Buffer.from('x'));
      await user.waitForConfirms();
      if (purging) await purger.purgeQueue(viaPurge).catch(() => (purging = false));
      await sleep(50);
    }
    assert.equal(purging, false, 'the purged queue expired while being purged');
    await user.close();
    assert.equal(await queueExists(viaGet), true, 'basic.get renews the lease');
    assert.equal(await queueExists(viaDeclare), true, 'queue.declare renews the lease');
    assert.equal(await queueExists(viaPassive), true, 'a passive queue.declare renews the lease');
    assert.equal(await queueExists(viaPublish), false, 'publishing does not');
    assert.equal(await queueExists(viaPurge), false, 'purging does not');
    // left alone, the kept ones expire too
    const idle = Date.now();
    for (const q of [viaGet, viaDeclare, viaPassive]) await goneAfter(q, idle);
    await ch.close();
  });
});

describe('TTL and expiry argument validation', () => {
  const cases: Array<[string, string, unknown, string]> = [
    ['negative x-message-ttl', 'x-message-ttl', -1, '{value_negative,-1}'],
    ['x-message-ttl as a string', 'x-message-ttl', '100', '"expected integer, got longstr"'],
    ['x-message-ttl as a double', 'x-message-ttl', 1.5, '"expected integer, got double"'],
    ['x-message-ttl as a bool', 'x-message-ttl', true, '"expected integer, got bool"'],
    ['x-message-ttl as a timestamp', 'x-message-ttl', { '!': 'timestamp', value: 100 }, '"expected integer, got timestamp"'],
    ['x-message-ttl above 315360000000', 'x-message-ttl', 315_360_000_001, '{value_too_large,315360000001}'],
    ['zero x-expires', 'x-expires', 0, '{value_zero,0}'],
    ['negative x-expires', 'x-expires', -1, '{value_negative,-1}'],
    ['x-expires as a string', 'x-expires', '100', '"expected integer, got longstr"'],
    ['x-expires as a double', 'x-expires', 1.5, '"expected integer, got double"'],
    ['x-expires above 315360000000', 'x-expires', 315_360_000_001, '{value_too_large,315360000001}'],
  ];
  for (const [title, arg, value, reason] of cases) {
    test(`${title} is a 406 channel error`, async () => {
      const q = uniqueName('ttl.args');
      await expectChannelError(
        conn,
        (ch) => ch.assertQueue(q, { exclusive: true, arguments: { [arg]: value } }),
        406,
        new RegExp(`^${literal(`PRECONDITION_FAILED - invalid arg '${arg}' for queue '${q}' in vhost '/': ${reason}`)}$`),
        { method: 'queue.declare' },
      );
    });
  }

  test('accepted values: x-message-ttl 0 and 315360000000, any integer type; x-expires 1 and 315360000000', async () => {
    const ch = await openChannel(conn);
    for (const args of [
      { 'x-message-ttl': 0 },
      { 'x-message-ttl': 315_360_000_000 },
      { 'x-message-ttl': { '!': 'long', value: 1000 } },
      { 'x-message-ttl': { '!': 'unsignedshort', value: 1000 } },
      { 'x-expires': 1000 },
      { 'x-expires': 315_360_000_000 },
    ]) {
      const q = uniqueName('ttl.args.ok');
      await ch.assertQueue(q, { exclusive: true, arguments: args });
      await ch.deleteQueue(q);
    }
    // x-expires 1 (a queue that expires almost at once)
    const q = uniqueName('ttl.args.one');
    sharedQueues.add(q);
    await ch.assertQueue(q, { durable: false, arguments: { 'x-expires': 1 } });
    await goneAfter(q, Date.now());
    await ch.close();
  });
});

function literal(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
