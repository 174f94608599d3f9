// Bad input never crashes the broker, never disturbs other clients, and leaves nothing behind:
// random bytes at every stage of a connection, oversized frames, and clients that vanish mid-frame.
import assert from 'node:assert/strict';
import { connect as netConnect, type Socket } from 'node:net';
import { after, before, test } from 'node:test';
import amqp from 'amqplib';
import fc from 'fast-check';
import { startBroker, type RunningBroker } from '../../src/index.js';

let broker: RunningBroker;
before(async () => {
  broker = await startBroker({ port: 0, host: '127.0.0.1' });
});
after(async () => {
  await broker.close();
});

const HEADER = Buffer.from('AMQP\x00\x00\x09\x01', 'latin1');

/**
 * Writes bytes on a fresh socket, then either half-closes it (the broker reads everything, answers if
 * it will, and closes) or hangs up at once; resolves when the socket is closed.
 */
function sendAndWaitForClose(chunks: Buffer[], hangUp: boolean): Promise<void> {
  return new Promise((resolve) => {
    const s: Socket = netConnect(broker.port, '127.0.0.1');
    s.on('error', () => {});
    s.on('close', () => resolve());
    s.on('data', () => {});
    s.on('connect', () => {
      for (const c of chunks) s.write(c);
      if (hangUp) s.destroy();
      else s.end();
    });
  });
}

async function brokerStillServes(): Promise<void> {
  const conn = await amqp.connect(broker.url);
  const ch = await conn.createChannel();
  const q = await ch.assertQueue('', { exclusive: true });
  ch.sendToQueue(q.queue, Buffer.from('alive'));
  const got = await ch.get(q.queue);
  assert.ok(got && got.content.toString() === 'alive');
  await conn.close();
}

async function noConnectionsLeft(): Promise<void> {
  // The broker drops a closed socket's state when 'close' fires; give that event its turn.
  for (let i = 0; i < 100 && broker.connectionCount > 0; i++) await new Promise((r) => setImmediate(r));
  assert.equal(broker.connectionCount, 0);
}

test('random bytes instead of a protocol header', async () => {
  await fc.assert(
    fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 300 }), async (bytes) => {
      await sendAndWaitForClose([Buffer.from(bytes)], false);
    }),
    { numRuns: 60 },
  );
  await brokerStillServes();
  await noConnectionsLeft();
});

test('random bytes after a valid protocol header', async () => {
  await fc.assert(
    fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 500 }), async (bytes) => {
      await sendAndWaitForClose([HEADER, Buffer.from(bytes)], false);
    }),
    { numRuns: 60 },
  );
  await brokerStillServes();
  await noConnectionsLeft();
});

test('random frames on an open connection close only that connection', async () => {
  const bystander = await amqp.connect(broker.url);
  const bch = await bystander.createChannel();
  const q = await bch.assertQueue('', { exclusive: true });
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom(1, 2, 3, 8, 4, 0xce),
      fc.integer({ min: 0, max: 3 }),
      fc.uint8Array({ maxLength: 200 }),
      async (type, channel, payload) => {
        const conn = await amqp.connect(broker.url);
        const closed = new Promise((resolve) => conn.once('close', resolve));
        conn.on('error', () => {});
        await conn.createChannel().catch(() => {});
        const frame = Buffer.alloc(8 + payload.length);
        frame[0] = type;
        frame.writeUInt16BE(channel, 1);
        frame.writeUInt32BE(payload.length, 3);
        Buffer.from(payload).copy(frame, 7);
        frame[frame.length - 1] = 0xce;
        // amqplib exposes its socket as connection.stream
        (conn as unknown as { connection: { stream: Socket } }).connection.stream.write(frame);
        // Either the broker objects (closing the connection) or the frame was harmless, which a channel
        // opened behind it proves (frames are handled in order); end the connection either way.
        await Promise.race([closed, conn.createChannel().then((ch) => ch.close())]).catch(() => {});
        await conn.close().catch(() => {});
      },
    ),
    { numRuns: 40 },
  );
  bch.sendToQueue(q.queue, Buffer.from('bystander'));
  const got = await bch.get(q.queue);
  assert.ok(got && got.content.toString() === 'bystander', 'the other connection is unharmed');
  await bystander.close();
  await noConnectionsLeft();
});

test('clients that vanish mid-frame leave nothing behind', async () => {
  const publish = Buffer.concat([HEADER]);
  for (let cut = 1; cut < 40; cut += 3) {
    await sendAndWaitForClose([publish, Buffer.from([1, 0, 0, 0, 0, 0x10, 0]).subarray(0, cut % 7)], true);
  }
  await brokerStillServes();
  await noConnectionsLeft();
});

test('an oversized frame header is refused before its payload is read', async () => {
  const conn = await amqp.connect(broker.url);
  conn.on('error', () => {});
  const closed = new Promise<Error | undefined>((resolve) => conn.once('close', resolve));
  const huge = Buffer.from([1, 0, 0, 0x7f, 0xff, 0xff, 0xff]); // 2 GiB payload announced, never sent
  (conn as unknown as { connection: { stream: Socket } }).connection.stream.write(huge);
  const err = await closed;
  assert.match(String(err?.message), /501/);
  await brokerStillServes();
  await noConnectionsLeft();
});
