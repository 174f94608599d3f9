// /api/exchanges (list, get, declare, delete, publish) and /api/bindings (exchange-to-queue and
// exchange-to-exchange), as RabbitMQ 3.10's management API does them.
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
  sleep,
  uniq,
} from './support.js';

const EXCHANGE = {
  name: S.string,
  vhost: S.string,
  type: S.text,
  durable: S.bool,
  auto_delete: S.bool,
  internal: S.bool,
  arguments: S.object,
};

const BINDING = S.exact({
  source: S.string,
  vhost: S.string,
  destination: S.string,
  destination_type: S.enum('queue', 'exchange'),
  routing_key: S.string,
  arguments: S.object,
  properties_key: S.string,
});

const ACCESS_REFUSED = { error: 'not_authorised', reason: 'Access refused.' };

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

const xpath = (name: string) => `/api/exchanges/${ROOT}/${seg(name)}`;
const qpath = (name: string) => `/api/queues/${ROOT}/${seg(name)}`;

async function newExchange(area: string, body: Record<string, unknown> = { type: 'direct', durable: false }): Promise<string> {
  const name = uniq(area);
  await ok(t, 'PUT', xpath(name), body, 201);
  cleanup.delete(t, xpath(name));
  return name;
}

async function newQueue(area: string): Promise<string> {
  const name = uniq(area);
  await ok(t, 'PUT', qpath(name), { durable: false }, 201);
  cleanup.delete(t, qpath(name));
  return name;
}

async function takeAll(queue: string): Promise<{ payload: string; routing_key: string; exchange: string }[]> {
  const r = await call(t, 'POST', `${qpath(queue)}/get`, { count: 100, ackmode: 'ack_requeue_false', encoding: 'auto' });
  expectStatus(r, 200);
  return r.body;
}

describe('GET /api/exchanges', () => {
  test("a vhost's list has the default exchange (name \"\") and the amq.* exchanges", async () => {
    const list = await get(t, `/api/exchanges/${ROOT}`);
    assertShape(list, S.arrayOf(EXCHANGE, 7));
    const byName = new Map(list.map((x: { name: string }) => [x.name, x]));
    const expected: [string, string, boolean][] = [
      ['', 'direct', false],
      ['amq.direct', 'direct', false],
      ['amq.fanout', 'fanout', false],
      ['amq.topic', 'topic', false],
      ['amq.headers', 'headers', false],
      ['amq.match', 'headers', false],
      ['amq.rabbitmq.trace', 'topic', true],
    ];
    for (const [name, type, internal] of expected) {
      const x = byName.get(name) as Record<string, unknown> | undefined;
      assert.ok(x, `exchange '${name}' listed`);
      assert.deepEqual(
        { type: x.type, durable: x.durable, auto_delete: x.auto_delete, internal: x.internal, arguments: x.arguments, vhost: x.vhost },
        { type, durable: true, auto_delete: false, internal, arguments: {}, vhost: '/' },
        `exchange '${name}'`,
      );
    }
    const all = await get(t, '/api/exchanges');
    assert.ok(all.some((x: { name: string; vhost: string }) => x.name === 'amq.topic' && x.vhost === '/'));
  });

  test('the default exchange is addressed as amq.default and comes back with name ""', async () => {
    const x = await get(t, `${xpath('amq.default')}`);
    assertShape(x, { ...EXCHANGE, incoming: S.array, outgoing: S.array });
    assert.equal(x.name, '');
    assert.equal(x.type, 'direct');
  });

  test('a missing exchange or vhost is 404', async () => {
    expectError(await call(t, 'GET', xpath(uniq('x.missing'))), 404, NOT_FOUND);
    expectError(await call(t, 'GET', `/api/exchanges/${seg(uniq('no-such-vhost'))}`), 404, NOT_FOUND);
  });
});

