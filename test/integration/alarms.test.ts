// Resource alarms: while disk or memory is low, publishing connections get connection.blocked and are
// not read; consumers keep draining; when the alarm clears they get connection.unblocked and go on.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import amqp from 'amqplib';
import { startBroker } from '../../src/index.js';

const tmp = mkdtempSync(join(tmpdir(), 'warren-alarms-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

test('a disk alarm blocks publishers until it clears, while consumers keep draining', async () => {
  const broker = await startBroker({ port: 0, host: '127.0.0.1', dataDir: join(tmp, 'disk') });
  try {
    const setup = await amqp.connect(broker.url);
    const sch = await setup.createConfirmChannel();
    await sch.assertQueue('alarmed', { durable: true });
    for (let i = 0; i < 5; i++) sch.sendToQueue('alarmed', Buffer.from(`before-${i}`), { persistent: true });
    await sch.waitForConfirms();
    await setup.close();

    // No disk is that big: the alarm goes off at once.
    broker.setAlarmLimits({ diskFreeLimit: Number.MAX_SAFE_INTEGER });

    const consumerConn = await amqp.connect(broker.url);
    const cch = await consumerConn.createChannel();
    const received: string[] = [];
    let gotAll!: () => void;
    const allFive = new Promise<void>((r) => (gotAll = r));
    let gotLast!: () => void;
    const last = new Promise<void>((r) => (gotLast = r));
    await cch.consume('alarmed', (m) => {
      if (!m) return;
      received.push(m.content.toString());
      cch.ack(m);
      if (received.length === 5) gotAll();
      if (m.content.toString() === 'during') gotLast();
    });
    await allFive; // a connection that never published is not blocked

    const pubConn = await amqp.connect(broker.url);
    const blocked = new Promise<string>((r) => pubConn.once('blocked', r));
    const unblocked = new Promise<void>((r) => pubConn.once('unblocked', () => r()));
    const pch = await pubConn.createChannel();
    pch.sendToQueue('alarmed', Buffer.from('during'), { persistent: true });
    assert.equal(await blocked, 'low on disk');

    broker.setAlarmLimits({ diskFreeLimit: 1 });
    await unblocked;
    await last;
    assert.deepEqual(received, ['before-0', 'before-1', 'before-2', 'before-3', 'before-4', 'during']);
    await pubConn.close();
    await consumerConn.close();
  } finally {
    await broker.close();
  }
});

test('a memory alarm blocks publishers with the reason "low on memory"', async () => {
  const broker = await startBroker({ port: 0, host: '127.0.0.1', memoryHighWatermark: 1e-9 });
  try {
    const conn = await amqp.connect(broker.url);
    const blocked = new Promise<string>((r) => conn.once('blocked', r));
    const unblocked = new Promise<void>((r) => conn.once('unblocked', () => r()));
    const ch = await conn.createChannel();
    const q = await ch.assertQueue('', { exclusive: true });
    ch.sendToQueue(q.queue, Buffer.from('x'));
    assert.equal(await blocked, 'low on memory');
    broker.setAlarmLimits({ memoryHighWatermark: 1 });
    await unblocked;
    // reading has resumed: a round trip completes
    assert.equal((await ch.checkQueue(q.queue)).messageCount, 1);
    await conn.close();
  } finally {
    await broker.close();
  }
});
