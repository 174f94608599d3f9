// /api/users, /api/vhosts, /api/permissions and who may call what (user tags), as RabbitMQ 3.10's
// management API does it. Every refusal here is 401: RabbitMQ 3.10 never answers 403.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { managementTarget, type ManagementTarget } from '../helpers/management.js';
import { S, assertShape } from './shape.js';
import {
  Cleanup,
  NOT_FOUND,
  ROOT,
  amqpConnect,
  badRequest,
  call,
  closeQuietly,
  createUser,
  expectError,
  expectStatus,
  get,
  ok,
  rawCall,
  seg,
  uniq,
} from './support.js';

const USER = S.exact({
  name: S.string,
  password_hash: S.string,
  hashing_algorithm: S.string,
  tags: S.arrayOf(S.string),
  limits: S.object,
});

const VHOST = {
  name: S.string,
  description: S.string,
  tags: S.arrayOf(S.string),
  default_queue_type: S.string,
  metadata: S.exact({ description: S.string, tags: S.arrayOf(S.string) }),
  tracing: S.bool,
  cluster_state: S.record(S.string),
};

const PERMISSION = S.exact({ user: S.string, vhost: S.string, configure: S.string, write: S.string, read: S.string });

const LOGIN_FAILED = { error: 'not_authorized', reason: 'Login failed' }; // sic: "authorized" with a z
const refused = (reason: string) => ({ error: 'not_authorised', reason }); // ... and "authorised" with an s

/** RabbitMQ's salted password hash: base64(salt ++ H(salt ++ password)) with a 4-byte salt. */
function saltedHash(password: string, algorithm: 'sha256' | 'sha512' | 'md5', salt = randomBytes(4)): string {
  const digest = createHash(algorithm).update(Buffer.concat([salt, Buffer.from(password, 'utf8')])).digest();
  return Buffer.concat([salt, digest]).toString('base64');
}

let t: ManagementTarget;
const cleanup = new Cleanup();

before(async () => {
  t = await managementTarget();
});
after(async () => {
  await cleanup.run();
  await t.close();
});

const upath = (name: string) => `/api/users/${seg(name)}`;
const vpath = (name: string) => `/api/vhosts/${seg(name)}`;

async function whoami(user: [string, string]): Promise<number> {
  return (await call(t, 'GET', '/api/whoami', undefined, user)).status;
}

