// Persistent messages in durable queues survive restarts and kill -9: every confirmed message comes
// back in order, delivered-but-unacked ones come back redelivered, acked ones do not come back, and
// transient messages and non-durable queues are gone, as in RabbitMQ.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { startServerProcess } from '../helpers/server-process.js';
import amqp, { type Channel, type ChannelModel, type GetMessage } from 'amqplib';
import { startBroker } from '../../src/index.js';

const tmp = mkdtempSync(join(tmpdir(), 'warren-msgs-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** Takes every ready message with basic.get (no ack), returning bodies and redelivered flags. */
async function drain(ch: Channel, queue: string): Promise<{ body: string; redelivered: boolean }[]> {
  const out: { body: string; redelivered: boolean }[] = [];
  for (;;) {
    const m = await ch.get(queue, { noAck: true });
    if (!m) return out;
    out.push({ body: m.content.toString(), redelivered: m.fields.redelivered });
  }
}

describe('persistent messages across a clean restart', () => {
  test('confirmed persistent messages come back in order; transient ones and non-durable queues do not', async () => {
    const dataDir = join(tmp, 'clean');
    const a = await startBroker({ port: 0, host: '127.0.0.1', dataDir });
    const conn = await amqp.connect(a.url);
    const ch = await conn.createConfirmChannel();
    await ch.assertQueue('durable-q', { durable: true });
    await ch.assertQueue('transient-q', { durable: false });
    for (let i = 1; i <= 10; i++) {
      ch.sendToQueue('durable-q', Buffer.from(`p${i}`), { persistent: true, headers: { n: i } });
      ch.sendToQueue('durable-q', Buffer.from(`t${i}`), { persistent: false });
      ch.sendToQueue('transient-q', Buffer.from(`x${i}`), { persistent: true });
    }
    await ch.waitForConfirms();
    // p1 and p2 are acked; p3 is delivered but not acked when the broker stops.
    const got: GetMessage[] = [];
    for (let i = 0; i < 6; i++) {
      const m = await ch.get('durable-q');
      assert.ok(m);
      got.push(m);
    }
    ch.ack(got[0]); // p1
    ch.ack(got[2]); // p2 (got[1] is t1, got[3] is t2)
    await ch.checkQueue('durable-q'); // the acks are processed before this answer
    await conn.close().catch(() => {}); // closing requeues got[4..] (p3, t3) and t1, t2
    await a.close();

    const b = await startBroker({ port: 0, host: '127.0.0.1', dataDir });
    try {
      const c2 = await amqp.connect(b.url);
      const ch2 = await c2.createChannel();
      ch2.on('error', () => {});
      const back = await drain(ch2, 'durable-q');
      assert.deepEqual(
        back.map((m) => m.body),
        ['p3', 'p4', 'p5', 'p6', 'p7', 'p8', 'p9', 'p10'],
      );
      assert.equal(back[0].redelivered, true, 'p3 was delivered before the restart');
      assert.equal(back[1].redelivered, false, 'p4 never was');
      await assert.rejects(ch2.checkQueue('transient-q'), /404/);
      await c2.close().catch(() => {});
    } finally {
      await b.close();
    }
  });

  test('headers and properties of a recovered message are intact', async () => {
    const dataDir = join(tmp, 'props');
    const a = await startBroker({ port: 0, host: '127.0.0.1', dataDir });
    const conn = await amqp.connect(a.url);
    const ch = await conn.createConfirmChannel();
    await ch.assertQueue('props-q', { durable: true });
    const body = Buffer.alloc(300_000, 7); // spans several frames and is stored whole
    ch.publish('', 'props-q', body, {
      persistent: true,
      contentType: 'application/json',
      messageId: 'm-1',
      timestamp: 1700000000,
      headers: { 'event-type': 'order.placed', nested: { a: [1, 'two', true] } },
    });
    await ch.waitForConfirms();
    await conn.close();
    await a.close();
    const b = await startBroker({ port: 0, host: '127.0.0.1', dataDir });
    try {
      const c2 = await amqp.connect(b.url);
      const ch2 = await c2.createChannel();
      const m = await ch2.get('props-q', { noAck: true });
      assert.ok(m);
      assert.ok(m.content.equals(body));
      assert.equal(m.properties.contentType, 'application/json');
      assert.equal(m.properties.messageId, 'm-1');
      assert.equal(m.properties.timestamp, 1700000000);
      assert.equal(m.properties.deliveryMode, 2);
      assert.deepEqual(m.properties.headers, { 'event-type': 'order.placed', nested: { a: [1, 'two', true] } });
      assert.equal(m.fields.routingKey, 'props-q');
      await c2.close();
    } finally {
      await b.close();
    }
  });
});


describe('persistent messages across kill -9', () => {
  const ROUNDS = 3;
  for (let round = 1; round <= ROUNDS; round++) {
    test(`round ${round}: every confirmed, unacked message survives, in order, and acked ones stay gone`, { timeout: 60_000 }, async (t) => {
      const dataDir = join(tmp, `kill-${round}`);
      const server = await startServerProcess(dataDir);
      const pubConn: ChannelModel = await amqp.connect(server.url);
      const subConn: ChannelModel = await amqp.connect(server.url);
      for (const c of [pubConn, subConn]) c.on('error', () => {});
      const pub = await pubConn.createConfirmChannel();
      pub.on('error', () => {});
      await pub.assertQueue('crash', { durable: true });
      const sub = await subConn.createChannel();
      sub.on('error', () => {});
      await sub.prefetch(50);

      const confirmed = new Set<number>();
      const ackedSent = new Set<number>();
      /** Acks the broker has certainly processed (a round trip on the same channel followed them). */
      const ackedBefore = new Set<number>();
      const delivered = new Set<number>();
      let stop = false;

      // Consumer: acks two of every three messages, leaves the third unacked; an ack round ends with
      // a round trip so we know the broker has processed those acks.
      let sinceBarrier: number[] = [];
      let barrier: Promise<void> = Promise.resolve();
      await sub.consume('crash', (m) => {
        if (!m || stop) return;
        const n = Number(m.content.toString());
        delivered.add(n);
        if (n % 3 !== 0) {
          sub.ack(m);
          ackedSent.add(n);
          sinceBarrier.push(n);
          if (sinceBarrier.length >= 20) {
            const batch = sinceBarrier;
            sinceBarrier = [];
            barrier = barrier.then(() =>
              sub.checkQueue('crash').then(
                () => batch.forEach((x) => ackedBefore.add(x)),
                () => {},
              ),
            );
          }
        }
      });

      // Publisher: streams numbered persistent messages; each confirm is recorded.
      const killAfter = 300 + Math.floor(Math.random() * 1500);
      const killed = new Promise<void>((resolve) => {
        let i = 0;
        const publishSome = () => {
          if (stop) return;
          for (let k = 0; k < 50; k++) {
            const n = ++i;
            pub.sendToQueue('crash', Buffer.from(String(n)), { persistent: true }, (err) => {
              if (err || stop) return;
              confirmed.add(n);
              if (confirmed.size >= killAfter && !stop) {
                stop = true;
                server.child.kill('SIGKILL');
                resolve();
              }
            });
          }
          setImmediate(publishSome);
        };
        publishSome();
      });
      await killed;
      await server.exited;
      const confirmedAtKill = new Set(confirmed);
      const ackedCertain = new Set(ackedBefore);

      const b = await startBroker({ port: 0, host: '127.0.0.1', dataDir });
      try {
        const conn = await amqp.connect(b.url);
        const ch = await conn.createChannel();
        const back = await drain(ch, 'crash');
        const numbers = back.map((m) => Number(m.body));
        // in order, no duplicates
        for (let k = 1; k < numbers.length; k++) assert.ok(numbers[k] > numbers[k - 1], `order at ${k}: ${numbers[k - 1]} then ${numbers[k]}`);
        const present = new Set(numbers);
        for (const n of confirmedAtKill) {
          if (!ackedSent.has(n)) assert.ok(present.has(n), `confirmed message ${n} was lost`);
        }
        for (const n of ackedCertain) assert.ok(!present.has(n), `message ${n}, acked long before the crash, came back`);
        for (const m of back) {
          const n = Number(m.body);
          if (delivered.has(n) && !ackedSent.has(n)) assert.equal(m.redelivered, true, `message ${n} was delivered before the crash`);
        }
        assert.ok(confirmedAtKill.size >= killAfter);
        const redelivered = back.filter((m) => m.redelivered).length;
        t.diagnostic(
          `confirmed ${confirmedAtKill.size}, delivered ${delivered.size}, acked ${ackedSent.size} (${ackedCertain.size} certainly processed), back ${back.length} (${redelivered} redelivered)`,
        );
        await conn.close();
      } finally {
        await b.close();
      }
      await Promise.all([pubConn.close().catch(() => {}), subConn.close().catch(() => {})]);
    });
  }
});

describe('a damaged message log', () => {
  test('a message log in an older record format is refused at start with a clear error, not misread', async () => {
    const { mkdirSync, writeFileSync } = await import('node:fs');
    const dataDir = join(tmp, 'old-format');
    mkdirSync(join(dataDir, 'messages'), { recursive: true });
    const header = Buffer.alloc(16);
    header.write('WARRENLG', 0, 'latin1');
    header.writeUInt32LE(1, 8); // format 1: message records without their enqueue time
    writeFileSync(join(dataDir, 'messages', '00000001.seg'), header);
    await assert.rejects(startBroker({ port: 0, host: '127.0.0.1', dataDir }), /unsupported segment version 1 \(expected 2\)/);
  });


  test('a scribbled last record is reported and skipped; the messages before it are kept', async () => {
    const { readdirSync, openSync, writeSync, fstatSync, closeSync } = await import('node:fs');
    const dataDir = join(tmp, 'scribbled');
    const a = await startBroker({ port: 0, host: '127.0.0.1', dataDir });
    const conn = await amqp.connect(a.url);
    const ch = await conn.createConfirmChannel();
    await ch.assertQueue('kept', { durable: true });
    for (let i = 1; i <= 5; i++) ch.sendToQueue('kept', Buffer.from(`m${i}`), { persistent: true });
    await ch.waitForConfirms();
    await conn.close();
    await a.close();
    // Flip bytes inside the last record's body, as a crash mid-write or a bad sector would leave it.
    const dir = join(dataDir, 'messages');
    const last = readdirSync(dir).filter((f) => f.endsWith('.seg')).sort().pop()!;
    const fd = openSync(join(dir, last), 'r+');
    const size = fstatSync(fd).size;
    writeSync(fd, Buffer.from('XX'), 0, 2, size - 2);
    closeSync(fd);

    const warnings: string[] = [];
    const b = await startBroker({
      port: 0,
      host: '127.0.0.1',
      dataDir,
      logger: { debug() {}, info() {}, warn: (m) => warnings.push(m), error: (m) => warnings.push(m) },
    });
    try {
      assert.ok(warnings.some((w) => /message store/.test(w)), `warnings: ${warnings.join('; ')}`);
      const c2 = await amqp.connect(b.url);
      const ch2 = await c2.createChannel();
      const back = await drain(ch2, 'kept');
      assert.deepEqual(back.map((m) => m.body), ['m1', 'm2', 'm3', 'm4']);
      await c2.close();
    } finally {
      await b.close();
    }
  });
});

describe('transactions with persistent messages', () => {
  test('tx.commit-ok comes after the messages are on disk, and later methods wait behind it in order', async () => {
    const { AMQPClient } = await import('@cloudamqp/amqp-client');
    const dataDir = join(tmp, 'tx');
    const a = await startBroker({ port: 0, host: '127.0.0.1', dataDir });
    const client = new AMQPClient(a.url);
    const conn = await client.connect();
    const ch = await conn.channel();
    await ch.queueDeclare('tx-q', { durable: true });
    await ch.txSelect();
    for (const b of ['t1', 't2', 't3']) await ch.basicPublish('', 'tx-q', b, { deliveryMode: 2 });
    // Pipelined: the get is sent before commit-ok arrives and must be answered after it.
    const order: string[] = [];
    const commit = ch.txCommit().then(() => order.push('commit-ok'));
    const get = ch.basicGet('tx-q', { noAck: true }).then((m) => order.push(`get ${m?.bodyToString()}`));
    await Promise.all([commit, get]);
    assert.deepEqual(order, ['commit-ok', 'get t1']);
    await conn.close();
    await a.close();
    const b = await startBroker({ port: 0, host: '127.0.0.1', dataDir });
    try {
      const c2 = await amqp.connect(b.url);
      const ch2 = await c2.createChannel();
      assert.deepEqual((await drain(ch2, 'tx-q')).map((m) => m.body), ['t2', 't3']);
      await c2.close();
    } finally {
      await b.close();
    }
  });
});
