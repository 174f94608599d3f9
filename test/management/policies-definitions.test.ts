// /api/policies and /api/definitions (export and import) as RabbitMQ 3.10's management API does them.
// Every policy here has a pattern that matches only this run's own queues, so runs sharing a broker
// do not disturb each other.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { managementTarget, type ManagementTarget } from '../helpers/management.js';
import { S, assertShape, hasShape } from './shape.js';
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
  rawCall,
  seg,
  uniq,
} from './support.js';

const POLICY = S.exact({
  vhost: S.string,
  name: S.string,
  pattern: S.string,
  'apply-to': S.enum('all', 'queues', 'exchanges'),
  definition: S.object,
  priority: S.number,
});

let t: ManagementTarget;
const cleanup = new Cleanup();

before(async () => {
  t = await managementTarget();
});
after(async () => {
  await cleanup.run();
  await t.close();
});

const ppath = (name: string, vhost = ROOT) => `/api/policies/${vhost}/${seg(name)}`;
/** A regex matching exactly this name. */
const only = (name: string) => `^${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`;

async function newPolicy(body: Record<string, unknown>): Promise<string> {
  const name = uniq('policy');
  await ok(t, 'PUT', ppath(name), { pattern: only(`${name}.nothing`), ...body }, 201);
  cleanup.delete(t, ppath(name));
  return name;
}

