// Vhosts, users and permissions are kept in the data directory like other definitions: they survive a
// restart and a kill -9, and a deleted default (guest, vhost '/') stays deleted, also after the journal
// is compacted.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import amqp from 'amqplib';
import { startBroker } from '../../src/index.js';
import { newUser } from '../../src/broker/users.js';
import { startServerProcess } from '../helpers/server-process.js';

const tmp = mkdtempSync(join(tmpdir(), 'warren-access-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

describe('access definitions across restarts', () => {
  test('a new vhost, user and permission survive a clean restart; a deleted guest stays deleted', async () => {
    const dataDir = join(tmp, 'clean');
    const first = await startBroker({ port: 0, host: '127.0.0.1', dataDir });
    const b = first.broker;
    b.addVhost('shop', { description: 'orders and stock' });
    b.putUser(newUser('alice', 's3cret', ['monitoring']));
    b.setPermission({ vhost: 'shop', user: 'alice', configure: '^alice\\.', write: '.*', read: '.*' });
    b.deleteUser('guest');
    await first.close();

    const second = await startBroker({ port: 0, host: '127.0.0.1', dataDir });
    try {
      const r = second.broker;
      assert.deepEqual([...r.vhosts.keys()].sort(), ['/', 'shop']);
      assert.equal(r.vhosts.get('shop')!.metadata.description, 'orders and stock');
      assert.deepEqual([...r.users.keys()], ['alice']);
      assert.deepEqual(r.users.get('alice')!.tags, ['monitoring']);
      assert.deepEqual(r.permission('shop', 'alice'), { vhost: 'shop', user: 'alice', configure: '^alice\\.', write: '.*', read: '.*' });
      const conn = await amqp.connect(`amqp://alice:s3cret@127.0.0.1:${second.port}/shop`);
      await conn.close();
      await assert.rejects(amqp.connect(`amqp://guest:guest@127.0.0.1:${second.port}/`));
    } finally {
      await second.close();
    }
  });

  test('a deleted vhost stays deleted, with its durable queues', async () => {
    const dataDir = join(tmp, 'vhost-delete');
    const first = await startBroker({ port: 0, host: '127.0.0.1', dataDir });
    const vh = first.broker.addVhost('temp');
    first.broker.setPermission({ vhost: 'temp', user: 'guest', configure: '.*', write: '.*', read: '.*' });
    vh.declareQueue('kept-until-vhost-goes', false, true, false, false, new Map(), 0);
    first.broker.deleteVhost('temp');
    await first.close();
    const second = await startBroker({ port: 0, host: '127.0.0.1', dataDir });
    try {
      assert.deepEqual([...second.broker.vhosts.keys()], ['/']);
      assert.equal(second.broker.permission('temp', 'guest'), undefined);
    } finally {
      await second.close();
    }
  });

  test('compaction of the journal keeps deletions of the defaults', async () => {
    const dataDir = join(tmp, 'compaction');
    const first = await startBroker({ port: 0, host: '127.0.0.1', dataDir });
    first.broker.putUser(newUser('admin', 'pw', ['administrator']));
    first.broker.deleteUser('guest');
    // enough superseded records that the next start rewrites the journal with only live ones
    for (let i = 0; i < 200; i++) first.broker.setPermission({ vhost: '/', user: 'admin', configure: `.*${i % 2}?`, write: '.*', read: '.*' });
    await first.close();
    for (let round = 0; round < 2; round++) {
      const b = await startBroker({ port: 0, host: '127.0.0.1', dataDir });
      try {
        assert.deepEqual([...b.broker.users.keys()], ['admin'], `round ${round}`);
        assert.equal(b.broker.permission('/', 'admin')!.configure, '.*1?');
      } finally {
        await b.close();
      }
    }
  });

  test('a user added over the management API survives kill -9 of the server', async () => {
    const dataDir = join(tmp, 'kill9');
    const server = await startServerProcess(dataDir);
    const auth = { authorization: `Basic ${Buffer.from('guest:guest').toString('base64')}`, 'content-type': 'application/json' };
    const put = await fetch(`${server.managementUrl!}/api/users/bob`, { method: 'PUT', headers: auth, body: JSON.stringify({ password: 'pw', tags: '' }) });
    assert.equal(put.status, 201);
    const perm = await fetch(`${server.managementUrl!}/api/permissions/%2F/bob`, {
      method: 'PUT',
      headers: auth,
      body: JSON.stringify({ configure: '', write: '.*', read: '.*' }),
    });
    assert.equal(perm.status, 201);
    server.child.kill('SIGKILL');
    await server.exited;
    const again = await startBroker({ port: 0, host: '127.0.0.1', dataDir });
    try {
      const conn = await amqp.connect(`amqp://bob:pw@127.0.0.1:${again.port}/`);
      await conn.close();
    } finally {
      await again.close();
    }
  });
});
