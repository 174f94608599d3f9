// Users, vhosts and permissions as AMQP clients meet them, pinned against RabbitMQ 3.10: which
// operation needs which permission (configure, write, read) on which resource, the reply codes and
// texts of refusals, and what happens to open connections when their vhost or user is deleted.
// Users and vhosts are made through the management API (embedded Warren: its own; external broker:
// WARREN_TEST_MGMT_URL).
//
// RabbitMQ facts these tests rely on (observed on 3.10.8):
// - connection.open to a vhost the user has no permissions on: 530 "access to vhost 'V' refused for
//   user 'U'"; to a missing vhost: 530 "vhost V not found"; a wrong password: 403 "Login was refused
//   using authentication mechanism PLAIN. For details see the broker logfile."
// - Refusals are channel errors 403 "access to queue|exchange 'N' in vhost 'V' refused for user 'U'".
//   The default exchange is checked as 'amq.default'; a server-named queue is checked under its
//   generated amq.gen-… name. Passive declarations need no permission.
// - queue.bind needs write on the queue (checked first) and read on the exchange; queue.declare with a
//   dead-letter exchange also needs read on the queue; purge, get and consume need read; delete needs
//   configure.
// - connection.update-secret is answered with update-secret-ok, whatever the secret, by the internal
//   user database.
// - Deleting a vhost or a user closes their connections: 320 "vhost 'V' is deleted" (or, as often,
//   "vhost 'V' is down": two processes race to close them) / "user 'U' is deleted".
// - exchange.delete of amq.*: 403 "deletion of system exchange …", before any permission check.
// - guest (the default loopback_users) connecting through a non-loopback address: 403 "user 'guest'
//   can only connect via localhost".
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { networkInterfaces } from 'node:os';
import { AMQPClient } from '@cloudamqp/amqp-client';
import type { Channel, ChannelModel } from 'amqplib';
import { managementTarget, type ManagementTarget } from '../helpers/management.js';
import { uniqueName } from '../helpers/broker.js';
import { startBroker, type RunningBroker } from '../../src/index.js';
import { newUser } from '../../src/broker/users.js';
import { amqpClientClose, closeQuietly, connect, connectionClosed, expectChannelError } from '../helpers/amqp-expect.js';

let target: ManagementTarget;
const vhost = uniqueName('acl-vh');
const user = uniqueName('acl-user');
const password = 'acl-secret';
const enc = encodeURIComponent;

async function ok(res: Promise<Response>, what: string): Promise<void> {
  const r = await res;
  const text = await r.text();
  assert.ok(r.status >= 200 && r.status < 300, `${what}: HTTP ${r.status} ${text}`);
}

function urlFor(u: string, p: string, vh: string): string {
  const base = new URL(target.amqpUrl);
  base.username = enc(u);
  base.password = enc(p);
  base.pathname = `/${enc(vh)}`;
  return base.href;
}

async function connectionRefusal(url: string): Promise<{ code: number; text: string }> {
  const client = new AMQPClient(url);
  try {
    await client.connect();
  } catch (err) {
    return amqpClientClose(err);
  }
  await client.close();
  throw new Error('connected, but a refusal was expected');
}

before(async () => {
  target = await managementTarget();
  await ok(target.request('PUT', `/api/vhosts/${enc(vhost)}`, {}), 'create vhost');
  await ok(target.request('PUT', `/api/users/${enc(user)}`, { password, tags: '' }), 'create user');
});

after(async () => {
  await target.request('DELETE', `/api/vhosts/${enc(vhost)}`);
  await target.request('DELETE', `/api/users/${enc(user)}`);
  await target.close();
});