describe('PUT / DELETE /api/exchanges/{vhost}/{name}', () => {
  test('PUT creates (201), the same again is 204; GET shows the declaration', async () => {
    const name = uniq('x.put');
    const created = await call(t, 'PUT', xpath(name), {
      type: 'topic',
      durable: false,
      auto_delete: false,
      internal: false,
      arguments: { 'alternate-exchange': 'amq.fanout' },
    });
    cleanup.delete(t, xpath(name));
    expectStatus(created, 201);
    assert.equal(created.text, '');
    expectStatus(await call(t, 'PUT', xpath(name), { type: 'topic', durable: false, arguments: { 'alternate-exchange': 'amq.fanout' } }), 204);
    const x = await get(t, xpath(name));
    assertShape(x, { ...EXCHANGE, incoming: S.array, outgoing: S.array });
    assert.deepEqual(
      { name: x.name, vhost: x.vhost, type: x.type, durable: x.durable, auto_delete: x.auto_delete, internal: x.internal, arguments: x.arguments },
      { name, vhost: '/', type: 'topic', durable: false, auto_delete: false, internal: false, arguments: { 'alternate-exchange': 'amq.fanout' } },
    );
    await ch.checkExchange(name);
  });

  test('an empty body declares a non-durable direct exchange', async () => {
    const name = uniq('x.defaults');
    expectStatus(await call(t, 'PUT', xpath(name), {}), 201);
    cleanup.delete(t, xpath(name));
    const x = await get(t, xpath(name));
    assert.equal(x.type, 'direct');
    assert.equal(x.durable, false);
    assert.equal(x.auto_delete, false);
    assert.equal(x.internal, false);
  });

  test('inequivalent redeclarations and unknown types are 400 with the AMQP reply text', async () => {
    const name = await newExchange('x.inequivalent', { type: 'topic', durable: false });
    expectError(
      await call(t, 'PUT', xpath(name), { type: 'direct', durable: false }),
      400,
      badRequest(`inequivalent arg 'type' for exchange '${name}' in vhost '/': received 'direct' but current is 'topic'`),
    );
    expectError(
      await call(t, 'PUT', xpath(name), { type: 'topic', durable: true }),
      400,
      badRequest(`inequivalent arg 'durable' for exchange '${name}' in vhost '/': received 'true' but current is 'false'`),
    );
    const other = uniq('x.bogus-type');
    cleanup.delete(t, xpath(other));
    // RabbitMQ says 'unknown' for a type name its VM has no atom for and 'invalid' for one it has (an
    // Erlang accident that depends on the node's history), so both are accepted.
    const bogus = await call(t, 'PUT', xpath(other), { type: 'bogus' });
    expectStatus(bogus, 400);
    assert.equal((bogus.body as { error: string }).error, 'bad_request');
    assert.match((bogus.body as { reason: string }).reason, /^(unknown|invalid) exchange type 'bogus'$/);
  });

  test('a name over 255 bytes: RabbitMQ 3.10 creates the exchange (no AMQP client can name it); Warren refuses it as RabbitMQ refuses such a queue', async () => {
    const long = `${uniq('x.long')}.`.padEnd(256, 'x');
    cleanup.delete(t, xpath(long));
    const r = await call(t, 'PUT', xpath(long), { type: 'direct' });
    if ((await get(t, '/api/overview')).product_name === 'Warren') {
      expectError(r, 400, badRequest('exchange should be less than 255 bytes, actually was 256\n'));
    } else {
      expectStatus(r, 201);
    }
  });

  test("amq.* names: declaring a new one and deleting a standard one are 401 Access refused.; redeclaring a standard one is 204", async () => {
    expectError(await call(t, 'PUT', xpath(`amq.${uniq('x')}`), { type: 'topic' }), 401, ACCESS_REFUSED);
    expectError(await call(t, 'DELETE', xpath('amq.direct')), 401, ACCESS_REFUSED);
    expectError(await call(t, 'DELETE', xpath('amq.default')), 401, ACCESS_REFUSED);
    expectStatus(await call(t, 'PUT', xpath('amq.direct'), { type: 'direct', durable: true }), 204);
  });

  test('DELETE: 204, then 404; if-unused with a binding from it: 400 "... in use"', async () => {
    const name = uniq('x.delete');
    await ok(t, 'PUT', xpath(name), { type: 'fanout', durable: false }, 201);
    cleanup.delete(t, xpath(name));
    await ok(t, 'POST', `/api/bindings/${ROOT}/e/${seg(name)}/e/amq.fanout`, {}, 201);
    expectError(await call(t, 'DELETE', `${xpath(name)}?if-unused=true`), 400, badRequest(`exchange '${name}' in vhost '/' in use`));
    expectStatus(await call(t, 'GET', xpath(name)), 200);
    const del = await call(t, 'DELETE', xpath(name));
    expectStatus(del, 204);
    assert.equal(del.text, '');
    expectError(await call(t, 'DELETE', xpath(name)), 404, NOT_FOUND);
    // its bindings went with it
    assert.deepEqual(await get(t, `/api/bindings/${ROOT}/e/${seg(name)}/e/amq.fanout`), []);
  });
});