describe('/api/policies', () => {
  test('PUT: 201 with an empty body, again 204; GET {vhost, name, pattern, apply-to, definition, priority}; listed', async () => {
    const name = uniq('policy.put');
    const body = { pattern: only(`${name}.q`), definition: { 'max-length': 5, 'message-ttl': 1000 }, priority: 3, 'apply-to': 'queues' };
    const created = await call(t, 'PUT', ppath(name), body);
    cleanup.delete(t, ppath(name));
    expectStatus(created, 201);
    assert.equal(created.text, '');
    expectStatus(await call(t, 'PUT', ppath(name), body), 204);
    const p = await get(t, ppath(name));
    assertShape(p, POLICY);
    assert.deepEqual(p, { vhost: '/', name, ...body });
    for (const path of ['/api/policies', `/api/policies/${ROOT}`]) {
      const list = await get(t, path);
      assertShape(list, S.arrayOf(POLICY), path);
      assert.deepEqual(
        list.find((x: { name: string }) => x.name === name),
        p,
        path,
      );
    }
  });

  test('PUT replaces the whole policy: apply-to defaults to "all" and priority to 0', async () => {
    const name = await newPolicy({ definition: { 'max-length': 5 }, priority: 3, 'apply-to': 'queues' });
    const pattern = only(`${name}.other`);
    expectStatus(await call(t, 'PUT', ppath(name), { pattern, definition: { 'max-length': 6 } }), 204);
    assert.deepEqual(await get(t, ppath(name)), {
      vhost: '/',
      name,
      pattern,
      'apply-to': 'all',
      definition: { 'max-length': 6 },
      priority: 0,
    });
  });

  test('a fractional priority is accepted and kept; a numeric string is not', async () => {
    const name = await newPolicy({ definition: { 'max-length': 1 }, priority: 1.5 });
    assert.equal((await get(t, ppath(name))).priority, 1.5);
    expectError(
      await call(t, 'PUT', ppath(name), { pattern: 'x', definition: { 'max-length': 1 }, priority: '7' }),
      400,
      badRequest('Validation failed\n\npriority should be a number, actually was &lt;&lt;"7"&gt;&gt;\n'),
    );
  });

  test('DELETE: 204, then 404; GET of a missing policy is 404; a missing vhost is 404 (PUT: not_found vhost_not_found)', async () => {
    const name = uniq('policy.delete');
    await ok(t, 'PUT', ppath(name), { pattern: only(name), definition: { 'max-length': 1 } }, 201);
    const del = await call(t, 'DELETE', ppath(name));
    expectStatus(del, 204);
    assert.equal(del.text, '');
    expectError(await call(t, 'DELETE', ppath(name)), 404, NOT_FOUND);
    expectError(await call(t, 'GET', ppath(name)), 404, NOT_FOUND);
    const vhost = seg(uniq('no-such-vhost'));
    expectError(await call(t, 'GET', `/api/policies/${vhost}`), 404, NOT_FOUND);
    expectError(await call(t, 'PUT', ppath(name, vhost), { pattern: 'x', definition: { 'max-length': 1 } }), 404, {
      error: 'not_found',
      reason: 'vhost_not_found',
    });
  });

  test('a bad policy is 400 "Validation failed\\n\\n…\\n", with Erlang terms HTML-escaped inside the JSON string', async () => {
    const name = uniq('policy.invalid');
    cleanup.delete(t, ppath(name));
    const pattern = only(name);
    const failed = (text: string) => badRequest(`Validation failed\n\n${text}\n`);
    const cases: [Record<string, unknown>, unknown][] = [
      [{ pattern, definition: { 'max-length': 'five' } }, failed('&lt;&lt;"five"&gt;&gt; is not a valid maximum length')],
      [{ pattern, definition: { 'max-length': -1 } }, failed('-1 is not a valid maximum length')],
      [{ pattern, definition: { 'max-length-bytes': 'x' } }, failed('&lt;&lt;"x"&gt;&gt; is not a valid maximum length in bytes')],
      [{ pattern, definition: { 'message-ttl': 'x' } }, failed('&lt;&lt;"x"&gt;&gt; is not a valid message TTL')],
      [{ pattern, definition: { 'message-ttl': -1 } }, failed('-1 is not a valid message TTL')],
      [{ pattern, definition: { 'message-ttl': 1.5 } }, failed('1.5 is not a valid message TTL')],
      [{ pattern, definition: { expires: 0 } }, failed('0 is not a valid queue expiry')],
      [{ pattern, definition: { 'dead-letter-exchange': 5 } }, failed('5 is not a valid dead letter exchange name')],
      [{ pattern, definition: { 'alternate-exchange': 1 } }, failed('1 is not a valid alternate exchange name')],
      [{ pattern, definition: { overflow: 'nope' } }, failed('&lt;&lt;"nope"&gt;&gt; is not a valid overflow value')],
      [{ pattern, definition: { 'delivery-limit': 'x' } }, failed('&lt;&lt;"x"&gt;&gt; is not a valid delivery limit')],
      [{ pattern, definition: { 'queue-mode': 'bogus' } }, failed('&lt;&lt;"bogus"&gt;&gt; is not a valid queue-mode value')],
      [{ pattern, definition: { 'bogus-key': 1 } }, failed('[{&lt;&lt;"bogus-key"&gt;&gt;,1}] are not recognised policy settings')],
      [
        { pattern, definition: { 'max-length': 1, bogus: 2, other: 3 } },
        failed('[{&lt;&lt;"bogus"&gt;&gt;,2},{&lt;&lt;"other"&gt;&gt;,3}] are not recognised policy settings'),
      ],
      [{ pattern, definition: { 'max-priority': 5 } }, failed('[{&lt;&lt;"max-priority"&gt;&gt;,5}] are not recognised policy settings')],
      [{ pattern, definition: {} }, failed('no policy provided')],
      // the regular-expression engine's own complaint follows (RabbitMQ's PCRE: {"missing )",1})
      [{ pattern: '(', definition: { 'max-length': 1 } }, 'invalid pattern'],
      [
        { pattern, definition: { 'max-length': 1 }, 'apply-to': 'bogus' },
        failed("apply-to 'bogus' unrecognised; should be 'queues', 'exchanges' or 'all'"),
      ],
      [{ pattern, definition: { 'max-length': 1 }, priority: 'high' }, failed('priority should be a number, actually was &lt;&lt;"high"&gt;&gt;')],
      [{ definition: { 'max-length': 1 } }, badRequest('[{key_missing,pattern}]')],
      [{ pattern }, badRequest('[{key_missing,definition}]')],
    ];
    for (const [body, expected] of cases) {
      const r = await call(t, 'PUT', ppath(name), body);
      if (expected === 'invalid pattern') {
        expectStatus(r, 400);
        assert.equal(r.body.error, 'bad_request');
        assert.match(r.body.reason, /^Validation failed\n\npattern should be regular expression but is invalid: .+\n$/);
        if (!t.embedded) assert.equal(r.body.reason, failed('pattern should be regular expression but is invalid: {"missing )",1}').reason);
        continue;
      }
      expectError(r, 400, expected, JSON.stringify(body));
    }
    expectError(await call(t, 'GET', ppath(name)), 404, NOT_FOUND);
  });

  test('keys RabbitMQ 3.10 accepts without complaint: ha-mode, a lone dead-letter-routing-key', async () => {
    await newPolicy({ definition: { 'ha-mode': 'all' } });
    await newPolicy({ definition: { 'dead-letter-routing-key': 'k' } });
  });

  test("a matching queue shows the policy's name and effective definition, and obeys it", async () => {
    const q = uniq('policy.target');
    const name = uniq('policy.apply');
    await ok(t, 'PUT', `/api/queues/${ROOT}/${seg(q)}`, { durable: false }, 201);
    cleanup.delete(t, `/api/queues/${ROOT}/${seg(q)}`);
    await ok(t, 'PUT', ppath(name), { pattern: only(q), definition: { 'max-length': 2 }, 'apply-to': 'queues' }, 201);
    cleanup.delete(t, ppath(name));
    const conn = await amqpConnect(t);
    try {
      const ch = await conn.createChannel();
      // the queue takes the policy asynchronously; publish until the limit shows
      await poll(
        async () => {
          for (let i = 0; i < 3; i++) ch.sendToQueue(q, Buffer.from(`m${i}`));
          return (await ch.checkQueue(q)).messageCount;
        },
        (n) => n === 2,
        'max-length 2 applied',
        10_000,
        100,
      );
    } finally {
      await closeQuietly(conn);
    }
    const shown = await poll(
      () => get(t, `/api/queues/${ROOT}/${seg(q)}`),
      (b) => b.policy === name && hasShape(b.effective_policy_definition, { 'max-length': S.int }),
      'queue statistics naming the policy',
    );
    assert.deepEqual(shown.effective_policy_definition, { 'max-length': 2 });
  });
});

