// /api/health/checks/* and the pagination, filtering, sorting and column selection of list endpoints,
// as RabbitMQ 3.10's management API does them.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { managementTarget, type ManagementTarget } from '../helpers/management.js';
import { S, assertShape } from './shape.js';
import {
  Cleanup,
  NOT_FOUND,
  ROOT,
  amqpPort,
  badRequest,
  call,
  expectError,
  expectStatus,
  get,
  httpPort,
  ok,
  poll,
  rawCall,
  seg,
  uniq,
} from './support.js';

let t: ManagementTarget;
const cleanup = new Cleanup();

before(async () => {
  t = await managementTarget();
});
after(async () => {
  await cleanup.run();
  await t.close();
});

/** A TCP port nothing listens on (bound and released). */
async function unusedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('/api/health/checks', () => {
  test('alarms, local-alarms, virtual-hosts, certificate-expiration: 200 {"status":"ok"}', async () => {
    for (const check of ['alarms', 'local-alarms', 'virtual-hosts', 'certificate-expiration/1/weeks']) {
      const r = await call(t, 'GET', `/api/health/checks/${check}`);
      expectStatus(r, 200, check);
      assert.match(r.headers.get('content-type') ?? '', /^application\/json/);
      assert.deepEqual(r.body, { status: 'ok' }, check);
    }
  });

  test('node-is-quorum-critical and node-is-mirror-sync-critical on a single node: 200 with reason "single node cluster"', async () => {
    for (const check of ['node-is-quorum-critical', 'node-is-mirror-sync-critical']) {
      assert.deepEqual(await get(t, `/api/health/checks/${check}`), { status: 'ok', reason: 'single node cluster' }, check);
    }
  });

  test('port-listener/{port}: 200 {"status":"ok","port":N} for the AMQP port', async () => {
    assert.deepEqual(await get(t, `/api/health/checks/port-listener/${amqpPort(t)}`), { status: 'ok', port: amqpPort(t) });
    assert.deepEqual(await get(t, `/api/health/checks/port-listener/${httpPort(t)}`), { status: 'ok', port: httpPort(t) });
  });

  test('port-listener/{unused port}: 503 {"status":"failed","reason":"No active listener","missing":port,"ports":[…]}', async () => {
    const port = await unusedPort();
    const r = await call(t, 'GET', `/api/health/checks/port-listener/${port}`);
    expectStatus(r, 503);
    assert.match(r.headers.get('content-type') ?? '', /^application\/json/);
    assertShape(r.body, S.exact({ status: S.literal('failed'), reason: S.literal('No active listener'), missing: S.literal(port), ports: S.arrayOf(S.port, 2) }));
    assert.ok(r.body.ports.includes(amqpPort(t)), 'ports lists the AMQP port');
    assert.ok(r.body.ports.includes(httpPort(t)), 'ports lists the HTTP port');
  });

  test('port-listener/{not a number}: 400 "Invalid port"', async () => {
    expectError(await call(t, 'GET', '/api/health/checks/port-listener/abc'), 400, badRequest('Invalid port'));
  });

  test('protocol-listener/amqp: 200; an unknown protocol: 503 listing the protocols there are', async () => {
    assert.deepEqual(await get(t, '/api/health/checks/protocol-listener/amqp'), { status: 'ok', protocol: 'amqp' });
    const r = await call(t, 'GET', '/api/health/checks/protocol-listener/gopher');
    expectStatus(r, 503);
    assertShape(
      r.body,
      S.exact({ status: S.literal('failed'), reason: S.literal('No active listener'), missing: S.literal('gopher'), protocols: S.arrayOf(S.string, 2) }),
    );
    assert.ok(r.body.protocols.includes('amqp') && r.body.protocols.includes('http'));
  });

  test('ready-to-serve-clients: Warren answers 200 {"status":"ok"} when it takes clients; RabbitMQ 3.10 has no such check (404)', async () => {
    const r = await call(t, 'GET', '/api/health/checks/ready-to-serve-clients');
    if (!t.embedded) {
      expectError(r, 404, NOT_FOUND);
      return;
    }
    expectStatus(r, 200);
    assert.deepEqual(r.body, { status: 'ok' });
  });

  test('health checks need credentials like everything else', async () => {
    const r = await rawCall(t, 'GET', '/api/health/checks/alarms');
    expectStatus(r, 401);
  });
});

// ---------------------------------------------------------------------------------------------------

const PAGE = S.exact({
  filtered_count: S.count,
  item_count: S.count,
  items: S.array,
  page: S.count,
  page_count: S.count,
  page_size: S.count,
  total_count: S.count,
});

