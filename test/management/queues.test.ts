// /api/queues: declare, inspect, delete, purge, get messages, list bindings, as RabbitMQ 3.10's
// management API does it (every test passes against the reference broker). Queue statistics (messages,
// state, memory, message_stats...) lag on RabbitMQ by up to its 5 s collection interval, so tests that
// read them poll with a deadline.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Channel, ChannelModel } from 'amqplib';
import { managementTarget, type ManagementTarget } from '../helpers/management.js';
import { S, assertShape, counters, hasShape } from './shape.js';
import {
  Cleanup,
  NOT_FOUND,
  ROOT,
  amqpConnect,
  badRequest,
  call,
  closeQuietly,
  expectError,
  expectStatus,
  get,
  ok,
  poll,
  seg,
  uniq,
  type Reply,
} from './support.js';

/** The declaration fields every queue has as soon as it exists (RabbitMQ shows them before any statistics). */
const QUEUE_DECLARATION = {
  name: S.string,
  vhost: S.string,
  durable: S.bool,
  auto_delete: S.bool,
  exclusive: S.bool,
  arguments: S.object,
  type: S.enum('classic', 'quorum', 'stream'),
};

/** A classic queue also names its node at once (a quorum queue has leader/members instead). */
const QUEUE_STATIC = { ...QUEUE_DECLARATION, node: S.text };

/** The fields a queue has once its statistics are in. */
const QUEUE_STATS = {
  ...QUEUE_STATIC,
  state: S.string,
  policy: S.nullable(S.string),
  operator_policy: S.nullable(S.string),
  effective_policy_definition: S.object,
  consumers: S.count,
  consumer_capacity: S.number,
  consumer_utilisation: S.nullable(S.number),
  exclusive_consumer_tag: S.nullable(S.string),
  single_active_consumer_tag: S.nullable(S.string),
  memory: S.count,
  idle_since: S.optional(S.string),
  head_message_timestamp: S.nullable(S.int),
  ...counters('messages', 'messages_ready', 'messages_unacknowledged'),
  message_bytes: S.count,
  message_bytes_ready: S.count,
  message_bytes_unacknowledged: S.count,
  message_bytes_persistent: S.count,
  messages_persistent: S.count,
};

const MESSAGE = S.exact({
  payload: S.string,
  payload_bytes: S.count,
  payload_encoding: S.enum('string', 'base64'),
  redelivered: S.bool,
  exchange: S.string,
  routing_key: S.string,
  message_count: S.count,
  // an object of AMQP basic properties; an empty property set comes out as [] (see the test below)
  properties: S.oneOf(S.object, S.arrayOf(S.any)),
});

const BINDING = S.exact({
  source: S.string,
  vhost: S.string,
  destination: S.string,
  destination_type: S.enum('queue', 'exchange'),
  routing_key: S.string,
  arguments: S.object,
  properties_key: S.string,
});

const CONSUMER_DETAIL = {
  consumer_tag: S.string,
  queue: S.exact({ name: S.string, vhost: S.string }),
  channel_details: {
    name: S.string,
    number: S.count,
    connection_name: S.string,
    peer_host: S.string,
    peer_port: S.port,
    user: S.string,
  },
  ack_required: S.bool,
  prefetch_count: S.count,
  exclusive: S.bool,
  arguments: S.object,
};

let t: ManagementTarget;
let conn: ChannelModel;
let ch: Channel;
const cleanup = new Cleanup();

before(async () => {
  t = await managementTarget();
  conn = await amqpConnect(t);
  ch = await conn.createChannel();
  ch.on('error', () => {});
});

after(async () => {
  await cleanup.run();
  await closeQuietly(conn);
  await t.close();
});

const qpath = (name: string, vhost = ROOT) => `/api/queues/${vhost}/${seg(name)}`;

/** PUTs a fresh non-durable queue (201) and registers its deletion. */
async function newQueue(area: string, body: Record<string, unknown> = { durable: false }): Promise<string> {
  const name = uniq(area);
  await ok(t, 'PUT', qpath(name), body, 201);
  cleanup.delete(t, qpath(name));
  return name;
}

function getMessages(name: string, body: Record<string, unknown>): Promise<Reply> {
  return call(t, 'POST', `${qpath(name)}/get`, body);
}