// ---------------------------------------------------------------------------------------------------

const DEFINITIONS_KEYS = [
  'rabbit_version',
  'rabbitmq_version',
  'product_name',
  'product_version',
  'users',
  'vhosts',
  'permissions',
  'topic_permissions',
  'parameters',
  'global_parameters',
  'policies',
  'queues',
  'exchanges',
  'bindings',
];

const DEFINITIONS = {
  rabbit_version: S.text,
  rabbitmq_version: S.text,
  product_name: S.text,
  product_version: S.text,
  users: S.arrayOf(
    S.exact({ name: S.string, password_hash: S.string, hashing_algorithm: S.string, tags: S.arrayOf(S.string), limits: S.object }),
    1,
  ),
  vhosts: S.arrayOf(S.exact({ name: S.string }), 1), // 3.10.8 exports only the name
  permissions: S.arrayOf(S.exact({ user: S.string, vhost: S.string, configure: S.string, write: S.string, read: S.string })),
  topic_permissions: S.array,
  parameters: S.array,
  global_parameters: S.arrayOf({ name: S.string, value: S.any }),
  policies: S.arrayOf(POLICY),
  queues: S.arrayOf(S.exact({ name: S.string, vhost: S.string, durable: S.bool, auto_delete: S.bool, arguments: S.object })),
  exchanges: S.arrayOf(
    S.exact({ name: S.string, vhost: S.string, type: S.string, durable: S.bool, auto_delete: S.bool, internal: S.bool, arguments: S.object }),
  ),
  bindings: S.arrayOf(
    S.exact({
      source: S.string,
      vhost: S.string,
      destination: S.string,
      destination_type: S.enum('queue', 'exchange'),
      routing_key: S.string,
      arguments: S.object,
    }),
  ),
};

