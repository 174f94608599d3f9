// Status codes and error bodies of RabbitMQ 3.10's management API: JSON {"error", "reason"} for 400, 401
// (with credentials), 404; empty bodies for 401 without credentials and for 405. Path and method are
// checked before credentials: an unknown path is 404 and a wrong method 405 even without them.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { managementTarget, type ManagementTarget } from '../helpers/management.js';
import {
  Cleanup,
  NOT_FOUND,
  ROOT,
  badRequest,
  call,
  expectError,
  expectStatus,
  get,
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

const REALM = 'Basic realm="RabbitMQ Management"';

describe('400 Bad Request', () => {
  test('a body that is not JSON, or JSON that is not an object: {"error":"bad_request","reason":"not_json"}', async () => {
    const q = uniq('err.q');
    cleanup.delete(t, `/api/queues/${ROOT}/${seg(q)}`);
    for (const [path, body] of [
      [`/api/queues/${ROOT}/${seg(q)}`, '{bad json'],
      [`/api/queues/${ROOT}/${seg(q)}`, '[1,2]'],
      [`/api/exchanges/${ROOT}/${seg(q)}`, '{bad'],
      [`/api/users/${seg(q)}`, '{"password":'],
      [`/api/vhosts/${seg(q)}`, 'nope'],
    ]) {
      expectError(await call(t, 'PUT', path!, body), 400, badRequest('not_json'), `${path} ${body}`);
    }
    expectError(await call(t, 'GET', `/api/queues/${ROOT}/${seg(q)}`), 404, NOT_FOUND, 'nothing was created');
  });

  test('a body over the size limit: 400 "Exceeded HTTP request body size limit" (not 413); the listener goes on answering', async () => {
    // Over both limits: RabbitMQ 3.10 refuses from about 8 MB, Warren above 64 MiB.
    const body = `{"vhosts":[{"name":"${'x'.repeat(65 * 1024 * 1024)}"}]}`;
    expectError(await call(t, 'POST', '/api/definitions', body), 400, badRequest('Exceeded HTTP request body size limit'));
    assert.equal((await call(t, 'GET', '/api/whoami')).status, 200, 'the listener still answers');
  });

  test('a JSON string body is called out as doubly-encoded', async () => {
    const q = uniq('err.q');
    cleanup.delete(t, `/api/queues/${ROOT}/${seg(q)}`);
    expectError(
      await call(t, 'PUT', `/api/queues/${ROOT}/${seg(q)}`, JSON.stringify(JSON.stringify({ durable: false }))),
      400,
      badRequest('invalid payload: the request body JSON-decoded to a string. Is the input doubly-JSON-encoded?'),
    );
  });

  test('a field of the wrong type: the reason is a JSON array such as ["not_boolean", value]', async () => {
    const q = uniq('err.q');
    cleanup.delete(t, `/api/queues/${ROOT}/${seg(q)}`);
    expectError(await call(t, 'PUT', `/api/queues/${ROOT}/${seg(q)}`, { durable: 'yes' }), 400, badRequest(['not_boolean', 'yes']));
  });

  test('the Content-Type of a request is not checked: a JSON body sent as text/plain is read', async () => {
    const q = uniq('err.ctype');
    cleanup.delete(t, `/api/queues/${ROOT}/${seg(q)}`);
    const r = await rawCall(t, 'PUT', `/api/queues/${ROOT}/${seg(q)}`, {
      headers: { authorization: t.auth(), 'content-type': 'text/plain' },
      body: JSON.stringify({ durable: false, arguments: { 'x-max-length': 3 } }),
    });
    expectStatus(r, 201);
    assert.deepEqual((await get(t, `/api/queues/${ROOT}/${seg(q)}`)).arguments, { 'x-max-length': 3 });
  });

  test('a malformed Basic authorization header: 400 with an empty body', async () => {
    const r = await rawCall(t, 'GET', '/api/overview', { headers: { authorization: 'Basic !!!' } });
    expectStatus(r, 400);
    assert.equal(r.text, '');
  });
});

describe('401 Unauthorized', () => {
  test('no credentials: empty body, WWW-Authenticate, no Content-Type', async () => {
    for (const [method, path] of [
      ['GET', '/api/overview'],
      ['GET', `/api/queues/${ROOT}`],
      ['DELETE', `/api/queues/${ROOT}/${seg(uniq('err.nothing'))}`],
      ['PUT', `/api/vhosts/${seg(uniq('err.nothing'))}`],
    ] as const) {
      const r = await rawCall(t, method, path);
      expectStatus(r, 401, `${method} ${path}`);
      assert.equal(r.text, '');
      assert.equal(r.headers.get('www-authenticate'), REALM);
      assert.equal(r.headers.get('content-type'), null);
    }
  });

  test('bad credentials or another scheme: {"error":"not_authorized","reason":"Login failed"} with WWW-Authenticate', async () => {
    for (const authorization of [t.auth('guest', 'wrong'), t.auth(uniq('nobody'), 'x'), 'Bearer abc']) {
      const r = await rawCall(t, 'GET', '/api/overview', { headers: { authorization } });
      expectError(r, 401, { error: 'not_authorized', reason: 'Login failed' }, authorization);
      assert.equal(r.headers.get('www-authenticate'), REALM);
    }
  });
});

describe('404 Not Found', () => {
  test('an unknown path: {"error":"Object Not Found","reason":"Not Found"}, with or without credentials', async () => {
    for (const path of ['/api/no-such-endpoint', '/api/overview/x', '/api/users/a/b/c', '/no-such-page']) {
      expectError(await call(t, 'GET', path), 404, NOT_FOUND, path);
    }
    expectError(await rawCall(t, 'GET', '/api/no-such-endpoint'), 404, NOT_FOUND, 'without credentials');
  });

  test('but an unknown sub-path below a queue or an exchange is 400 with an empty body', async () => {
    for (const path of [`/api/queues/${ROOT}/q/no-such-sub-resource`, `/api/queues/${ROOT}/q/a/b`, `/api/exchanges/${ROOT}/x/y/z`]) {
      const r = await call(t, 'GET', path);
      expectStatus(r, 400, path);
      assert.equal(r.text, '', path);
    }
  });

  test('a missing object: the same body, for GET and DELETE', async () => {
    for (const path of [
      `/api/queues/${ROOT}/${seg(uniq('err.none'))}`,
      `/api/exchanges/${ROOT}/${seg(uniq('err.none'))}`,
      `/api/users/${seg(uniq('err.none'))}`,
      `/api/vhosts/${seg(uniq('err.none'))}`,
      `/api/policies/${ROOT}/${seg(uniq('err.none'))}`,
      `/api/connections/${seg(uniq('err.none'))}`,
      `/api/channels/${seg(uniq('err.none'))}`,
    ]) {
      expectError(await call(t, 'GET', path), 404, NOT_FOUND, `GET ${path}`);
      if (!path.startsWith('/api/channels')) expectError(await call(t, 'DELETE', path), 404, NOT_FOUND, `DELETE ${path}`);
    }
  });
});

describe('405 Method Not Allowed', () => {
  const cases: [string, string, string][] = [
    ['POST', '/api/overview', 'HEAD, GET, OPTIONS'],
    ['DELETE', '/api/overview', 'HEAD, GET, OPTIONS'],
    ['PUT', '/api/whoami', 'HEAD, GET, OPTIONS'],
    ['DELETE', '/api/connections', 'HEAD, GET, OPTIONS'],
    ['PUT', '/api/policies', 'HEAD, GET, OPTIONS'],
    ['POST', '/api/health/checks/alarms', 'HEAD, GET, OPTIONS'],
    ['POST', `/api/queues/${ROOT}/x`, 'HEAD, GET, PUT, DELETE, OPTIONS'],
    ['PATCH', `/api/queues/${ROOT}/x`, 'HEAD, GET, PUT, DELETE, OPTIONS'],
    ['PATCH', `/api/exchanges/${ROOT}/x`, 'HEAD, GET, PUT, DELETE, OPTIONS'],
    ['POST', '/api/users/x', 'HEAD, GET, PUT, DELETE, OPTIONS'],
    ['POST', '/api/vhosts/x', 'HEAD, GET, PUT, DELETE, OPTIONS'],
    ['POST', `/api/permissions/${ROOT}/guest`, 'HEAD, GET, PUT, DELETE, OPTIONS'],
    ['GET', `/api/queues/${ROOT}/x/get`, 'POST, OPTIONS'],
    ['GET', `/api/queues/${ROOT}/x/contents`, 'DELETE, OPTIONS'],
    ['GET', `/api/exchanges/${ROOT}/x/publish`, 'POST, OPTIONS'],
    ['PUT', `/api/bindings/${ROOT}/e/x/q/y`, 'HEAD, GET, POST, OPTIONS'],
    ['DELETE', `/api/bindings/${ROOT}/e/x/q/y`, 'HEAD, GET, POST, OPTIONS'],
    ['PUT', '/api/definitions', 'HEAD, GET, POST, OPTIONS'],
  ];
  for (const [method, path, allow] of cases) {
    test(`${method} ${path}: 405, empty body, Allow: ${allow}`, async () => {
      const r = await call(t, method, path, method === 'GET' || method === 'DELETE' ? undefined : {});
      expectStatus(r, 405);
      assert.equal(r.text, '');
      assert.equal(r.headers.get('allow'), allow);
    });
  }

  test('the method is checked before credentials', async () => {
    const r = await rawCall(t, 'POST', '/api/overview');
    expectStatus(r, 405);
    assert.equal(r.headers.get('allow'), 'HEAD, GET, OPTIONS');
  });
});

describe('other methods and paths', () => {
  test('OPTIONS: 200 with Allow and no body', async () => {
    const r = await rawCall(t, 'OPTIONS', '/api/overview', { headers: { authorization: t.auth() } });
    expectStatus(r, 200);
    assert.equal(r.headers.get('allow'), 'HEAD, GET, OPTIONS');
    assert.equal(r.text, '');
  });

  test('HEAD: 200 with the JSON Content-Type and no body', async () => {
    const r = await rawCall(t, 'HEAD', '/api/overview', { headers: { authorization: t.auth() } });
    expectStatus(r, 200);
    assert.match(r.headers.get('content-type') ?? '', /^application\/json/);
    assert.equal(r.text, '');
  });

  test('/api and /api/ redirect (301) to /api/index.html', async () => {
    for (const path of ['/api', '/api/']) {
      const r = await rawCall(t, 'GET', path);
      expectStatus(r, 301, path);
      assert.equal(r.headers.get('location'), '/api/index.html');
    }
  });

  test('successful responses are application/json; 201 and 204 have empty bodies', async () => {
    const r = await call(t, 'GET', '/api/overview');
    assert.match(r.headers.get('content-type') ?? '', /^application\/json/);
    const v = uniq('err.vhost');
    const created = await call(t, 'PUT', `/api/vhosts/${seg(v)}`, {});
    cleanup.delete(t, `/api/vhosts/${seg(v)}`);
    expectStatus(created, 201);
    assert.equal(created.text, '');
    const again = await call(t, 'PUT', `/api/vhosts/${seg(v)}`, {});
    expectStatus(again, 204);
    assert.equal(again.text, '');
  });
});