async function publishStrings(name: string, bodies: string[]): Promise<void> {
  for (const b of bodies) {
    const r = await ok(t, 'POST', `/api/exchanges/${ROOT}/amq.default/publish`, {
      properties: {},
      routing_key: name,
      payload: b,
      payload_encoding: 'string',
    });
    assert.deepEqual(r, { routed: true });
  }
}

describe('PUT /api/queues/{vhost}/{name}', () => {
  test('creates the queue: 201 with an empty body; the same declaration again is 204', async () => {
    const name = uniq('q.put');
    const first = await call(t, 'PUT', qpath(name), { durable: false, auto_delete: false, arguments: { 'x-max-length': 10 } });
    cleanup.delete(t, qpath(name));
    expectStatus(first, 201);
    assert.equal(first.text, '');
    const again = await call(t, 'PUT', qpath(name), { durable: false, arguments: { 'x-max-length': 10 } });
    expectStatus(again, 204);
    assert.equal(again.text, '');
    // the AMQP side sees it
    const ok2 = await ch.checkQueue(name);
    assert.equal(ok2.queue, name);
  });

  test('an empty body or {} declares a NON-durable classic queue (the API default is durable: false)', async () => {
    for (const body of ['', {}]) {
      const name = uniq('q.empty-body');
      expectStatus(await call(t, 'PUT', qpath(name), body), 201);
      cleanup.delete(t, qpath(name));
      const q = await get(t, qpath(name));
      assert.equal(q.durable, false);
      assert.equal(q.auto_delete, false);
      assert.equal(q.exclusive, false);
      assert.equal(q.type, 'classic');
      assert.deepEqual(q.arguments, {});
    }
  });

  test('an inequivalent redeclaration is 400 with the AMQP reply text (without the code) as reason', async () => {
    const name = await newQueue('q.inequivalent', { durable: false, arguments: { 'x-max-length': 10 } });
    expectError(
      await call(t, 'PUT', qpath(name), { durable: false, arguments: { 'x-max-length': 11 } }),
      400,
      badRequest(`inequivalent arg 'x-max-length' for queue '${name}' in vhost '/': received '11' but current is '10'`),
    );
    expectError(
      await call(t, 'PUT', qpath(name), { durable: true, arguments: { 'x-max-length': 10 } }),
      400,
      badRequest(`inequivalent arg 'durable' for queue '${name}' in vhost '/': received 'true' but current is 'false'`),
    );
    // a JSON integer argument is stored as an AMQP long
    expectError(
      await call(t, 'PUT', qpath(name), { durable: false }),
      400,
      badRequest(
        `inequivalent arg 'x-max-length' for queue '${name}' in vhost '/': received none but current is the value '10' of type 'long'`,
      ),
    );
  });

  test('invalid arguments and properties are 400 with the AMQP reply text', async () => {
    const name = uniq('q.invalid');
    cleanup.delete(t, qpath(name));
    expectError(
      await call(t, 'PUT', qpath(name), { durable: false, arguments: { 'x-max-priority': 'abc' } }),
      400,
      badRequest(`invalid arg 'x-max-priority' for queue '${name}' in vhost '/': "expected integer, got longstr"`),
    );
    expectError(
      await call(t, 'PUT', qpath(name), { durable: false, arguments: { 'x-queue-type': 'quorum' } }),
      400,
      badRequest(`invalid property 'non-durable' for queue '${name}' in vhost '/'`),
    );
    expectError(await call(t, 'PUT', qpath(name), { durable: 'yes' }), 400, badRequest(['not_boolean', 'yes']));
    expectStatus(await call(t, 'GET', qpath(name)), 404);
  });

  test('a name over 255 bytes is 400 "queue should be less than 255 bytes, actually was N"; 255 bytes is fine', async () => {
    const long = `${uniq('q.long')}.`.padEnd(256, 'x');
    expectError(await call(t, 'PUT', qpath(long), { durable: false }), 400, badRequest('queue should be less than 255 bytes, actually was 256\n'));
    const accented = 'é'.repeat(128); // 256 bytes in 128 characters
    expectError(await call(t, 'PUT', qpath(accented), { durable: false }), 400, badRequest('queue should be less than 255 bytes, actually was 256\n'));
    const most = long.slice(0, 255);
    cleanup.delete(t, qpath(most));
    await ok(t, 'PUT', qpath(most), { durable: false }, 201);
  });

  test("a name starting with 'amq.' is refused with 401 Access refused.", async () => {
    expectError(await call(t, 'PUT', qpath(`amq.${uniq('q')}`), { durable: false }), 401, {
      error: 'not_authorised',
      reason: 'Access refused.',
    });
  });

  test('a quorum queue shows type quorum with leader, members and online (and no node field)', async () => {
    const name = await newQueue('q.quorum', { durable: true, arguments: { 'x-queue-type': 'quorum' } });
    const q = await get(t, qpath(name));
    assertShape(q, { ...QUEUE_DECLARATION, leader: S.text, members: S.arrayOf(S.text, 1), online: S.arrayOf(S.text, 1) });
    assert.equal(q.type, 'quorum');
    assert.deepEqual(q.arguments, { 'x-queue-type': 'quorum' });
  });
});

