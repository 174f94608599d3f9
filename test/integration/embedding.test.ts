// startBroker(): brokers embedded in one process are independent, start on a free port, and close cleanly.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import amqp from 'amqplib';
import { startBroker } from '../../src/index.js';

test('port 0 gives a free port and a URL that clients connect to', async () => {
  const b = await startBroker({ port: 0, host: '127.0.0.1' });
  try {
    assert.ok(b.port > 0);
    assert.equal(b.url, `amqp://guest:guest@127.0.0.1:${b.port}`);
    const conn = await amqp.connect(b.url);
    await conn.close();
  } finally {
    await b.close();
  }
});

test('two brokers in one process do not share queues or messages', async () => {
  const [a, b] = await Promise.all([startBroker({ port: 0, host: '127.0.0.1' }), startBroker({ port: 0, host: '127.0.0.1' })]);
  const [ca, cb] = await Promise.all([amqp.connect(a.url), amqp.connect(b.url)]);
  try {
    const [cha, chb] = await Promise.all([ca.createConfirmChannel(), cb.createConfirmChannel()]);
    await cha.assertQueue('shared-name');
    await chb.assertQueue('shared-name');
    cha.sendToQueue('shared-name', Buffer.from('only in a'));
    await cha.waitForConfirms();
    assert.equal((await cha.checkQueue('shared-name')).messageCount, 1);
    assert.equal((await chb.checkQueue('shared-name')).messageCount, 0);
    assert.equal(await chb.get('shared-name'), false);
    const got = await cha.get('shared-name');
    assert.ok(got);
    assert.equal(got.content.toString(), 'only in a');
  } finally {
    await Promise.all([ca.close(), cb.close()]);
    await Promise.all([a.close(), b.close()]);
  }
});

test('close() ends every client connection and can be called twice', async () => {
  const b = await startBroker({ port: 0, host: '127.0.0.1' });
  const conn = await amqp.connect(b.url);
  conn.on('error', () => {});
  const closed = new Promise((resolve) => conn.once('close', resolve));
  await b.close();
  await closed;
  assert.equal(b.connectionCount, 0);
  await b.close();
});

test('a broker closed and started again on the same port serves again', async () => {
  const first = await startBroker({ port: 0, host: '127.0.0.1' });
  const port = first.port;
  await first.close();
  const second = await startBroker({ port, host: '127.0.0.1' });
  try {
    const conn = await amqp.connect(second.url);
    await conn.close();
  } finally {
    await second.close();
  }
});