describe('list paging, filtering, sorting and columns', () => {
  let prefix: string;
  let names: string[];
  let other: string;

  before(async () => {
    prefix = uniq('page');
    names = [1, 2, 3, 4, 5].map((i) => `${prefix}.q${i}`);
    // created out of order, so the order seen is the sort's doing
    for (const [i, name] of [...names.entries()].reverse()) {
      await ok(t, 'PUT', `/api/queues/${ROOT}/${seg(name)}`, { durable: false, arguments: i === 0 ? { 'x-max-length': 7 } : {} }, 201);
      cleanup.delete(t, `/api/queues/${ROOT}/${seg(name)}`);
    }
    other = uniq('page-other');
    await ok(t, 'PUT', `/api/queues/${ROOT}/${seg(other)}`, { durable: false }, 201);
    cleanup.delete(t, `/api/queues/${ROOT}/${seg(other)}`);
  });

  const list = (query: string) => call(t, 'GET', `/api/queues/${ROOT}?${query}`);
  const itemNames = (body: { items: { name: string }[] }) => body.items.map((q) => q.name);

  test('page and page_size give {filtered_count, item_count, items, page, page_count, page_size, total_count}, sorted by name', async () => {
    const r = await list(`page=1&page_size=2&name=${encodeURIComponent(prefix)}`);
    expectStatus(r, 200);
    assertShape(r.body, PAGE);
    assert.equal(r.body.filtered_count, 5);
    assert.equal(r.body.item_count, 2);
    assert.equal(r.body.page, 1);
    assert.equal(r.body.page_count, 3);
    assert.equal(r.body.page_size, 2);
    assert.ok(r.body.total_count >= 6, 'total_count counts every queue of the vhost, unfiltered');
    assert.deepEqual(itemNames(r.body), names.slice(0, 2));
    const last = await list(`page=3&page_size=2&name=${encodeURIComponent(prefix)}`);
    assert.equal(last.body.item_count, 1);
    assert.deepEqual(itemNames(last.body), [names[4]]);
  });

  test('a page past the end is 400 page_out_of_range', async () => {
    expectError(await list(`page=4&page_size=2&name=${encodeURIComponent(prefix)}`), 400, {
      error: 'page_out_of_range',
      reason: 'Page out of range, page: 4 page size: 2, len: 5',
    });
  });

  test('an empty filtered result: page 1 has page_count 0 and no items; page 2 is out of range', async () => {
    const none = encodeURIComponent(`${prefix}-matches-nothing`);
    const r = await list(`page=1&page_size=2&name=${none}`);
    expectStatus(r, 200);
    assert.deepEqual({ ...r.body, total_count: 0 }, {
      filtered_count: 0,
      item_count: 0,
      items: [],
      page: 1,
      page_count: 0,
      page_size: 2,
      total_count: 0,
    });
    expectError(await list(`page=2&page_size=2&name=${none}`), 400, {
      error: 'page_out_of_range',
      reason: 'Page out of range, page: 2 page size: 2, len: 0',
    });
  });

  test('sort and sort_reverse', async () => {
    const r = await list(`page=1&page_size=2&name=${encodeURIComponent(prefix)}&sort=name&sort_reverse=true`);
    assert.deepEqual(itemNames(r.body), [names[4], names[3]]);
    const p2 = await list(`page=2&page_size=2&name=${encodeURIComponent(prefix)}&sort=name&sort_reverse=true`);
    assert.deepEqual(itemNames(p2.body), [names[2], names[1]]);
  });

  test('sort by a number (messages), both ways, paged; by a nested field (arguments.x-max-length), missing values first', async () => {
    // depths 3, 0, 4, 1, 2 for q1..q5, published through the API
    const depths = [3, 0, 4, 1, 2];
    for (const [i, name] of names.entries()) {
      for (let n = 0; n < depths[i]!; n++) {
        await ok(t, 'POST', `/api/exchanges/${ROOT}/amq.default/publish`, { properties: {}, routing_key: name, payload: 'm', payload_encoding: 'string' });
      }
    }
    const byDepth = await poll(
      () => list(`page=1&page_size=5&name=${encodeURIComponent(prefix)}&sort=messages&sort_reverse=true`),
      (r: { status: number; body: any }) => r.status === 200 && r.body.items.every((q: { name: string; messages?: number }) => q.messages === depths[names.indexOf(q.name)]),
      'queue depths in the list',
    );
    assert.deepEqual(itemNames(byDepth.body), [names[2], names[0], names[4], names[3], names[1]]);
    const ascending = await list(`page=2&page_size=2&name=${encodeURIComponent(prefix)}&sort=messages`);
    assert.deepEqual(itemNames(ascending.body), [names[4], names[0]]);
    // only q1 has x-max-length: sorted last ascending (missing first), first when reversed
    const nested = await list(`page=1&page_size=5&name=${encodeURIComponent(prefix)}&sort=arguments.x-max-length&sort_reverse=true`);
    assert.equal(itemNames(nested.body)[0], names[0]);
    for (const name of names) await ok(t, 'DELETE', `/api/queues/${ROOT}/${seg(name)}/contents`, undefined, 204);
  });

  test('name is a case-insensitive substring match; with use_regex=true a regular expression', async () => {
    const upper = await list(`page=1&name=${encodeURIComponent(prefix.toUpperCase())}`);
    assert.deepEqual(itemNames(upper.body), names);
    const re = `^${prefix.replace(/\./g, '\\.')}\\.q[24]$`;
    const r = await list(`page=1&name=${encodeURIComponent(re)}&use_regex=true`);
    assert.deepEqual(itemNames(r.body), [names[1], names[3]]);
    assert.equal(r.body.filtered_count, 2);
    // use_regex=false: the same text is a substring that matches nothing
    assert.equal((await list(`page=1&name=${encodeURIComponent(re)}&use_regex=false`)).body.filtered_count, 0);
  });

  test('an invalid regular expression is 400 "Pagination parameters are invalid"', async () => {
    expectError(await list('page=1&name=(&use_regex=true'), 400, badRequest('Pagination parameters are invalid'));
  });

  test('page_size defaults to 100 and may be at most 500; page and page_size below 1 are invalid', async () => {
    const def = await list(`page=1&name=${encodeURIComponent(prefix)}`);
    assert.equal(def.body.page_size, 100);
    assert.equal(def.body.page_count, 1);
    expectStatus(await list(`page=1&page_size=500&name=${encodeURIComponent(prefix)}`), 200);
    expectError(await list('page=1&page_size=501'), 400, {
      error: 'invalid_pagination_parameters',
      reason: 'Invalid pagination parameters: page number 1, page size 501',
    });
    expectError(await list('page=0&page_size=2'), 400, {
      error: 'invalid_pagination_parameters',
      reason: 'Invalid pagination parameters: page number 0, page size 2',
    });
    expectError(await list('page=1&page_size=0'), 400, {
      error: 'invalid_pagination_parameters',
      reason: 'Invalid pagination parameters: page number 1, page size 0',
    });
    expectError(await list('page=abc'), 400, badRequest('Pagination parameters are invalid'));
  });

  test('without page, name is ignored: the whole list comes back as a plain array', async () => {
    const r = await list(`name=${encodeURIComponent(prefix)}`);
    expectStatus(r, 200);
    assert.ok(Array.isArray(r.body));
    const all = r.body.map((q: { name: string }) => q.name);
    for (const n of [...names, other]) assert.ok(all.includes(n), `${n} listed`);
  });

  test('columns keeps only the named fields; a dotted column picks a nested key (its parent stays, possibly empty)', async () => {
    const r = await list(`page=1&name=${encodeURIComponent(prefix)}&columns=name,arguments.x-max-length`);
    assert.deepEqual(r.body.items, [
      { name: names[0], arguments: { 'x-max-length': 7 } },
      ...names.slice(1).map((name) => ({ name, arguments: {} })),
    ]);
    const plain = await list('columns=name,vhost');
    for (const q of plain.body) assert.deepEqual(Object.keys(q).sort(), ['name', 'vhost']);
    const one = await get(t, `/api/queues/${ROOT}/${seg(names[0]!)}?columns=name,durable`);
    assert.deepEqual(one, { name: names[0], durable: false });
  });

  test('other lists page the same way: /api/queues, /api/exchanges/{vhost}, /api/vhosts', async () => {
    const all = await get(t, `/api/queues?page=1&page_size=3&name=${encodeURIComponent(prefix)}&columns=name,vhost`);
    assertShape(all, PAGE);
    assert.deepEqual(all.items, names.slice(0, 3).map((name) => ({ name, vhost: '/' })));
    const ex = await get(t, `/api/exchanges/${ROOT}?page=1&page_size=3&name=amq.&columns=name,type&sort=name`);
    assertShape(ex, PAGE);
    assert.ok(ex.filtered_count >= 6);
    assert.deepEqual(ex.items, [
      { name: 'amq.direct', type: 'direct' },
      { name: 'amq.fanout', type: 'fanout' },
      { name: 'amq.headers', type: 'headers' },
    ]);
    const vhosts = await get(t, '/api/vhosts?page=1&columns=name&name=%2F');
    assertShape(vhosts, PAGE);
    assert.ok(vhosts.items.some((v: { name: string }) => v.name === '/'));
  });

  test('/api/users ignores paging and always answers a plain array', async () => {
    const r = await get(t, '/api/users?page=1&page_size=1&columns=name');
    assert.ok(Array.isArray(r), 'a plain array');
    assert.ok(r.some((u: { name: string }) => u.name === 'guest'));
    for (const u of r) assert.deepEqual(Object.keys(u), ['name']);
  });
});