describe('POST /api/exchanges/{vhost}/{name}/publish', () => {
  test('a routing key over 255 bytes: RabbitMQ routes it (and a consumer it reaches is closed with 541); Warren refuses it with 400', async () => {
    const key = 'k'.repeat(256);
    const r = await call(t, 'POST', `${xpath('amq.topic')}/publish`, { properties: {}, routing_key: key, payload: 'x', payload_encoding: 'string' });
    if ((await get(t, '/api/overview')).product_name === 'Warren') {
      expectError(r, 400, badRequest('routing_key should be less than 255 bytes, actually was 256\n'));
    } else {
      expectStatus(r, 200);
    }
  });

  test("counts in the overview's message_stats like a mandatory AMQP publish (publish; return_unroutable when nothing routed)", async () => {
    const stats = async () => ((await get(t, '/api/overview')).message_stats ?? {}) as { publish?: number; return_unroutable?: number };
    // RabbitMQ's figures lag up to 5 s: let them settle before taking the baseline
    let before = await stats();
    await sleep(t.embedded ? 0 : 5500);
    await poll(
      async () => {
        const now = await stats();
        const settled = now.publish === before.publish && now.return_unroutable === before.return_unroutable;
        before = now;
        return settled;
      },
      (settled) => settled,
      'overview statistics settling',
      30_000,
      5500,
    );
    const q = await newQueue('x.pub.count');
    for (let i = 0; i < 3; i++) {
      await ok(t, 'POST', `${xpath('amq.default')}/publish`, { properties: {}, routing_key: q, payload: 'n', payload_encoding: 'string' });
    }
    await ok(t, 'POST', `${xpath('amq.direct')}/publish`, { properties: {}, routing_key: uniq('unbound'), payload: 'n', payload_encoding: 'string' });
    await poll(
      stats,
      (now) => (now.publish ?? 0) >= (before.publish ?? 0) + 4 && (now.return_unroutable ?? 0) >= (before.return_unroutable ?? 0) + 1,
      'HTTP publishes counted in the overview',
      30_000,
      500,
    );
  });

  test('answers {"routed": true} when a queue got the message and {"routed": false} when none did', async () => {
    const q = await newQueue('x.pub.q');
    const r = await call(t, 'POST', `${xpath('amq.default')}/publish`, {
      properties: {},
      routing_key: q,
      payload: 'hello',
      payload_encoding: 'string',
    });
    expectStatus(r, 200);
    assert.match(r.headers.get('content-type') ?? '', /^application\/json/);
    assert.deepEqual(r.body, { routed: true });
    assert.deepEqual(
      await ok(t, 'POST', `${xpath('amq.direct')}/publish`, {
        properties: {},
        routing_key: uniq('nothing-bound'),
        payload: 'lost',
        payload_encoding: 'string',
      }),
      { routed: false },
    );
    const msgs = await takeAll(q);
    assert.deepEqual(
      msgs.map((m) => [m.payload, m.exchange, m.routing_key]),
      [['hello', '', q]],
    );
  });

  test('properties and a base64 payload reach an AMQP consumer as given', async () => {
    const q = await newQueue('x.pub.props');
    const payload = Buffer.from([0, 1, 2, 250, 251]);
    assert.deepEqual(
      await ok(t, 'POST', `${xpath('amq.default')}/publish`, {
        routing_key: q,
        payload: payload.toString('base64'),
        payload_encoding: 'base64',
        properties: {
          content_type: 'application/octet-stream',
          content_encoding: 'identity',
          headers: { a: 1, b: 's', c: true, d: [1, 2], e: { f: 'g' }, fl: 2.5 },
          delivery_mode: 2,
          priority: 4,
          correlation_id: 'c',
          reply_to: 'r',
          expiration: '100000',
          message_id: 'm',
          timestamp: 1700000001,
          type: 't',
          user_id: 'guest',
          app_id: 'ap',
          'not-a-property': 'ignored',
        },
      }),
      { routed: true },
    );
    const m = await poll(() => ch.get(q, { noAck: true }), (x) => x !== false, 'the message', 5000, 20);
    assert.ok(m);
    assert.deepEqual(m.content, payload);
    assert.deepEqual(
      Object.fromEntries(Object.entries(m.properties).filter(([, v]) => v !== undefined)),
      {
        contentType: 'application/octet-stream',
        contentEncoding: 'identity',
        headers: { a: 1, b: 's', c: true, d: [1, 2], e: { f: 'g' }, fl: 2.5 },
        deliveryMode: 2,
        priority: 4,
        correlationId: 'c',
        replyTo: 'r',
        expiration: '100000',
        messageId: 'm',
        timestamp: 1700000001,
        type: 't',
        userId: 'guest',
        appId: 'ap',
      },
    );
    assert.equal(m.fields.exchange, '');
    assert.equal(m.fields.routingKey, q);
  });

  test('validation errors are 400 with Erlang-flavoured reasons', async () => {
    const q = await newQueue('x.pub.errors');
    const path = `${xpath('amq.default')}/publish`;
    const base = { properties: {}, routing_key: q, payload: 'x', payload_encoding: 'string' };
    const without = (key: string) => Object.fromEntries(Object.entries(base).filter(([k]) => k !== key));
    for (const key of ['properties', 'routing_key', 'payload', 'payload_encoding']) {
      expectError(await call(t, 'POST', path, without(key)), 400, badRequest(`[{key_missing,${key}}]`), `without ${key}`);
    }
    expectError(await call(t, 'POST', path, { ...base, payload_encoding: 'utf8' }), 400, badRequest(['unsupported_encoding', 'utf8']));
    expectError(
      await call(t, 'POST', path, { ...base, payload: '!!!', payload_encoding: 'base64' }),
      400,
      badRequest(['not_base64', '!!!']),
    );
    expectError(await call(t, 'POST', path, { ...base, properties: { delivery_mode: 'x' } }), 400, badRequest(['not_int', 'delivery_mode']));
    expectError(await call(t, 'POST', path, { ...base, properties: { priority: 'high' } }), 400, badRequest(['not_int', 'priority']));
    expectError(await call(t, 'POST', path, { ...base, properties: { timestamp: 'now' } }), 400, badRequest(['not_int', 'timestamp']));
    expectError(await call(t, 'POST', path, { ...base, properties: { expiration: 5 } }), 400, badRequest(['not_string', 'expiration']));
    expectError(
      await call(t, 'POST', path, { ...base, properties: { user_id: 'someone-else' } }),
      400,
      badRequest("406 PRECONDITION_FAILED - user_id property set to 'someone-else' but authenticated user was 'guest'"),
    );
    assert.deepEqual(await takeAll(q), [], 'nothing was published');
  });

  test('publishing to a missing exchange is 400 (not 404) with the AMQP error as reason', async () => {
    const name = uniq('x.missing');
    expectError(
      await call(t, 'POST', `${xpath(name)}/publish`, { properties: {}, routing_key: 'k', payload: 'x', payload_encoding: 'string' }),
      400,
      badRequest(`404 NOT_FOUND - no exchange '${name}' in vhost '/'`),
    );
  });
});