describe('/api/users', () => {
  test('PUT with a password and comma-separated tags: 201; GET shows name, password_hash, hashing_algorithm, tags, limits', async () => {
    const name = uniq('user');
    const created = await call(t, 'PUT', upath(name), { password: 's3cret', tags: 'management,policymaker' });
    cleanup.delete(t, upath(name));
    expectStatus(created, 201);
    assert.equal(created.text, '');
    const u = await get(t, upath(name));
    assertShape(u, USER);
    assert.equal(u.name, name);
    assert.deepEqual(u.tags, ['management', 'policymaker']);
    assert.equal(u.hashing_algorithm, 'rabbit_password_hashing_sha256');
    assert.deepEqual(u.limits, {});
    // the hash is base64 of a 4-byte salt and SHA-256(salt ++ password)
    const raw = Buffer.from(u.password_hash, 'base64');
    assert.equal(raw.length, 36);
    assert.equal(u.password_hash, saltedHash('s3cret', 'sha256', raw.subarray(0, 4)));
    assert.equal(await whoami([name, 's3cret']), 200);
    assert.equal(await whoami([name, 'wrong']), 401);
  });

  test('PUT again (tags as an array) is 204 and replaces the tags; the password changes', async () => {
    const name = uniq('user.update');
    await createUser(t, cleanup, name, 'management', { password: 'one' });
    expectStatus(await call(t, 'PUT', upath(name), { password: 'two', tags: ['monitoring'] }), 204);
    assert.deepEqual((await get(t, upath(name))).tags, ['monitoring']);
    assert.equal(await whoami([name, 'two']), 200);
    assert.equal(await whoami([name, 'one']), 401);
  });

  test('password_hash + hashing_algorithm: stored as given, and the password logs in (sha256, sha512, md5)', async () => {
    for (const [algorithm, name] of [
      ['sha256', 'rabbit_password_hashing_sha256'],
      ['sha512', 'rabbit_password_hashing_sha512'],
      ['md5', 'rabbit_password_hashing_md5'],
    ] as const) {
      const user = uniq(`user.hash-${algorithm}`);
      const hash = saltedHash('from-a-hash', algorithm);
      expectStatus(await call(t, 'PUT', upath(user), { password_hash: hash, hashing_algorithm: name, tags: 'management' }), 201);
      cleanup.delete(t, upath(user));
      const u = await get(t, upath(user));
      assert.equal(u.password_hash, hash);
      assert.equal(u.hashing_algorithm, name);
      assert.equal(await whoami([user, 'from-a-hash']), 200, `${algorithm} login`);
      expectError(await call(t, 'GET', '/api/whoami', undefined, [user, 'nope']), 401, LOGIN_FAILED);
    }
  });

  test('hashing_algorithm is ignored with a plain password (SHA-256 is used) and stored verbatim, unchecked, with a hash', async () => {
    const withPassword = uniq('user.algo-ignored');
    await ok(t, 'PUT', upath(withPassword), { password: 'x', tags: '', hashing_algorithm: 'rabbit_password_hashing_md5' }, 201);
    cleanup.delete(t, upath(withPassword));
    assert.equal((await get(t, upath(withPassword))).hashing_algorithm, 'rabbit_password_hashing_sha256');
    const bogus = uniq('user.algo-bogus');
    const hash = saltedHash('x', 'sha256');
    expectStatus(await call(t, 'PUT', upath(bogus), { password_hash: hash, hashing_algorithm: 'no-such-algorithm', tags: '' }), 201);
    cleanup.delete(t, upath(bogus));
    assert.equal((await get(t, upath(bogus))).hashing_algorithm, 'no-such-algorithm');
  });

  test('a user with no password, or an empty password_hash, exists but cannot log in', async () => {
    const nopw = uniq('user.nopw');
    expectStatus(await call(t, 'PUT', upath(nopw), { tags: 'management' }), 201);
    cleanup.delete(t, upath(nopw));
    assertShape(await get(t, upath(nopw)), USER);
    expectError(await call(t, 'GET', '/api/whoami', undefined, [nopw, '']), 401, LOGIN_FAILED);
    const emptyHash = uniq('user.emptyhash');
    expectStatus(await call(t, 'PUT', upath(emptyHash), { password_hash: '', tags: 'management' }), 201);
    cleanup.delete(t, upath(emptyHash));
    assert.equal((await get(t, upath(emptyHash))).password_hash, '');
    expectError(await call(t, 'GET', '/api/whoami', undefined, [emptyHash, '']), 401, LOGIN_FAILED);
  });

  test('validation: both password and hash, no tags, a hash that is not base64', async () => {
    const name = uniq('user.invalid');
    cleanup.delete(t, upath(name));
    expectError(
      await call(t, 'PUT', upath(name), { password: 'x', password_hash: saltedHash('x', 'sha256'), tags: '' }),
      400,
      badRequest('both_password_and_password_hash_are_provided'),
    );
    expectError(await call(t, 'PUT', upath(name), { password: 'x' }), 400, badRequest('tags_not_present'));
    expectError(await call(t, 'PUT', upath(name), { password_hash: 'not base64!', tags: '' }), 400, badRequest(['not_base64', 'not base64!']));
    expectError(await call(t, 'GET', upath(name)), 404, NOT_FOUND);
  });

  test('DELETE: 204, then 404; GET of a missing user is 404', async () => {
    const name = uniq('user.delete');
    await ok(t, 'PUT', upath(name), { password: 'x', tags: '' }, 201);
    const del = await call(t, 'DELETE', upath(name));
    expectStatus(del, 204);
    assert.equal(del.text, '');
    expectError(await call(t, 'DELETE', upath(name)), 404, NOT_FOUND);
    expectError(await call(t, 'GET', upath(name)), 404, NOT_FOUND);
  });

  test('/api/users lists users; /api/users/without-permissions only those with no permissions anywhere', async () => {
    const name = uniq('user.list');
    await createUser(t, cleanup, name, 'monitoring');
    const all = await get(t, '/api/users');
    assertShape(all, S.arrayOf(USER, 2));
    assert.ok(all.some((u: { name: string }) => u.name === name));
    assert.ok(all.some((u: { name: string }) => u.name === 'guest'));
    const lonely = await get(t, '/api/users/without-permissions');
    assertShape(lonely, S.arrayOf(USER));
    assert.ok(lonely.some((u: { name: string }) => u.name === name));
    assert.ok(!lonely.some((u: { name: string }) => u.name === 'guest'));
    await ok(t, 'PUT', `/api/permissions/${ROOT}/${seg(name)}`, { configure: '', write: '', read: '.*' }, 201);
    assert.ok(!(await get(t, '/api/users/without-permissions')).some((u: { name: string }) => u.name === name));
  });

  test('/api/users/{name}/permissions and /topic-permissions: [] at first, then the permissions granted', async () => {
    const name = uniq('user.perms');
    await createUser(t, cleanup, name, 'management');
    assert.deepEqual(await get(t, `${upath(name)}/permissions`), []);
    assert.deepEqual(await get(t, `${upath(name)}/topic-permissions`), []);
    await ok(t, 'PUT', `/api/permissions/${ROOT}/${seg(name)}`, { configure: '^c', write: '^w', read: '^r' }, 201);
    assert.deepEqual(await get(t, `${upath(name)}/permissions`), [
      { user: name, vhost: '/', configure: '^c', write: '^w', read: '^r' },
    ]);
  });
});