describe('connecting', () => {
  test('a user without permissions on the vhost is refused with 530', async () => {
    const close = await connectionRefusal(urlFor(user, password, vhost));
    assert.deepEqual([close.code, close.text], [530, `NOT_ALLOWED - access to vhost '${vhost}' refused for user '${user}'`]);
  });

  test('a vhost that does not exist is refused with 530', async () => {
    const close = await connectionRefusal(urlFor('guest', 'guest', `${vhost}-missing`));
    assert.deepEqual([close.code, close.text], [530, `NOT_ALLOWED - vhost ${vhost}-missing not found`]);
  });

  test('a wrong password is refused with 403', async () => {
    const close = await connectionRefusal(urlFor(user, 'wrong', vhost));
    assert.deepEqual(
      [close.code, close.text],
      [403, 'ACCESS_REFUSED - Login was refused using authentication mechanism PLAIN. For details see the broker logfile.'],
    );
  });

  // The machine's own non-loopback address reaches the broker through a real interface, so it is not
  // localhost to the broker: guest (loopback_users' default) is refused there, other users are not.
  // The shared embedded broker listens on 127.0.0.1 only, so an embedded run starts one on every interface.
  const external = Object.values(networkInterfaces())
    .flat()
    .find((a) => a && !a.internal && a.family === 'IPv4')?.address;
  describe('guest from outside localhost', { skip: external ? false : 'this machine has no non-loopback IPv4 address' }, () => {
    let own: RunningBroker | undefined;
    let amqpUrl: string;
    before(async () => {
      if (target.embedded) {
        own = await startBroker({ port: 0 });
        own.broker.putUser(newUser(user, password, []));
        own.broker.setPermission({ user, vhost: '/', configure: '.*', write: '.*', read: '.*' });
        amqpUrl = own.url;
      } else {
        await ok(target.request('PUT', `/api/permissions/%2F/${enc(user)}`, { configure: '.*', write: '.*', read: '.*' }), 'grant');
        amqpUrl = target.amqpUrl;
      }
    });
    after(async () => {
      if (own) await own.close();
      else await target.request('DELETE', `/api/permissions/%2F/${enc(user)}`);
    });
    const via = (u: string, p: string) => {
      const url = new URL(amqpUrl);
      url.hostname = external!;
      url.username = enc(u);
      url.password = enc(p);
      url.pathname = '/';
      return url.href;
    };

    // An external broker's loopback_users is its own configuration (the reference sets it to none).
    const embeddedOnly = process.env.WARREN_TEST_URL ? "the external broker's loopback_users setting is not known here" : false;

    test("guest is refused with 403 \"user 'guest' can only connect via localhost\"", { skip: embeddedOnly }, async () => {
      const close = await connectionRefusal(via('guest', 'guest'));
      assert.deepEqual([close.code, close.text], [403, "ACCESS_REFUSED - user 'guest' can only connect via localhost"]);
    });

    test('another user with permissions connects from the same address', async () => {
      const client = new AMQPClient(via(user, password));
      await client.connect();
      await client.close();
    });

    test('with loopback users set to none, guest connects from the same address', { skip: embeddedOnly }, async () => {
      const open = await startBroker({ port: 0, loopbackUsers: [] });
      try {
        const url = new URL(open.url);
        url.hostname = external!;
        const client = new AMQPClient(url.href);
        await client.connect();
        await client.close();
      } finally {
        await open.close();
      }
    });
  });
});

describe('connection.update-secret', () => {
  test('is answered with update-secret-ok (the internal user database has no secret state to refresh) and the connection goes on', async () => {
    const client = new AMQPClient(urlFor('guest', 'guest', '/'));
    await client.connect();
    try {
      await client.updateSecret('guest', 'rotation');
      const ch = await client.channel();
      const q = await ch.queueDeclare('', { exclusive: true });
      await ch.basicPublish('', q.name, 'after update-secret');
      let got = await ch.basicGet(q.name, { noAck: true });
      for (let i = 0; i < 50 && !got; i++) got = await ch.basicGet(q.name, { noAck: true });
      assert.equal(got?.bodyToString(), 'after update-secret');
    } finally {
      await client.close();
    }
  });
});