describe('bindings between an exchange and a queue', () => {
  test('POST creates: 201, empty body, Location "{queue}/{properties_key}" URL-encoded; posting it again is 201 too', async () => {
    const x = await newExchange('b.x', { type: 'topic', durable: false });
    const q = await newQueue('b.q');
    const path = `/api/bindings/${ROOT}/e/${seg(x)}/q/${seg(q)}`;
    const r = await call(t, 'POST', path, { routing_key: 'a.*', arguments: {} });
    expectStatus(r, 201);
    assert.equal(r.text, '');
    assert.equal(r.headers.get('location'), `${seg(q)}/a.%252A`);
    expectStatus(await call(t, 'POST', path, { routing_key: 'a.*', arguments: {} }), 201);
    const list = await get(t, path);
    assertShape(list, S.arrayOf(BINDING));
    assert.deepEqual(list, [
      { source: x, vhost: '/', destination: q, destination_type: 'queue', routing_key: 'a.*', arguments: {}, properties_key: 'a.%2A' },
    ]);
    // and it routes
    await ok(t, 'POST', `${xpath(x)}/publish`, { properties: {}, routing_key: 'a.b', payload: 'routed', payload_encoding: 'string' });
    assert.deepEqual(
      (await takeAll(q)).map((m) => m.payload),
      ['routed'],
    );
  });

  test('GET and DELETE one binding by its properties_key; a second DELETE is 404', async () => {
    const x = await newExchange('b.x');
    const q = await newQueue('b.q');
    const path = `/api/bindings/${ROOT}/e/${seg(x)}/q/${seg(q)}`;
    await ok(t, 'POST', path, { routing_key: 'k1' }, 201);
    await ok(t, 'POST', path, { routing_key: 'k2' }, 201);
    const one = await get(t, `${path}/k1`);
    assertShape(one, BINDING);
    assert.deepEqual(one, { source: x, vhost: '/', destination: q, destination_type: 'queue', routing_key: 'k1', arguments: {}, properties_key: 'k1' });
    expectError(await call(t, 'GET', `${path}/k3`), 404, NOT_FOUND);
    const del = await call(t, 'DELETE', `${path}/k1`);
    expectStatus(del, 204);
    assert.equal(del.text, '');
    expectError(await call(t, 'DELETE', `${path}/k1`), 404, NOT_FOUND);
    assert.deepEqual(
      (await get(t, path)).map((b: { routing_key: string }) => b.routing_key),
      ['k2'],
    );
  });

  test('properties_key: "~" for an empty key, the key quoted (space as +, reserved bytes as %XX), then "~hash" when there are arguments', async () => {
    const x = await newExchange('b.x', { type: 'headers', durable: false });
    const q = await newQueue('b.q');
    const path = `/api/bindings/${ROOT}/e/${seg(x)}/q/${seg(q)}`;
    const keys: [string, string][] = [
      ['', '~'],
      ['plain', 'plain'],
      ['a-b_c.d', 'a-b_c.d'],
      ['a.*', 'a.%2A'],
      ['a.#', 'a.%23'],
      ['a b/c~d%e+f:g', 'a+b%2Fc%7Ed%25e%2Bf%3Ag'],
      ["it's(x)!", 'it%27s%28x%29%21'],
      ['q?x=1&y', 'q%3Fx%3D1%26y'],
      ['@$,;=', '%40%24%2C%3B%3D'],
      ['ü', '%C3%BC'],
    ];
    for (const [key, props] of keys) {
      const r = await call(t, 'POST', path, { routing_key: key, arguments: {} });
      expectStatus(r, 201, `binding key ${JSON.stringify(key)}`);
      assert.equal(r.headers.get('location'), `${seg(q)}/${seg(props)}`, `Location for ${JSON.stringify(key)}`);
    }
    const withArgs = await call(t, 'POST', path, { routing_key: 'h', arguments: { 'x-match': 'any', colour: 'red' } });
    expectStatus(withArgs, 201);
    const list: { routing_key: string; properties_key: string; arguments: Record<string, unknown> }[] = await get(t, path);
    const byKey = new Map(list.filter((b) => Object.keys(b.arguments).length === 0).map((b) => [b.routing_key, b.properties_key]));
    for (const [key, props] of keys) assert.equal(byKey.get(key), props, `properties_key of ${JSON.stringify(key)}`);
    const argBinding = list.find((b) => b.routing_key === 'h');
    assert.ok(argBinding);
    assert.deepEqual(argBinding.arguments, { 'x-match': 'any', colour: 'red' });
    assert.match(argBinding.properties_key, /^h~[A-Za-z0-9_-]+$/);
    assert.equal(withArgs.headers.get('location'), `${seg(q)}/${seg(argBinding.properties_key)}`);
    // every binding can be fetched and deleted through its properties_key
    for (const b of list) {
      const one = await call(t, 'GET', `${path}/${seg(b.properties_key)}`);
      expectStatus(one, 200, `GET by ${b.properties_key}`);
      assert.equal(one.body.routing_key, b.routing_key);
      expectStatus(await call(t, 'DELETE', `${path}/${seg(b.properties_key)}`), 204, `DELETE by ${b.properties_key}`);
    }
    assert.deepEqual(await get(t, path), []);
  });

  test('an empty body binds with routing key "" and no arguments', async () => {
    const x = await newExchange('b.x', { type: 'fanout', durable: false });
    const q = await newQueue('b.q');
    const r = await call(t, 'POST', `/api/bindings/${ROOT}/e/${seg(x)}/q/${seg(q)}`, {});
    expectStatus(r, 201);
    assert.equal(r.headers.get('location'), `${seg(q)}/~`);
    assert.deepEqual(
      (await get(t, `/api/bindings/${ROOT}/e/${seg(x)}/q/${seg(q)}`)).map((b: { routing_key: string; arguments: object }) => [b.routing_key, b.arguments]),
      [['', {}]],
    );
  });

  test('missing source or destination: 404 not_found naming it; binding the default exchange: 401 Access refused.', async () => {
    const x = await newExchange('b.x');
    const q = await newQueue('b.q');
    const missingX = uniq('b.missing-x');
    const missingQ = uniq('b.missing-q');
    expectError(
      await call(t, 'POST', `/api/bindings/${ROOT}/e/${seg(missingX)}/q/${seg(q)}`, { routing_key: 'k' }),
      404,
      { error: 'not_found', reason: `no exchange '${missingX}' in vhost '/'` },
    );
    expectError(
      await call(t, 'POST', `/api/bindings/${ROOT}/e/${seg(x)}/q/${seg(missingQ)}`, { routing_key: 'k' }),
      404,
      { error: 'not_found', reason: `no queue '${missingQ}' in vhost '/'` },
    );
    expectError(await call(t, 'POST', `/api/bindings/${ROOT}/e/amq.default/q/${seg(q)}`, { routing_key: 'k' }), 401, ACCESS_REFUSED);
  });

  test('listing the bindings between objects that do not exist is 200 []', async () => {
    assert.deepEqual(await get(t, `/api/bindings/${ROOT}/e/${seg(uniq('nx'))}/q/${seg(uniq('nq'))}`), []);
    assert.deepEqual(await get(t, `${xpath(uniq('nx'))}/bindings/source`), []);
    assert.deepEqual(await get(t, `${xpath(uniq('nx'))}/bindings/destination`), []);
  });

  test('/api/bindings and /api/bindings/{vhost} list every binding, default-exchange ones included', async () => {
    const x = await newExchange('b.x');
    const q = await newQueue('b.q');
    await ok(t, 'POST', `/api/bindings/${ROOT}/e/${seg(x)}/q/${seg(q)}`, { routing_key: 'listed' }, 201);
    for (const path of ['/api/bindings', `/api/bindings/${ROOT}`]) {
      const all: { source: string; destination: string; routing_key: string }[] = await get(t, path);
      assertShape(all, S.arrayOf(BINDING), path);
      assert.ok(all.some((b) => b.source === x && b.destination === q && b.routing_key === 'listed'), `${path} has ours`);
      assert.ok(all.some((b) => b.source === '' && b.destination === q && b.routing_key === q), `${path} has the default binding`);
    }
  });
});