describe('GET /api/queues', () => {

  test('/api/queues and /api/queues/{vhost} list it with the same fields', async () => {
    const name = await newQueue('q.list');
    for (const path of ['/api/queues', `/api/queues/${ROOT}`]) {
      const list = await get(t, path);
      assert.ok(Array.isArray(list), `${path} is an array`);
      const mine = list.find((q: { name: string; vhost: string }) => q.name === name && q.vhost === '/');
      assert.ok(mine, `${path} lists ${name}`);
      assertShape(mine, QUEUE_STATIC, `${path} entry`);
    }
  });


  test('a missing queue or vhost is 404 {"error":"Object Not Found","reason":"Not Found"}', async () => {
    expectError(await call(t, 'GET', qpath(uniq('q.missing'))), 404, NOT_FOUND);
    const vhost = seg(uniq('no-such-vhost'));
    expectError(await call(t, 'GET', `/api/queues/${vhost}`), 404, NOT_FOUND);
    expectError(await call(t, 'GET', `/api/queues/${vhost}/x`), 404, NOT_FOUND);
  });

  test("another connection's exclusive queue: GET shows it (exclusive: true); PUT, DELETE and get are 400 RESOURCE_LOCKED", async () => {
    const name = uniq('q.exclusive');
    await ch.assertQueue(name, { exclusive: true, durable: false });
    const q = await get(t, qpath(name));
    assertShape(q, QUEUE_STATIC);
    assert.equal(q.exclusive, true);
    const locked =
      `cannot obtain exclusive access to locked queue '${name}' in vhost '/'. It could be originally declared on another ` +
      'connection or the exclusive property value does not match that of the original declaration.';
    expectError(await call(t, 'PUT', qpath(name), { durable: false }), 400, badRequest(locked));
    expectError(await call(t, 'DELETE', qpath(name)), 400, badRequest(locked));
    expectError(
      await getMessages(name, { count: 1, ackmode: 'ack_requeue_true', encoding: 'auto' }),
      400,
      badRequest(`405 RESOURCE_LOCKED - ${locked}`),
    );
    await ch.deleteQueue(name);
  });
});