describe('permissions on AMQP operations', () => {
  let conn: ChannelModel;
  let ch: Channel;
  const refused = (kind: 'queue' | 'exchange', name: string) => ({ code: 403, text: `ACCESS_REFUSED - access to ${kind} '${name}' in vhost '${vhost}' refused for user '${user}'` });

  before(async () => {
    // configure: names starting with c; write: w or c-names; read: r or c-names
    await ok(
      target.request('PUT', `/api/permissions/${enc(vhost)}/${enc(user)}`, { configure: '^c', write: '^(w|cw)', read: '^(r|cr)' }),
      'set permissions',
    );
    conn = await connect(urlFor(user, password, vhost));
  });
  after(async () => {
    await closeQuietly(conn);
  });

  const fresh = async () => {
    ch = await conn.createChannel();
    return ch;
  };

  test('queue.declare needs configure on the queue; a server-named queue is checked under its generated name', async () => {
    await fresh();
    await ch.assertQueue('c-queue', { durable: false });
    await ch.close();
    await fresh();
    await expectChannelError(conn, ch, () => ch.assertQueue('x-queue'), refused('queue', 'x-queue'));
    await fresh();
    const close = await expectChannelError(conn, ch, () => ch.assertQueue(''), { code: 403 });
    assert.match(close.text, new RegExp(`^ACCESS_REFUSED - access to queue 'amq\\.gen-[A-Za-z0-9_-]{22}' in vhost '${vhost}' refused for user '${user}'$`));
  });

  test('passive declarations need no permission', async () => {
    await fresh();
    await ch.checkQueue('c-queue');
    await ch.checkExchange('amq.topic');
    await ch.close();
  });

  test('a dead-letter exchange needs read on the queue and write on the exchange as well', async () => {
    await fresh();
    await expectChannelError(conn, ch, () => ch.assertQueue('c-dlx', { deadLetterExchange: 'w-dlx' }), refused('queue', 'c-dlx'));
    await fresh();
    await ch.assertQueue('cr-dlx', { deadLetterExchange: 'w-dlx', durable: false });
    await ch.close();
    await fresh();
    await expectChannelError(conn, ch, () => ch.assertQueue('cr-dlx2', { deadLetterExchange: 'nope' }), refused('exchange', 'nope'));
  });

  test('exchange.declare and exchange.delete need configure on the exchange', async () => {
    await fresh();
    await ch.assertExchange('c-x', 'direct', { durable: false });
    await ch.close();
    await fresh();
    await expectChannelError(conn, ch, () => ch.assertExchange('w-x', 'direct'), refused('exchange', 'w-x'));
    await fresh();
    await expectChannelError(conn, ch, () => ch.deleteExchange('w-none'), refused('exchange', 'w-none'));
    await fresh();
    // system exchanges are refused as such, before permissions are looked at
    await expectChannelError(conn, ch, () => ch.deleteExchange('amq.topic'), {
      code: 403,
      text: `ACCESS_REFUSED - deletion of system exchange 'amq.topic' in vhost '${vhost}' not allowed`,
    });
  });

  test('queue.bind needs write on the queue (checked first), then read on the exchange', async () => {
    await fresh();
    await ch.assertExchange('cr-x', 'direct', { durable: false });
    await ch.assertQueue('cw-q', { durable: false });
    await ch.bindQueue('cw-q', 'cr-x', 'k');
    await ch.close();
    await fresh();
    await expectChannelError(conn, ch, () => ch.bindQueue('c-queue', 'cr-x', 'k'), refused('queue', 'c-queue'));
    await fresh();
    await expectChannelError(conn, ch, () => ch.bindQueue('cw-q', 'c-x', 'k'), refused('exchange', 'c-x'));
  });

  test('exchange.bind needs write on the destination and read on the source', async () => {
    await fresh();
    await ch.assertExchange('cw-x', 'fanout', { durable: false });
    await ch.bindExchange('cw-x', 'cr-x', 'k');
    await ch.close();
    await fresh();
    await expectChannelError(conn, ch, () => ch.bindExchange('c-x', 'cr-x', 'k'), refused('exchange', 'c-x'));
  });

  test('basic.publish needs write on the exchange; the default exchange is amq.default', async () => {
    await fresh();
    await expectChannelError(conn, ch, () => ch.publish('', 'c-queue', Buffer.from('m')), refused('exchange', 'amq.default'));
    await fresh();
    await expectChannelError(conn, ch, () => ch.publish('cr-x', 'k', Buffer.from('m')), refused('exchange', 'cr-x'));
    await fresh();
    ch.publish('cw-x', 'k', Buffer.from('m'));
    await ch.checkQueue('cw-q'); // a round trip: the publish was accepted
    await ch.close();
  });

  test('basic.get, basic.consume and queue.purge need read on the queue; queue.delete needs configure', async () => {
    await fresh();
    await expectChannelError(conn, ch, () => ch.get('c-queue'), refused('queue', 'c-queue'));
    await fresh();
    await expectChannelError(conn, ch, () => ch.consume('c-queue', () => {}), refused('queue', 'c-queue'));
    await fresh();
    await expectChannelError(conn, ch, () => ch.purgeQueue('c-queue'), refused('queue', 'c-queue'));
    await fresh();
    await ch.get('cr-dlx');
    await ch.purgeQueue('cr-dlx');
    await ch.deleteQueue('c-queue');
    await ch.close();
    await fresh();
    await expectChannelError(conn, ch, () => ch.deleteQueue('w-anything'), refused('queue', 'w-anything'));
  });
});

describe('deleting what a connection stands on', () => {
  test('deleting a vhost closes its connections with 320', async () => {
    const vh = uniqueName('acl-doomed');
    await ok(target.request('PUT', `/api/vhosts/${enc(vh)}`, {}), 'create vhost');
    const conn = await connect(urlFor('guest', 'guest', vh));
    const closed = connectionClosed(conn);
    await ok(target.request('DELETE', `/api/vhosts/${enc(vh)}`), 'delete vhost');
    const close = await closed;
    // RabbitMQ races two closers: the vhost's supervisor going down and the deletion itself
    assert.equal(close.code, 320);
    assert.match(close.text, new RegExp(`^CONNECTION_FORCED - vhost '${vh.replace(/\./g, '\\.')}' is (deleted|down)$`));
  });

  test('deleting a user closes their connections with 320', async () => {
    const u = uniqueName('acl-doomed-user');
    await ok(target.request('PUT', `/api/users/${enc(u)}`, { password: 'p', tags: '' }), 'create user');
    await ok(target.request('PUT', `/api/permissions/%2F/${enc(u)}`, { configure: '.*', write: '.*', read: '.*' }), 'permissions');
    const conn = await connect(urlFor(u, 'p', '/'));
    const closed = connectionClosed(conn);
    await ok(target.request('DELETE', `/api/users/${enc(u)}`), 'delete user');
    const close = await closed;
    assert.deepEqual([close.code, close.text], [320, `CONNECTION_FORCED - user '${u}' is deleted`]);
  });
});