describe('/api/vhosts', () => {
  test('PUT with description and tags: 201; again: 204; GET shows name, description, tags, metadata, tracing, cluster_state', async () => {
    const name = uniq('vhost');
    const created = await call(t, 'PUT', vpath(name), { description: 'first', tags: 'alpha,beta', default_queue_type: 'quorum' });
    cleanup.delete(t, vpath(name));
    expectStatus(created, 201);
    assert.equal(created.text, '');
    const v = await get(t, vpath(name));
    assertShape(v, VHOST);
    assert.equal(v.name, name);
    assert.equal(v.description, 'first');
    assert.deepEqual(v.tags, ['alpha', 'beta']);
    assert.deepEqual(v.metadata, { description: 'first', tags: ['alpha', 'beta'] });
    assert.equal(v.tracing, false);
    assert.deepEqual(Object.values(v.cluster_state), ['running']);
    // 3.10 ignores default_queue_type and reports the string "undefined"; Warren applies it and shows it
    assert.equal(v.default_queue_type, t.embedded ? 'quorum' : 'undefined');
    expectStatus(await call(t, 'PUT', vpath(name), { description: 'second', tags: ['gamma'] }), 204);
    const v2 = await get(t, vpath(name));
    assert.equal(v2.description, 'second');
    assert.deepEqual(v2.tags, ['gamma']);
  });

  test('an empty body creates a vhost with description "" and no tags; /api/vhosts lists it', async () => {
    const name = uniq('vhost.empty');
    expectStatus(await call(t, 'PUT', vpath(name), ''), 201);
    cleanup.delete(t, vpath(name));
    const v = await get(t, vpath(name));
    assert.equal(v.description, '');
    assert.deepEqual(v.tags, []);
    const list = await get(t, '/api/vhosts');
    assertShape(list, S.arrayOf(VHOST, 2));
    assert.ok(list.some((x: { name: string }) => x.name === name));
    assert.ok(list.some((x: { name: string }) => x.name === '/'));
  });

  test('the user who creates a vhost gets full permissions on it; objects can be made in it, over HTTP and AMQP', async () => {
    const name = uniq('vhost.use');
    await ok(t, 'PUT', vpath(name), {}, 201);
    cleanup.delete(t, vpath(name));
    assert.deepEqual(await get(t, `${vpath(name)}/permissions`), [
      { vhost: name, user: 'guest', configure: '.*', write: '.*', read: '.*' },
    ]);
    await ok(t, 'PUT', `/api/queues/${seg(name)}/q1`, { durable: false }, 201);
    const url = new URL(t.amqpUrl);
    url.pathname = `/${encodeURIComponent(name)}`;
    const conn = await amqpConnect(t, undefined, url.href);
    try {
      const ch = await conn.createChannel();
      assert.equal((await ch.checkQueue('q1')).queue, 'q1');
    } finally {
      await closeQuietly(conn);
    }
    const queues = await get(t, `/api/queues/${seg(name)}`);
    assert.deepEqual(
      queues.map((q: { name: string; vhost: string }) => [q.name, q.vhost]),
      [['q1', name]],
    );
  });

  test('DELETE: 204 and its queues go with it; then 404; GET of a missing vhost is 404', async () => {
    const name = uniq('vhost.delete');
    await ok(t, 'PUT', vpath(name), {}, 201);
    await ok(t, 'PUT', `/api/queues/${seg(name)}/q1`, { durable: false }, 201);
    const del = await call(t, 'DELETE', vpath(name));
    expectStatus(del, 204);
    assert.equal(del.text, '');
    expectError(await call(t, 'GET', vpath(name)), 404, NOT_FOUND);
    expectError(await call(t, 'GET', `/api/queues/${seg(name)}/q1`), 404, NOT_FOUND);
    expectError(await call(t, 'DELETE', vpath(name)), 404, NOT_FOUND);
  });
});

