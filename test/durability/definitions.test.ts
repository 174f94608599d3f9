// Durable exchanges, queues and bindings survive a restart and a kill -9 of the broker; transient and
// exclusive ones do not, as in RabbitMQ. A torn tail of the journal is cut off with a log line.
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { startServerProcess } from '../helpers/server-process.js';
import amqp, { type ChannelModel } from 'amqplib';
import { startBroker } from '../../src/index.js';
import type { Logger } from '../../src/server/logger.js';

const tmp = mkdtempSync(join(tmpdir(), 'warren-defs-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** What survives: true when a passive declare finds it. */
async function exists(conn: ChannelModel, kind: 'queue' | 'exchange', name: string): Promise<boolean> {
  const ch = await conn.createChannel();
  ch.on('error', () => {});
  try {
    if (kind === 'queue') await ch.checkQueue(name);
    else await ch.checkExchange(name);
    await ch.close();
    return true;
  } catch {
    return false;
  }
}

async function declareTopology(conn: ChannelModel): Promise<void> {
  const ch = await conn.createChannel();
  await ch.assertExchange('orders', 'topic', { durable: true, arguments: { 'alternate-exchange': 'unrouted' } });
  await ch.assertExchange('unrouted', 'fanout', { durable: true });
  await ch.assertExchange('transient-x', 'direct', { durable: false });
  await ch.assertQueue('order_processing', { durable: true, arguments: { 'x-message-ttl': 86400000, 'x-dead-letter-exchange': 'dlx' } });
  await ch.assertQueue('transient-q', { durable: false });
  await ch.assertQueue('exclusive-q', { durable: true, exclusive: true });
  await ch.bindQueue('order_processing', 'orders', 'order.*');
  await ch.bindQueue('transient-q', 'orders', 'order.*');
  await ch.assertExchange('audit', 'fanout', { durable: true });
  await ch.bindExchange('audit', 'orders', '#');
  await ch.assertQueue('audit-log', { durable: true });
  await ch.bindQueue('audit-log', 'audit', '');
  await ch.assertQueue('deleted-later', { durable: true });
  await ch.deleteQueue('deleted-later');
  await ch.close();
}

async function checkTopology(url: string): Promise<void> {
  const conn = await amqp.connect(url);
  try {
    assert.equal(await exists(conn, 'exchange', 'orders'), true);
    assert.equal(await exists(conn, 'exchange', 'unrouted'), true);
    assert.equal(await exists(conn, 'exchange', 'audit'), true);
    assert.equal(await exists(conn, 'queue', 'order_processing'), true);
    assert.equal(await exists(conn, 'queue', 'audit-log'), true);
    assert.equal(await exists(conn, 'exchange', 'transient-x'), false, 'a transient exchange is gone');
    assert.equal(await exists(conn, 'queue', 'transient-q'), false, 'a transient queue is gone');
    assert.equal(await exists(conn, 'queue', 'exclusive-q'), false, 'an exclusive queue is gone');
    assert.equal(await exists(conn, 'queue', 'deleted-later'), false, 'a deleted queue stays deleted');
    const ch = await conn.createConfirmChannel();
    // Arguments come back with their types: an equivalent redeclare is accepted, a different one refused.
    await ch.assertQueue('order_processing', { durable: true, arguments: { 'x-message-ttl': 86400000, 'x-dead-letter-exchange': 'dlx' } });
    await ch.assertExchange('orders', 'topic', { durable: true, arguments: { 'alternate-exchange': 'unrouted' } });
    // Bindings, including exchange-to-exchange, route again.
    ch.publish('orders', 'order.placed', Buffer.from('after restart'));
    await ch.waitForConfirms();
    const a = await ch.get('order_processing');
    const b = await ch.get('audit-log');
    assert.ok(a && a.content.toString() === 'after restart');
    assert.ok(b && b.content.toString() === 'after restart');
  } finally {
    await conn.close();
  }
}

describe('durable definitions', () => {
  test('survive a clean restart on the same data dir', async () => {
    const dataDir = join(tmp, 'clean');
    const first = await startBroker({ port: 0, host: '127.0.0.1', dataDir });
    const conn = await amqp.connect(first.url);
    await declareTopology(conn);
    await conn.close();
    await first.close();
    const second = await startBroker({ port: 0, host: '127.0.0.1', dataDir });
    try {
      await checkTopology(second.url);
    } finally {
      await second.close();
    }
  });

  test('survive kill -9 of the broker process', async () => {
    const dataDir = join(tmp, 'kill');
    const server = await startServerProcess(dataDir);
    const conn = await amqp.connect(server.url);
    conn.on('error', () => {});
    await declareTopology(conn);
    // declare-ok has been received for everything: now crash without any chance to clean up.
    const closed = new Promise((resolve) => conn.once('close', resolve));
    server.child.kill('SIGKILL');
    await server.exited;
    await closed;
    const again = await startBroker({ port: 0, host: '127.0.0.1', dataDir });
    try {
      await checkTopology(again.url);
    } finally {
      await again.close();
    }
  });

  test('a torn record at the end of the journal is cut off with a warning, the rest kept', async () => {
    const dataDir = join(tmp, 'torn');
    const first = await startBroker({ port: 0, host: '127.0.0.1', dataDir });
    const conn = await amqp.connect(first.url);
    const ch = await conn.createChannel();
    await ch.assertQueue('kept', { durable: true });
    await conn.close();
    await first.close();
    // A crash mid-write: a length that promises more than the file holds.
    appendFileSync(join(dataDir, 'definitions.log'), Buffer.from([0, 0, 1, 0, 0xde, 0xad, 0xbe, 0xef, 0x7b]));
    const warnings: string[] = [];
    const logger: Logger = { debug() {}, info() {}, warn: (m) => warnings.push(m), error: (m) => warnings.push(m) };
    const second = await startBroker({ port: 0, host: '127.0.0.1', dataDir, logger });
    try {
      assert.ok(warnings.some((w) => /torn or corrupt record/.test(w)), `warnings: ${warnings.join('; ')}`);
      const c2 = await amqp.connect(second.url);
      assert.equal(await exists(c2, 'queue', 'kept'), true);
      // and the journal takes new records after the cut
      const ch2 = await c2.createChannel();
      await ch2.assertQueue('added-after', { durable: true });
      await c2.close();
    } finally {
      await second.close();
    }
    const third = await startBroker({ port: 0, host: '127.0.0.1', dataDir });
    try {
      const c3 = await amqp.connect(third.url);
      assert.equal(await exists(c3, 'queue', 'added-after'), true);
      await c3.close();
    } finally {
      await third.close();
    }
  });
});