/** A vhost holding one of everything, made over HTTP (and an exclusive queue over AMQP). */
async function populatedVhost(): Promise<string> {
  const v = uniq('defs');
  await ok(t, 'PUT', `/api/vhosts/${seg(v)}`, { description: 'definitions test' }, 201);
  cleanup.delete(t, `/api/vhosts/${seg(v)}`);
  const V = seg(v);
  await ok(t, 'PUT', `/api/queues/${V}/durable-q`, { durable: true, arguments: { 'x-max-length': 5 } }, 201);
  await ok(t, 'PUT', `/api/queues/${V}/transient-q`, { durable: false, auto_delete: true }, 201);
  await ok(t, 'PUT', `/api/exchanges/${V}/ex`, { type: 'topic', durable: true, internal: true }, 201);
  await ok(t, 'POST', `/api/bindings/${V}/e/ex/q/durable-q`, { routing_key: 'k.#', arguments: { a: 1 } }, 201);
  await ok(t, 'POST', `/api/bindings/${V}/e/ex/e/amq.topic`, { routing_key: 'fwd' }, 201);
  await ok(t, 'PUT', `/api/policies/${V}/pol`, { pattern: '^nothing$', definition: { 'max-length': 3 }, priority: 2, 'apply-to': 'queues' }, 201);
  return v;
}

describe('GET /api/definitions', () => {
  test('has exactly the export keys, each entry shaped as RabbitMQ writes it; our objects are in it', async () => {
    const v = await populatedVhost();
    const url = new URL(t.amqpUrl);
    url.pathname = `/${encodeURIComponent(v)}`;
    const conn = await amqpConnect(t, undefined, url.href);
    try {
      const ch = await conn.createChannel();
      await ch.assertQueue('exclusive-q', { exclusive: true });
      const defs = await get(t, '/api/definitions');
      assert.deepEqual(Object.keys(defs).sort(), [...DEFINITIONS_KEYS].sort());
      assertShape(defs, DEFINITIONS, 'definitions');
      assert.ok(defs.users.some((u: { name: string }) => u.name === 'guest'));
      assert.deepEqual(
        defs.vhosts.filter((x: { name: string }) => x.name === v),
        [{ name: v }],
      );
      assert.deepEqual(
        defs.permissions.filter((p: { vhost: string }) => p.vhost === v),
        [{ user: 'guest', vhost: v, configure: '.*', write: '.*', read: '.*' }],
      );
      type Entry = Record<string, any>;
      const mine = (list: Entry[]): Entry[] => list.filter((x) => x.vhost === v);
      // exclusive queues are left out; non-durable and auto-delete ones are exported
      assert.deepEqual(
        mine(defs.queues).sort((a, b) => a.name.localeCompare(b.name)),
        [
          { name: 'durable-q', vhost: v, durable: true, auto_delete: false, arguments: { 'x-max-length': 5 } },
          { name: 'transient-q', vhost: v, durable: false, auto_delete: true, arguments: {} },
        ],
      );
      // no default or amq.* exchanges, no default-exchange bindings
      assert.deepEqual(mine(defs.exchanges), [
        { name: 'ex', vhost: v, type: 'topic', durable: true, auto_delete: false, internal: true, arguments: {} },
      ]);
      assert.deepEqual(
        mine(defs.bindings).sort((a, b) => a.destination.localeCompare(b.destination)),
        [
          { source: 'ex', vhost: v, destination: 'amq.topic', destination_type: 'exchange', routing_key: 'fwd', arguments: {} },
          { source: 'ex', vhost: v, destination: 'durable-q', destination_type: 'queue', routing_key: 'k.#', arguments: { a: 1 } },
        ],
      );
      assert.deepEqual(mine(defs.policies), [
        { vhost: v, name: 'pol', pattern: '^nothing$', 'apply-to': 'queues', definition: { 'max-length': 3 }, priority: 2 },
      ]);
    } finally {
      await closeQuietly(conn);
    }
  });

  test('/api/definitions/{vhost}: rabbit_version, parameters, policies, queues, exchanges, bindings; only policies keep "vhost"; missing vhost 400', async () => {
    const v = await populatedVhost();
    const defs = await get(t, `/api/definitions/${seg(v)}`);
    assert.deepEqual(Object.keys(defs).sort(), ['bindings', 'exchanges', 'parameters', 'policies', 'queues', 'rabbit_version']);
    assertShape(defs, {
      rabbit_version: S.text,
      parameters: S.array,
      policies: S.arrayOf(POLICY),
      queues: S.arrayOf(S.exact({ name: S.string, durable: S.bool, auto_delete: S.bool, arguments: S.object })),
      exchanges: S.arrayOf(
        S.exact({ name: S.string, type: S.string, durable: S.bool, auto_delete: S.bool, internal: S.bool, arguments: S.object }),
      ),
      bindings: S.arrayOf(
        S.exact({ source: S.string, destination: S.string, destination_type: S.string, routing_key: S.string, arguments: S.object }),
      ),
    });
    assert.equal(defs.queues.length, 2);
    assert.equal(defs.exchanges.length, 1);
    assert.equal(defs.bindings.length, 2);
    assert.deepEqual(defs.policies, [
      { vhost: v, name: 'pol', pattern: '^nothing$', 'apply-to': 'queues', definition: { 'max-length': 3 }, priority: 2 },
    ]);
    // a missing vhost is a 400 here, not a 404
    expectError(await call(t, 'GET', `/api/definitions/${seg(uniq('no-such-vhost'))}`), 400, badRequest('vhost_not_found'));
  });

  test('?download=<file> adds Content-Disposition: attachment; filename=<file>', async () => {
    const r = await rawCall(t, 'GET', '/api/definitions?download=backup.json', { headers: { authorization: t.auth() } });
    expectStatus(r, 200);
    assert.equal(r.headers.get('content-disposition'), 'attachment; filename=backup.json');
    assert.match(r.headers.get('content-type') ?? '', /^application\/json/);
    assert.ok(JSON.parse(r.text).rabbit_version);
  });
});