describe('/api/permissions/{vhost}/{user}', () => {
  test('PUT: 201, again 204; GET {user, vhost, configure, write, read}; listed per vhost, per user and in /api/permissions', async () => {
    const user = uniq('perm.user');
    await createUser(t, cleanup, user, 'management');
    const path = `/api/permissions/${ROOT}/${seg(user)}`;
    const created = await call(t, 'PUT', path, { configure: '^a', write: '^b', read: '^c' });
    expectStatus(created, 201);
    assert.equal(created.text, '');
    expectStatus(await call(t, 'PUT', path, { configure: '^a', write: '^b', read: '^c' }), 204);
    const p = await get(t, path);
    assertShape(p, PERMISSION);
    assert.deepEqual(p, { user, vhost: '/', configure: '^a', write: '^b', read: '^c' });
    const perVhost = await get(t, `/api/vhosts/${ROOT}/permissions`);
    assertShape(perVhost, S.arrayOf(PERMISSION));
    assert.ok(perVhost.some((x: { user: string }) => x.user === user));
    const all = await get(t, '/api/permissions');
    assertShape(all, S.arrayOf(PERMISSION));
    assert.ok(all.some((x: { user: string; vhost: string }) => x.user === user && x.vhost === '/'));
  });

  test('DELETE: 204, then 404; GET of missing permissions is 404', async () => {
    const user = uniq('perm.delete');
    await createUser(t, cleanup, user, 'management');
    const path = `/api/permissions/${ROOT}/${seg(user)}`;
    await ok(t, 'PUT', path, { configure: '', write: '', read: '' }, 201);
    expectStatus(await call(t, 'DELETE', path), 204);
    expectError(await call(t, 'DELETE', path), 404, NOT_FOUND);
    expectError(await call(t, 'GET', path), 404, NOT_FOUND);
  });

  test('validation: missing keys, unknown user or vhost (400 vhost_or_user_not_found), a bad regex', async () => {
    const user = uniq('perm.invalid');
    await createUser(t, cleanup, user, 'management');
    const path = `/api/permissions/${ROOT}/${seg(user)}`;
    expectError(await call(t, 'PUT', path, { configure: '.*' }), 400, badRequest('[{key_missing,write},{key_missing,read}]'));
    const full = { configure: '', write: '', read: '' };
    expectError(await call(t, 'PUT', `/api/permissions/${ROOT}/${seg(uniq('nobody'))}`, full), 400, badRequest('vhost_or_user_not_found'));
    expectError(
      await call(t, 'PUT', `/api/permissions/${seg(uniq('no-such-vhost'))}/${seg(user)}`, full),
      400,
      badRequest('vhost_or_user_not_found'),
    );
    const bad = await call(t, 'PUT', path, { configure: '(', write: '', read: '' });
    expectStatus(bad, 400);
    assert.equal(bad.body.error, 'bad_request');
    expectError(await call(t, 'GET', path), 404, NOT_FOUND);
  });

  test('configure permission decides which queues a management user may declare over HTTP', async () => {
    const user = await createUser(t, cleanup, uniq('perm.effect'), 'management');
    await ok(t, 'PUT', `/api/permissions/${ROOT}/${seg(user[0])}`, { configure: '^allowed\\.', write: '.*', read: '.*' }, 201);
    const allowed = `allowed.${uniq('q')}`;
    const denied = `denied.${uniq('q')}`;
    cleanup.delete(t, `/api/queues/${ROOT}/${seg(allowed)}`);
    cleanup.delete(t, `/api/queues/${ROOT}/${seg(denied)}`);
    expectStatus(await call(t, 'PUT', `/api/queues/${ROOT}/${seg(allowed)}`, { durable: false }, user), 201);
    expectError(await call(t, 'PUT', `/api/queues/${ROOT}/${seg(denied)}`, { durable: false }, user), 401, refused('Access refused.'));
  });
});