describe('DELETE /api/queues/{vhost}/{name}', () => {
  test('204 with an empty body, then 404', async () => {
    const name = uniq('q.delete');
    await ok(t, 'PUT', qpath(name), { durable: false }, 201);
    const del = await call(t, 'DELETE', qpath(name));
    expectStatus(del, 204);
    assert.equal(del.text, '');
    expectError(await call(t, 'DELETE', qpath(name)), 404, NOT_FOUND);
    expectError(await call(t, 'GET', qpath(name)), 404, NOT_FOUND);
  });

  test('if-empty with ready messages: 400 "... not empty", and the queue stays', async () => {
    const name = await newQueue('q.if-empty');
    await publishStrings(name, ['x']);
    expectError(await call(t, 'DELETE', `${qpath(name)}?if-empty=true`), 400, badRequest(`queue '${name}' in vhost '/' not empty`));
    expectStatus(await call(t, 'GET', qpath(name)), 200);
  });

  test('if-unused with a consumer: 400 "... in use", and the queue stays', async () => {
    const name = await newQueue('q.if-unused');
    const c = await conn.createChannel();
    await c.consume(name, () => {});
    expectError(await call(t, 'DELETE', `${qpath(name)}?if-unused=true`), 400, badRequest(`queue '${name}' in vhost '/' in use`));
    expectStatus(await call(t, 'GET', qpath(name)), 200);
    await c.close();
  });

  test('both flags, both conditions failing: "not empty" is reported', async () => {
    const name = await newQueue('q.if-both');
    const c = await conn.createChannel();
    await c.prefetch(1);
    await c.consume(name, () => {});
    await publishStrings(name, ['a', 'b']); // one goes to the consumer, one stays ready
    await poll(() => ch.checkQueue(name), (okq) => okq.messageCount === 1, 'one ready message', 5000, 20);
    expectError(
      await call(t, 'DELETE', `${qpath(name)}?if-unused=true&if-empty=true`),
      400,
      badRequest(`queue '${name}' in vhost '/' not empty`),
    );
    await c.close();
  });

  test('if-empty counts only ready messages: a queue whose messages are all unacknowledged is deleted', async () => {
    const name = await newQueue('q.if-empty-unacked');
    const c = await conn.createChannel();
    await publishStrings(name, ['a', 'b']);
    const got = await poll(() => c.get(name), (m) => m !== false, 'a message', 5000, 20);
    assert.ok(got && (await c.get(name)), 'both messages taken, unacknowledged');
    expectStatus(await call(t, 'DELETE', `${qpath(name)}?if-empty=true`), 204);
    expectStatus(await call(t, 'GET', qpath(name)), 404);
    await c.close().catch(() => {});
  });
});

describe('DELETE /api/queues/{vhost}/{name}/contents (purge)', () => {
  test('204 and the queue is empty; a missing queue is 404', async () => {
    const name = await newQueue('q.purge');
    await publishStrings(name, ['a', 'b', 'c']);
    const purge = await call(t, 'DELETE', `${qpath(name)}/contents`);
    expectStatus(purge, 204);
    assert.equal(purge.text, '');
    assert.equal((await ch.checkQueue(name)).messageCount, 0);
    expectError(await call(t, 'DELETE', `${qpath(uniq('q.missing'))}/contents`), 404, NOT_FOUND);
  });
});