describe('POST /api/definitions', () => {
  function sha256Hash(password: string): string {
    const salt = randomBytes(4);
    return Buffer.concat([salt, createHash('sha256').update(Buffer.concat([salt, Buffer.from(password)])).digest()]).toString('base64');
  }

  test('imports users, vhosts, permissions, policies, queues, exchanges and bindings (204); exporting gives them back', async () => {
    const v = uniq('import');
    const user = uniq('import.user');
    cleanup.delete(t, `/api/vhosts/${seg(v)}`);
    cleanup.delete(t, `/api/users/${seg(user)}`);
    const hash = sha256Hash('imported-pw');
    const policies = [{ vhost: v, name: 'p1', pattern: '^q1$', 'apply-to': 'queues', definition: { 'max-length': 3 }, priority: 1 }];
    const queues = [
      { name: 'q1', vhost: v, durable: true, auto_delete: false, arguments: { 'x-queue-type': 'classic' } },
      { name: 'q2', vhost: v, durable: false, auto_delete: false, arguments: {} },
    ];
    const exchanges = [{ name: 'e1', vhost: v, type: 'topic', durable: true, auto_delete: false, internal: false, arguments: {} }];
    const bindings = [{ source: 'e1', vhost: v, destination: 'q1', destination_type: 'queue', routing_key: 'k.#', arguments: {} }];
    const r = await call(t, 'POST', '/api/definitions', {
      users: [{ name: user, password_hash: hash, hashing_algorithm: 'rabbit_password_hashing_sha256', tags: ['management'], limits: {} }],
      vhosts: [{ name: v, description: 'imported', tags: ['x'] }],
      permissions: [{ user, vhost: v, configure: '.*', write: 'w', read: 'r' }],
      policies,
      queues,
      exchanges,
      bindings,
    });
    expectStatus(r, 204);
    assert.equal(r.text, '');
    // the vhost, with its description; the importing user is given full permissions on it
    const vhost = await get(t, `/api/vhosts/${seg(v)}`);
    assert.equal(vhost.description, 'imported');
    assert.deepEqual(vhost.tags, ['x']);
    const perms = await get(t, `/api/vhosts/${seg(v)}/permissions`);
    assert.deepEqual(
      perms.sort((a: { user: string }, b: { user: string }) => a.user.localeCompare(b.user)),
      [
        { vhost: v, user: 'guest', configure: '.*', write: '.*', read: '.*' },
        { vhost: v, user, configure: '.*', write: 'w', read: 'r' },
      ].sort((a, b) => a.user.localeCompare(b.user)),
    );
    // the user, with the hash as given, can log in
    const u = await get(t, `/api/users/${seg(user)}`);
    assert.equal(u.password_hash, hash);
    assert.deepEqual(u.tags, ['management']);
    expectStatus(await call(t, 'GET', '/api/whoami', undefined, [user, 'imported-pw']), 200);
    // the objects round-trip through the vhost export
    const defs = await get(t, `/api/definitions/${seg(v)}`);
    const strip = <T extends { vhost: string }>(list: T[]) => list.map(({ vhost: _vhost, ...rest }) => rest);
    const byName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name);
    assert.deepEqual(defs.queues.sort(byName), strip(queues).sort(byName));
    assert.deepEqual(defs.exchanges, strip(exchanges));
    assert.deepEqual(defs.bindings, strip(bindings));
    assert.deepEqual(defs.policies, policies);
    // and they work: e1 routes k.# to q1
    assert.deepEqual(
      await ok(t, 'POST', `/api/exchanges/${seg(v)}/e1/publish`, { properties: {}, routing_key: 'k.x', payload: 'p', payload_encoding: 'string' }),
      { routed: true },
    );
  });

  test('POST /api/definitions/{vhost} imports into that vhost, whatever vhost the entries name', async () => {
    const v = uniq('import.vhost');
    await ok(t, 'PUT', `/api/vhosts/${seg(v)}`, {}, 201);
    cleanup.delete(t, `/api/vhosts/${seg(v)}`);
    const r = await call(t, 'POST', `/api/definitions/${seg(v)}`, {
      queues: [
        { name: 'a', durable: true, auto_delete: false, arguments: {} },
        { name: 'b', vhost: uniq('elsewhere'), durable: true, auto_delete: false, arguments: {} },
      ],
      exchanges: [],
      bindings: [],
    });
    expectStatus(r, 204);
    const names = (await get(t, `/api/queues/${seg(v)}`)).map((q: { name: string }) => q.name).sort();
    assert.deepEqual(names, ['a', 'b']);
  });

  test('importing over existing objects is not an error and changes nothing; a binding from a missing exchange is skipped', async () => {
    const v = await populatedVhost();
    const before = await get(t, `/api/definitions/${seg(v)}`);
    expectStatus(
      await call(t, 'POST', '/api/definitions', {
        queues: [{ name: 'durable-q', vhost: v, durable: true, auto_delete: false, arguments: { 'x-max-length': 6 } }],
        bindings: [{ source: 'missing-ex', vhost: v, destination: 'durable-q', destination_type: 'queue', routing_key: '', arguments: {} }],
      }),
      204,
    );
    assert.deepEqual(await get(t, `/api/definitions/${seg(v)}`), before);
  });

  test('errors: not JSON or not an object (400 failed_to_parse_json), a missing vhost (400 ["no_such_vhost", name], or 404 in the URL), a bad policy', async () => {
    expectError(await call(t, 'POST', '/api/definitions', 'not json'), 400, badRequest('failed_to_parse_json'));
    expectError(await call(t, 'POST', '/api/definitions', '[]'), 400, badRequest('failed_to_parse_json'));
    const missing = uniq('no-such-vhost');
    expectError(
      await call(t, 'POST', '/api/definitions', { queues: [{ name: 'q', vhost: missing, durable: true, auto_delete: false, arguments: {} }] }),
      400,
      badRequest(['no_such_vhost', missing]),
    );
    expectError(
      await call(t, 'POST', '/api/definitions', { queues: [{ name: 'q', durable: true, auto_delete: false, arguments: {} }] }),
      400,
      badRequest(['no_such_vhost', 'undefined']),
    );
    // POST to a missing vhost is 404 (GET of one is 400)
    expectError(await call(t, 'POST', `/api/definitions/${seg(missing)}`, { queues: [] }), 404, {
      error: 'not_found',
      reason: 'vhost_not_found',
    });
    const v = uniq('import.badpolicy');
    await ok(t, 'PUT', `/api/vhosts/${seg(v)}`, {}, 201);
    cleanup.delete(t, `/api/vhosts/${seg(v)}`);
    expectError(
      await call(t, 'POST', '/api/definitions', { policies: [{ vhost: v, name: 'p2', pattern: 'x', definition: { bogus: 1 } }] }),
      400,
      badRequest(`Validation failed\n\n[{&lt;&lt;"bogus"&gt;&gt;,1}] are not recognised policy settings\n (${v}/p2)`),
    );
  });

  test('an empty object or unknown keys import nothing and succeed (204)', async () => {
    expectStatus(await call(t, 'POST', '/api/definitions', {}), 204);
    expectStatus(await call(t, 'POST', '/api/definitions', { 'not-a-section': [1, 2] }), 204);
  });
});