describe('authentication', () => {
  test('no credentials: 401 with an empty body and WWW-Authenticate: Basic realm="RabbitMQ Management"', async () => {
    const r = await rawCall(t, 'GET', '/api/overview');
    expectStatus(r, 401);
    assert.equal(r.text, '');
    assert.equal(r.headers.get('www-authenticate'), 'Basic realm="RabbitMQ Management"');
  });

  test('a wrong password or an unknown user: 401 {"error":"not_authorized","reason":"Login failed"} with WWW-Authenticate', async () => {
    for (const creds of [
      ['guest', 'not-the-password'],
      [uniq('nobody'), 'x'],
    ] as [string, string][]) {
      const r = await call(t, 'GET', '/api/overview', undefined, creds);
      expectError(r, 401, LOGIN_FAILED, creds[0]);
      assert.equal(r.headers.get('www-authenticate'), 'Basic realm="RabbitMQ Management"');
    }
  });

  test('a user without tags cannot use the API: 401 "Not management user", without WWW-Authenticate', async () => {
    const user = await createUser(t, cleanup, uniq('auth.notags'), '', { permitRoot: true });
    const r = await call(t, 'GET', '/api/whoami', undefined, user);
    expectError(r, 401, refused('Not management user'));
    assert.equal(r.headers.get('www-authenticate'), null);
  });
});