describe('POST /api/queues/{vhost}/{name}/get', () => {
  test('returns up to count messages with payload, payload_bytes, encoding, redelivered, exchange, routing_key, message_count, properties', async () => {
    const name = await newQueue('q.get-msgs');
    await publishStrings(name, ['first', 'second', 'third']);
    const reply = await getMessages(name, { count: 2, ackmode: 'ack_requeue_false', encoding: 'auto' });
    expectStatus(reply, 200);
    assertShape(reply.body, S.arrayOf(MESSAGE));
    assert.equal(reply.body.length, 2);
    const [a, b] = reply.body;
    assert.equal(a.payload, 'first');
    assert.equal(a.payload_bytes, 5);
    assert.equal(a.payload_encoding, 'string');
    assert.equal(a.redelivered, false);
    assert.equal(a.exchange, '');
    assert.equal(a.routing_key, name);
    assert.equal(a.message_count, 2, 'messages left after taking this one');
    assert.equal(b.payload, 'second');
    assert.equal(b.message_count, 1);
    // a count beyond what is there returns what is there; an empty queue gives []
    const rest = await getMessages(name, { count: 10, ackmode: 'ack_requeue_false', encoding: 'auto' });
    assert.deepEqual(
      rest.body.map((m: { payload: string }) => m.payload),
      ['third'],
    );
    const none = await getMessages(name, { count: 1, ackmode: 'ack_requeue_false', encoding: 'auto' });
    expectStatus(none, 200);
    assert.deepEqual(none.body, []);
  });

  test('a message published with no properties has properties [] (an empty JSON array, not {})', async () => {
    const name = await newQueue('q.get-noprops');
    await publishStrings(name, ['x']);
    const [m] = (await getMessages(name, { count: 1, ackmode: 'ack_requeue_false', encoding: 'auto' })).body;
    assert.deepEqual(m.properties, []);
  });

  test('ack_requeue_true leaves the messages in place, in order, redelivered; ack_requeue_false removes them', async () => {
    const name = await newQueue('q.get-requeue');
    await publishStrings(name, ['a', 'b']);
    const first = await getMessages(name, { count: 2, ackmode: 'ack_requeue_true', encoding: 'auto' });
    assert.deepEqual(
      first.body.map((m: { payload: string; redelivered: boolean; message_count: number }) => [m.payload, m.redelivered, m.message_count]),
      [
        ['a', false, 1],
        ['b', false, 0],
      ],
    );
    const second = await getMessages(name, { count: 2, ackmode: 'ack_requeue_false', encoding: 'auto' });
    assert.deepEqual(
      second.body.map((m: { payload: string; redelivered: boolean }) => [m.payload, m.redelivered]),
      [
        ['a', true],
        ['b', true],
      ],
    );
    assert.equal((await ch.checkQueue(name)).messageCount, 0);
  });

  test('reject_requeue_true requeues; reject_requeue_false drops and dead-letters with reason rejected (ack_requeue_false does not)', async () => {
    const dlq = await newQueue('q.get-dlq');
    const name = await newQueue('q.get-reject', {
      durable: false,
      arguments: { 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': dlq },
    });
    await publishStrings(name, ['acked', 'rejected']);
    const requeued = await getMessages(name, { count: 1, ackmode: 'reject_requeue_true', encoding: 'auto' });
    assert.equal(requeued.body[0].payload, 'acked');
    const acked = await getMessages(name, { count: 1, ackmode: 'ack_requeue_false', encoding: 'auto' });
    assert.equal(acked.body[0].payload, 'acked');
    assert.equal(acked.body[0].redelivered, true);
    const rejected = await getMessages(name, { count: 1, ackmode: 'reject_requeue_false', encoding: 'auto' });
    assert.equal(rejected.body[0].payload, 'rejected');
    assert.equal((await ch.checkQueue(name)).messageCount, 0);
    const dead = await poll(
      () => getMessages(dlq, { count: 5, ackmode: 'ack_requeue_true', encoding: 'auto' }),
      (r) => r.status === 200 && r.body.length > 0,
      'dead-lettered message',
      5000,
      50,
    );
    assert.deepEqual(
      dead.body.map((m: { payload: string }) => m.payload),
      ['rejected'],
    );
    const death = dead.body[0].properties.headers['x-death'];
    assertShape(
      death,
      S.arrayOf({ count: S.count, exchange: S.string, queue: S.string, reason: S.string, 'routing-keys': S.arrayOf(S.string), time: S.int }, 1),
    );
    assert.equal(death[0].reason, 'rejected');
    assert.equal(death[0].queue, name);
    assert.equal(dead.body[0].properties.headers['x-first-death-reason'], 'rejected');
  });

  test('encoding auto gives a string for UTF-8 payloads and base64 otherwise; base64 always gives base64', async () => {
    const name = await newQueue('q.get-encoding');
    ch.sendToQueue(name, Buffer.from('héllo'));
    ch.sendToQueue(name, Buffer.from([0, 1, 2, 0xff]));
    ch.sendToQueue(name, Buffer.from([0, 1, 2]));
    await poll(() => ch.checkQueue(name), (q) => q.messageCount === 3, 'three messages', 5000, 20);
    const auto = await getMessages(name, { count: 3, ackmode: 'ack_requeue_true', encoding: 'auto' });
    assert.deepEqual(
      auto.body.map((m: { payload: string; payload_encoding: string; payload_bytes: number }) => [m.payload, m.payload_encoding, m.payload_bytes]),
      [
        ['héllo', 'string', 6],
        ['AAEC/w==', 'base64', 4],
        ['\u0000\u0001\u0002', 'string', 3], // valid UTF-8, control characters and all
      ],
    );
    const b64 = await getMessages(name, { count: 3, ackmode: 'ack_requeue_true', encoding: 'base64' });
    assert.deepEqual(
      b64.body.map((m: { payload: string; payload_encoding: string }) => [m.payload, m.payload_encoding]),
      [
        [Buffer.from('héllo').toString('base64'), 'base64'],
        ['AAEC/w==', 'base64'],
        ['AAEC', 'base64'],
      ],
    );
  });

  test('truncate cuts the payload to that many bytes; payload_bytes stays the full size', async () => {
    const name = await newQueue('q.get-truncate');
    await publishStrings(name, ['hello world']);
    const r = await getMessages(name, { count: 1, ackmode: 'ack_requeue_true', encoding: 'auto', truncate: 3 });
    assert.equal(r.body[0].payload, 'hel');
    assert.equal(r.body[0].payload_bytes, 11);
    const b = await getMessages(name, { count: 1, ackmode: 'ack_requeue_true', encoding: 'base64', truncate: 5 });
    assert.equal(b.body[0].payload, Buffer.from('hello').toString('base64'));
    assert.equal(b.body[0].payload_bytes, 11);
  });

  test('properties carry the AMQP basic properties and headers of an AMQP-published message', async () => {
    const name = await newQueue('q.get-props');
    ch.sendToQueue(name, Buffer.from('hi'), {
      contentType: 'text/plain',
      contentEncoding: 'gzip',
      headers: {
        s: 'str',
        i: 42,
        neg: -7,
        f: 1.5,
        b: true,
        big: 2 ** 40,
        arr: [1, 'two', false],
        tbl: { x: 1 },
        n: null,
        bytes: Buffer.from([0x61, 0x62]),
        ts: { '!': 'timestamp', value: 1700000000 },
      },
      deliveryMode: 2,
      priority: 9,
      correlationId: 'cid',
      replyTo: 'rt',
      expiration: '60000',
      messageId: 'mid',
      timestamp: 1700000000,
      type: 'ty',
      userId: 'guest',
      appId: 'app',
    });
    ch.sendToQueue(name, Buffer.from('plain'));
    await poll(() => ch.checkQueue(name), (q) => q.messageCount === 2, 'two messages', 5000, 20);
    const [m, plain] = (await getMessages(name, { count: 2, ackmode: 'ack_requeue_false', encoding: 'auto' })).body;
    assert.deepEqual(m.properties, {
      content_type: 'text/plain',
      content_encoding: 'gzip',
      headers: {
        s: 'str',
        i: 42,
        neg: -7,
        f: 1.5,
        b: true,
        big: 2 ** 40,
        arr: [1, 'two', false],
        tbl: { x: 1 },
        n: 'undefined', // a void field-table value is written as the string "undefined"
        bytes: 'ab', // a byte array comes out as a string of its bytes
        ts: 1700000000, // a timestamp is seconds since the epoch
      },
      delivery_mode: 2,
      priority: 9,
      correlation_id: 'cid',
      reply_to: 'rt',
      expiration: '60000',
      message_id: 'mid',
      timestamp: 1700000000,
      type: 'ty',
      user_id: 'guest',
      app_id: 'app',
    });
    // amqplib always sends a (here empty) headers table
    assert.deepEqual(plain.properties, { headers: {} });
  });

  test('validation: missing keys, an unknown encoding, a missing queue', async () => {
    const name = await newQueue('q.get-errors');
    await publishStrings(name, ['keep']);
    expectError(await getMessages(name, { count: 1, ackmode: 'ack_requeue_true' }), 400, badRequest('[{key_missing,encoding}]'));
    expectError(await getMessages(name, { count: 1, encoding: 'auto' }), 400, badRequest('[{key_missing,ackmode}]'));
    expectError(await getMessages(name, { ackmode: 'ack_requeue_true', encoding: 'auto' }), 400, badRequest('[{key_missing,count}]'));
    expectError(
      await getMessages(name, { count: 1, ackmode: 'ack_requeue_true', encoding: 'utf8' }),
      400,
      badRequest('Unsupported encoding. Please use auto or base64.'),
    );
    const missing = uniq('q.missing');
    expectError(
      await getMessages(missing, { count: 1, ackmode: 'ack_requeue_true', encoding: 'auto' }),
      404,
      { error: 'not_found', reason: `NOT_FOUND - no queue '${missing}' in vhost '/'` },
    );
    // a count given as a numeric string is accepted
    const r = await getMessages(name, { count: '1', ackmode: 'ack_requeue_true', encoding: 'auto' });
    expectStatus(r, 200);
    assert.equal(r.body.length, 1);
    assert.equal((await ch.checkQueue(name)).messageCount, 1, 'nothing was lost');
  });

  test('an unknown ackmode is refused and takes nothing (RabbitMQ: 500 with an empty body; Warren: 400 naming the modes)', async () => {
    const name = await newQueue('q.get-bad-ackmode');
    await publishStrings(name, ['keep']);
    const r = await getMessages(name, { count: 1, ackmode: 'bogus', encoding: 'auto' });
    if (t.embedded) {
      expectStatus(r, 400);
      assert.equal(r.body.error, 'bad_request');
      assert.match(r.body.reason, /ack_requeue_true/);
    } else expectStatus(r, 500);
    assert.equal((await ch.checkQueue(name)).messageCount, 1);
  });
});

describe('GET /api/queues/{vhost}/{name}/bindings', () => {
  test('the default-exchange binding comes first, then exchange bindings, each with properties_key', async () => {
    const name = await newQueue('q.bindings');
    const x = uniq('q.bindings.x');
    await ok(t, 'PUT', `/api/exchanges/${ROOT}/${seg(x)}`, { type: 'direct', durable: false }, 201);
    cleanup.delete(t, `/api/exchanges/${ROOT}/${seg(x)}`);
    await ok(t, 'POST', `/api/bindings/${ROOT}/e/${seg(x)}/q/${seg(name)}`, { routing_key: 'rk', arguments: {} }, 201);
    const list = await get(t, `${qpath(name)}/bindings`);
    assertShape(list, S.arrayOf(BINDING));
    assert.deepEqual(list, [
      { source: '', vhost: '/', destination: name, destination_type: 'queue', routing_key: name, arguments: {}, properties_key: name },
      { source: x, vhost: '/', destination: name, destination_type: 'queue', routing_key: 'rk', arguments: {}, properties_key: 'rk' },
    ]);
  });

  test('a missing queue is not an error: 200 with the default binding it would have', async () => {
    const name = uniq('q.missing');
    const reply = await call(t, 'GET', `${qpath(name)}/bindings`);
    expectStatus(reply, 200);
    assert.deepEqual(reply.body, [
      { source: '', vhost: '/', destination: name, destination_type: 'queue', routing_key: name, arguments: {}, properties_key: name },
    ]);
  });

  test('a missing vhost is not an error either: 200 []', async () => {
    const reply = await call(t, 'GET', `/api/queues/${seg(uniq('no-such-vhost'))}/q/bindings`);
    expectStatus(reply, 200);
    assert.deepEqual(reply.body, []);
  });
});

// These wait for RabbitMQ's statistics (up to 5 s each), so they run side by side.
describe('queue statistics', { concurrency: true }, () => {
  test('a queue has its declaration fields at once, and its statistics once collected', async () => {
    const name = await newQueue('q.get', { durable: false, auto_delete: true, arguments: { 'x-message-ttl': 60000 } });
    const now = await get(t, qpath(name));
    assertShape(now, QUEUE_STATIC, 'queue right after PUT');
    assert.equal(now.name, name);
    assert.equal(now.vhost, '/');
    assert.equal(now.durable, false);
    assert.equal(now.auto_delete, true);
    assert.equal(now.exclusive, false);
    assert.equal(now.type, 'classic');
    assert.deepEqual(now.arguments, { 'x-message-ttl': 60000 });
    // RabbitMQ's statistics come in pieces (message counts first, then the rest): wait for all of them
    const q = await poll(() => get(t, qpath(name)), (b) => hasShape(b, QUEUE_STATS), 'queue statistics');
    assertShape(q, QUEUE_STATS, 'queue with statistics');
    assert.equal(q.state, 'running');
    assert.equal(q.policy, null);
    assert.equal(q.messages, 0);
    assert.equal(q.consumers, 0);
    assert.deepEqual(q.consumer_details, []);
  });

  test('messages, messages_ready, messages_unacknowledged, consumers and message_stats follow AMQP traffic', async () => {
    const name = await newQueue('q.traffic');
    for (let i = 0; i < 5; i++) ch.sendToQueue(name, Buffer.from(`m${i}`));
    const held = await poll(() => ch.get(name), (m) => m !== false, 'first message', 5000, 20); // stays unacked
    assert.ok(held);
    assert.ok(await ch.get(name, { noAck: true }));
    const consumerChannel = await conn.createChannel();
    await consumerChannel.prefetch(1);
    const tag = uniq('ctag');
    await consumerChannel.consume(name, () => {}, { consumerTag: tag }); // takes one, never acks
    const q = await poll(
      () => get(t, qpath(name)),
      (b) =>
        b.messages === 4 &&
        b.messages_ready === 2 &&
        b.messages_unacknowledged === 2 &&
        b.consumers === 1 &&
        b.message_stats?.publish === 5 &&
        b.message_stats?.deliver_get === 3 &&
        Array.isArray(b.consumer_details) &&
        b.consumer_details.length === 1 &&
        hasShape(b, QUEUE_STATS),
      'queue counts after traffic',
    );
    assertShape(q, QUEUE_STATS, 'queue');
    assertShape(
      q.message_stats,
      counters('publish', 'deliver_get', 'deliver', 'deliver_no_ack', 'get', 'get_no_ack', 'ack', 'redeliver'),
      'queue message_stats',
    );
    assert.equal(q.message_stats.get, 1);
    assert.equal(q.message_stats.get_no_ack, 1);
    assert.equal(q.message_stats.deliver, 1);
    assert.equal(q.message_bytes_ready, 4); // "m3" and "m4" are ready, two bytes each
    assertShape(q.consumer_details[0], CONSUMER_DETAIL, 'consumer_details[0]');
    assert.equal(q.consumer_details[0].consumer_tag, tag);
    assert.deepEqual(q.consumer_details[0].queue, { name, vhost: '/' });
    assert.equal(q.consumer_details[0].prefetch_count, 1);
    assert.equal(q.consumer_details[0].ack_required, true);
    await consumerChannel.close();
    ch.nack(held, false, true);
  });

  test('consumer_capacity and consumer_utilisation fall below 1 while every consumer is at its prefetch limit with messages waiting', async () => {
    const name = await newQueue('q.capacity');
    const conn = await amqpConnect(t);
    try {
      const ch = await conn.createChannel();
      for (let i = 0; i < 10; i++) ch.sendToQueue(name, Buffer.from('m'));
      await ch.prefetch(1);
      await ch.consume(name, () => {}); // never acks: one unacked, nine waiting
      const q = await poll(
        () => get(t, qpath(name)),
        (b) => b.consumers === 1 && b.messages_ready === 9 && typeof b.consumer_capacity === 'number' && b.consumer_capacity < 0.9,
        'consumer_capacity below 0.9',
        30_000,
        500,
      );
      // Warren measures the last interval (0 when blocked throughout); RabbitMQ keeps a moving average
      // updated when consumers change state, which stays between 0 and 1 here.
      assert.ok(q.consumer_utilisation < 0.9, `consumer_utilisation ${q.consumer_utilisation}`);
    } finally {
      await closeQuietly(conn);
    }
  });

  test("a queue's history: ?lengths_age&lengths_incr give its depth samples (newest first), the latest equal to its depth", async () => {
    const name = await newQueue('q.history');
    const conn = await amqpConnect(t);
    try {
      const ch = await conn.createConfirmChannel();
      for (let i = 0; i < 3; i++) ch.sendToQueue(name, Buffer.from(`m${i}`));
      await ch.waitForConfirms();
      // A broker may start keeping a queue's history when first asked: ask until the samples show the 3.
      const q = await poll(
        () => get(t, `${qpath(name)}?lengths_age=30&lengths_incr=5&msg_rates_age=30&msg_rates_incr=5`),
        (b) => b.messages_details?.samples?.[0]?.sample === 3 && b.message_stats?.publish_details?.samples?.[0]?.sample === 3,
        'queue depth samples',
        30_000,
        1000,
      );
      assertShape(q.messages_details, { rate: S.number, samples: S.array, avg: S.number, avg_rate: S.number });
      assertShape(q.messages_ready_details, { rate: S.number, samples: S.array, avg: S.number, avg_rate: S.number });
      for (const s of q.messages_details.samples) assert.equal(s.timestamp % 5000, 0);
    } finally {
      await closeQuietly(conn);
    }
  });

  test('queue statistics eventually carry message_bytes and message_stats for HTTP-published messages too', async () => {
    const name = await newQueue('q.http-stats');
    await publishStrings(name, ['abc', 'de']);
    const q = await poll(
      () => get(t, qpath(name)),
      (b) =>
        b.messages === 2 &&
        b.message_bytes === 5 &&
        hasShape(b.message_stats, counters('publish')) &&
        b.message_stats.publish === 2 &&
        hasShape(b, QUEUE_STATS),
      'queue statistics after two HTTP publishes',
    );
    assertShape(q, QUEUE_STATS);
  });
});
