// Long queues keep their backlog on disk: past the in-memory threshold only a small entry per message
// stays in memory, and messages are read back, in order and intact, as they near the head.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import amqp from 'amqplib';
import { startBroker, type RunningBroker } from '../../src/index.js';

const tmp = mkdtempSync(join(tmpdir(), 'warren-paging-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const COUNT = 20_000;

function queueOf(b: RunningBroker, name: string) {
  const q = b.broker.vhosts.get('/')!.queues.get(name);
  assert.ok(q, `queue ${name} exists`);
  return q;
}

async function publishNumbered(url: string, queue: string, durable: boolean, count: number): Promise<void> {
  const conn = await amqp.connect(url);
  const ch = await conn.createConfirmChannel();
  await ch.assertQueue(queue, { durable });
  for (let i = 0; i < count; i++) {
    ch.sendToQueue(queue, Buffer.from(`${i}:${'x'.repeat(i % 700)}`), { persistent: durable, messageId: `m${i}` });
    if (i % 1000 === 999) await ch.waitForConfirms();
  }
  await ch.waitForConfirms();
  await conn.close();
}

async function consumeAll(url: string, queue: string, count: number): Promise<string[]> {
  const conn = await amqp.connect(url);
  const ch = await conn.createChannel();
  await ch.prefetch(300);
  const seen: string[] = [];
  await new Promise<void>((resolve) => {
    void ch.consume(queue, (m) => {
      if (!m) return;
      seen.push(`${m.content.toString()}|${m.properties.messageId}`);
      ch.ack(m);
      if (seen.length === count) resolve();
    });
  });
  await conn.close();
  return seen;
}

function expected(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${i}:${'x'.repeat(i % 700)}|m${i}`);
}

test('a transient backlog beyond the threshold is paged to disk and read back in order', async () => {
  const dataDir = join(tmp, 'transient');
  const b = await startBroker({ port: 0, host: '127.0.0.1', dataDir });
  try {
    await publishNumbered(b.url, 'backlog', false, COUNT);
    const q = queueOf(b, 'backlog');
    assert.equal(q.messageCount, COUNT);
    assert.notEqual(q.ready.at(0).message, null, 'the head stays in memory');
    assert.equal(q.ready.at(COUNT - 1).message, null, 'the tail is on disk');
    assert.ok(readdirSync(join(dataDir, 'paging')).some((f) => f.endsWith('.seg')));
    assert.deepEqual(await consumeAll(b.url, 'backlog', COUNT), expected(COUNT));
  } finally {
    await b.close();
  }
});

test('a persistent backlog pages out without writing the messages twice, and survives a restart paged', async () => {
  const dataDir = join(tmp, 'persistent');
  const a = await startBroker({ port: 0, host: '127.0.0.1', dataDir });
  await publishNumbered(a.url, 'durable-backlog', true, COUNT);
  const q = queueOf(a, 'durable-backlog');
  assert.equal(q.ready.at(COUNT - 1).message, null);
  const pagingFiles = readdirSync(join(dataDir, 'paging')).filter((f) => f.endsWith('.seg'));
  await a.close();
  // Only the (empty) current segment of the transient log: nothing was copied there.
  assert.ok(pagingFiles.length <= 1);

  const b = await startBroker({ port: 0, host: '127.0.0.1', dataDir });
  try {
    const rq = queueOf(b, 'durable-backlog');
    assert.equal(rq.messageCount, COUNT);
    assert.equal(rq.ready.at(0).message, null, 'recovery keeps messages on disk until they are needed');
    assert.deepEqual(await consumeAll(b.url, 'durable-backlog', COUNT), expected(COUNT));
  } finally {
    await b.close();
  }
});

test('purging and deleting queues with paged-out messages frees them', async () => {
  const dataDir = join(tmp, 'purge');
  const b = await startBroker({ port: 0, host: '127.0.0.1', dataDir });
  try {
    await publishNumbered(b.url, 'to-purge', false, COUNT);
    await publishNumbered(b.url, 'to-delete', false, COUNT);
    const conn = await amqp.connect(b.url);
    const ch = await conn.createChannel();
    assert.equal((await ch.purgeQueue('to-purge')).messageCount, COUNT);
    assert.equal((await ch.deleteQueue('to-delete')).messageCount, COUNT);
    // The queue works on after a purge: new messages come through.
    await ch.assertQueue('to-purge', { durable: false });
    ch.sendToQueue('to-purge', Buffer.from('after'));
    const m = await ch.get('to-purge', { noAck: true });
    assert.ok(m && m.content.toString() === 'after');
    await conn.close();
  } finally {
    await b.close();
  }
});

test('basic.get reads paged-out messages back too', async () => {
  const dataDir = join(tmp, 'get');
  const b = await startBroker({ port: 0, host: '127.0.0.1', dataDir });
  try {
    await publishNumbered(b.url, 'get-backlog', false, 9000);
    const c2 = await amqp.connect(b.url);
    const ch2 = await c2.createChannel();
    const want = expected(9000);
    for (let i = 0; i < 9000; i++) {
      const got = await ch2.get('get-backlog', { noAck: true });
      assert.ok(got);
      assert.equal(`${got.content.toString()}|${got.properties.messageId}`, want[i]);
    }
    await c2.close();
  } finally {
    await b.close();
  }
});