describe('authorization by user tag (every refusal is 401 with a reason)', () => {
  const tags = ['', 'monitoring', 'management', 'policymaker', 'administrator'] as const;
  type Tag = (typeof tags)[number];
  const users = new Map<Tag, [string, string]>();
  const vhostForAdmin = uniq('authz.vhost');
  const policy = uniq('authz.policy');

  before(async () => {
    for (const tag of tags) {
      // management and policymaker users get permissions on '/'; the others get none
      const permitRoot = tag === 'management' || tag === 'policymaker';
      users.set(tag, await createUser(t, cleanup, uniq(`authz.${tag || 'none'}`), tag, { permitRoot }));
    }
    cleanup.delete(t, vpath(vhostForAdmin));
    cleanup.delete(t, `/api/policies/${ROOT}/${seg(policy)}`);
  });

  const NOT_MANAGEMENT = refused('Not management user');
  const NOT_ADMIN = refused('Not administrator user');
  const NOT_MONITOR = refused('Not monitor user');
  const NO_VHOST = refused('User not authorised to access virtual host');
  const NO_OBJECT = refused('User not authorised to access object');
  type Expect = number | { error: string; reason: string };
  // for each request, what each user gets, in the order of `tags`: a status (success) or a 401 body
  const matrix: [string, string, unknown, Expect[]][] = [
    ['GET', '/api/whoami', undefined, [NOT_MANAGEMENT, 200, 200, 200, 200]],
    ['GET', '/api/overview', undefined, [NOT_MANAGEMENT, 200, 200, 200, 200]],
    ['GET', '/api/users', undefined, [NOT_MANAGEMENT, NOT_ADMIN, NOT_ADMIN, NOT_ADMIN, 200]],
    ['GET', '/api/definitions', undefined, [NOT_MANAGEMENT, NOT_ADMIN, NOT_ADMIN, NOT_ADMIN, 200]],
    ['GET', '/api/nodes', undefined, [NOT_MANAGEMENT, 200, NOT_MONITOR, NOT_MONITOR, 200]],
    ['GET', '/api/queues', undefined, [NOT_MANAGEMENT, 200, 200, 200, 200]],
    ['GET', '/api/connections', undefined, [NOT_MANAGEMENT, 200, 200, 200, 200]],
    ['GET', '/api/vhosts', undefined, [NOT_MANAGEMENT, 200, 200, 200, 200]],
    ['GET', '/api/policies', undefined, [NOT_MANAGEMENT, 200, 200, 200, 200]],
    ['GET', '/api/health/checks/alarms', undefined, [NOT_MANAGEMENT, 200, 200, 200, 200]],
    // the monitoring user has no permissions on '/'; the administrator has none either, but may read
    ['GET', `/api/queues/${ROOT}`, undefined, [NOT_MANAGEMENT, NO_VHOST, 200, 200, 200]],
    ['GET', `/api/exchanges/${ROOT}/amq.direct`, undefined, [NOT_MANAGEMENT, NO_VHOST, 200, 200, 200]],
    ['PUT', vpath(vhostForAdmin), {}, [NOT_MANAGEMENT, NOT_ADMIN, NOT_ADMIN, NOT_ADMIN, 201]],
    [
      'PUT',
      `/api/policies/${ROOT}/${seg(policy)}`,
      { pattern: `^${policy}$`, definition: { 'max-length': 1 } },
      [NOT_MANAGEMENT, NO_OBJECT, NO_OBJECT, 201, 204],
    ],
    ['DELETE', vpath(vhostForAdmin), undefined, [NOT_MANAGEMENT, NOT_ADMIN, NOT_ADMIN, NOT_ADMIN, 204]],
  ];

  for (const [method, path, body, expected] of matrix) {
    test(`${method} ${path.replace(/mgmt\.authz\.[^/]*/, '…')}`, async () => {
      for (const [i, tag] of tags.entries()) {
        const want = expected[i]!;
        const r = await call(t, method, path, body, users.get(tag)!);
        const who = `user tagged '${tag}'`;
        if (typeof want === 'number') expectStatus(r, want, who);
        else {
          expectError(r, 401, want, who);
          assert.equal(r.headers.get('www-authenticate'), null, `${who}: no WWW-Authenticate on a refusal`);
        }
      }
    });
  }

  test('a management user without permissions on a vhost sees none of its objects', async () => {
    const user = await createUser(t, cleanup, uniq('authz.blind'), 'management');
    for (const path of ['/api/queues', '/api/exchanges', '/api/vhosts', '/api/connections', '/api/channels']) {
      const r = await call(t, 'GET', path, undefined, user);
      expectStatus(r, 200, path);
      assert.deepEqual(r.body, [], path);
    }
  });
});