describe('exchange-to-exchange bindings', () => {
  test('POST /e/{src}/e/{dst}: 201 with Location "{dst}/{props}"; listed under source and destination; messages flow through', async () => {
    const src = await newExchange('e2e.src', { type: 'topic', durable: false });
    const dst = await newExchange('e2e.dst', { type: 'fanout', durable: false });
    const q = await newQueue('e2e.q');
    await ok(t, 'POST', `/api/bindings/${ROOT}/e/${seg(dst)}/q/${seg(q)}`, {}, 201);
    const path = `/api/bindings/${ROOT}/e/${seg(src)}/e/${seg(dst)}`;
    const r = await call(t, 'POST', path, { routing_key: 'orders.#', arguments: {} });
    expectStatus(r, 201);
    assert.equal(r.headers.get('location'), `${seg(dst)}/orders.%2523`);
    const expected = {
      source: src,
      vhost: '/',
      destination: dst,
      destination_type: 'exchange',
      routing_key: 'orders.#',
      arguments: {},
      properties_key: 'orders.%23',
    };
    assert.deepEqual(await get(t, path), [expected]);
    assert.deepEqual(await get(t, `${path}/${seg('orders.%23')}`), expected);
    assert.deepEqual(await get(t, `${xpath(src)}/bindings/source`), [expected]);
    const asDestination = await get(t, `${xpath(dst)}/bindings/destination`);
    assert.deepEqual(asDestination, [expected]);
    const dstAsSource = await get(t, `${xpath(dst)}/bindings/source`);
    assert.deepEqual(
      dstAsSource.map((b: { destination: string; destination_type: string }) => [b.destination, b.destination_type]),
      [[q, 'queue']],
    );
    assert.deepEqual(
      await ok(t, 'POST', `${xpath(src)}/publish`, { properties: {}, routing_key: 'orders.new', payload: 'o1', payload_encoding: 'string' }),
      { routed: true },
    );
    const got = await takeAll(q);
    assert.deepEqual(
      got.map((m) => [m.payload, m.exchange, m.routing_key]),
      [['o1', src, 'orders.new']],
    );
    expectStatus(await call(t, 'DELETE', `${path}/${seg('orders.%23')}`), 204);
    assert.deepEqual(await get(t, path), []);
    assert.deepEqual(
      await ok(t, 'POST', `${xpath(src)}/publish`, { properties: {}, routing_key: 'orders.new', payload: 'o2', payload_encoding: 'string' }),
      { routed: false },
    );
  });

  test('a missing destination exchange is 404 not_found', async () => {
    const src = await newExchange('e2e.src');
    const missing = uniq('e2e.missing');
    expectError(
      await call(t, 'POST', `/api/bindings/${ROOT}/e/${seg(src)}/e/${seg(missing)}`, { routing_key: 'k' }),
      404,
      { error: 'not_found', reason: `no exchange '${missing}' in vhost '/'` },
    );
  });
});

test('exchange statistics: publish_in counts what came in, publish_out what was routed on (lag on RabbitMQ)', async () => {
  const x = await newExchange('x.stats', { type: 'fanout', durable: false });
  const q = await newQueue('x.stats.q');
  const unrouted = await newExchange('x.stats.unrouted', { type: 'fanout', durable: false });
  await ok(t, 'POST', `/api/bindings/${ROOT}/e/${seg(x)}/q/${seg(q)}`, {}, 201);
  for (let i = 0; i < 3; i++) {
    await ok(t, 'POST', `${xpath(x)}/publish`, { properties: {}, routing_key: '', payload: `m${i}`, payload_encoding: 'string' });
  }
  await ok(t, 'POST', `${xpath(unrouted)}/publish`, { properties: {}, routing_key: '', payload: 'm', payload_encoding: 'string' });
  const [routedStats, unroutedStats] = await Promise.all([
    poll(
      () => get(t, xpath(x)),
      (b) => hasShape(b.message_stats, counters('publish_in', 'publish_out')) && b.message_stats.publish_in === 3 && b.message_stats.publish_out === 3,
      'publish_in/publish_out of the routed exchange',
    ),
    poll(
      () => get(t, xpath(unrouted)),
      (b) => hasShape(b.message_stats, counters('publish_in')) && b.message_stats.publish_in === 1,
      'publish_in of the unrouted exchange',
    ),
  ]);
  assertShape(routedStats.message_stats, counters('publish_in', 'publish_out'));
  assert.equal(unroutedStats.message_stats.publish_out ?? 0, 0);
});
