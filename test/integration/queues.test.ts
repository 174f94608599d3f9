// Queue declaration, exclusivity, auto-delete, purge/delete and x-argument validation, pinned to
// what RabbitMQ 3.10 does (every test here passes against the reference broker).
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Channel, type ChannelModel } from 'amqplib';
import { Connection as RabbitClientConnection, AMQPChannelError } from 'rabbitmq-client';
import { testBroker, uniqueName, type TestBroker } from '../helpers/broker.js';
import { expectChannelError, quoted } from '../helpers/amqp-errors.js';

const RESOURCE_LOCKED_TEXT = (name: string) =>
  new RegExp(
    `^RESOURCE_LOCKED - cannot obtain exclusive access to locked queue ${quoted(name)} in vhost '/'\\. ` +
      'It could be originally declared on another connection or the exclusive property value does not match ' +
      'that of the original declaration\\.$',
  );

describe('queues', () => {
  let broker: TestBroker;
  let conn: ChannelModel;
  const queues = new Set<string>();
  const exchanges = new Set<string>();
  const otherConnections: ChannelModel[] = [];

  before(async () => {
    broker = await testBroker();
    conn = await connect(broker.url);
  });

  after(async () => {
    for (const c of otherConnections) await c.close().catch(() => {});
    if (conn) {
      const ch = await conn.createChannel();
      for (const q of queues) await ch.deleteQueue(q);
      for (const x of exchanges) await ch.deleteExchange(x);
      await conn.close();
    }
    await broker?.close();
  });

  function queueName(tag: string): string {
    const name = uniqueName(`warren.q.${tag}`);
    queues.add(name);
    return name;
  }

  function exchangeName(tag: string): string {
    const name = uniqueName(`warren.q-ex.${tag}`);
    exchanges.add(name);
    return name;
  }

  async function channel(): Promise<Channel> {
    return conn.createChannel();
  }

  async function otherConnection(): Promise<ChannelModel> {
    const c = await connect(broker.url);
    otherConnections.push(c);
    return c;
  }

  /** publishes through a confirm channel so the messages are surely enqueued when this returns */
  async function fill(queue: string, count: number): Promise<void> {
    const ch = await conn.createConfirmChannel();
    for (let i = 0; i < count; i++) ch.sendToQueue(queue, Buffer.from(`m${i}`));
    await ch.waitForConfirms();
    await ch.close();
  }

  /** passive declare on a throwaway channel: 'exists', 'missing' (404) or 'locked' (405) */
  async function queueState(name: string, via: ChannelModel = conn): Promise<'exists' | 'missing' | 'locked'> {
    const ch = await via.createChannel();
    ch.on('error', () => {});
    try {
      await ch.checkQueue(name);
      await ch.close();
      return 'exists';
    } catch (err) {
      const code = (err as { code?: number }).code;
      if (code === 404) return 'missing';
      if (code === 405) return 'locked';
      throw err;
    }
  }

  test('declares a durable queue', async () => {
    const ch = await channel();
    const name = queueName('durable');
    assert.deepEqual(await ch.assertQueue(name, { durable: true }), { queue: name, messageCount: 0, consumerCount: 0 });
    assert.deepEqual(await ch.assertQueue(name, { durable: true }), { queue: name, messageCount: 0, consumerCount: 0 });
  });

  test('declares a non-durable queue', async () => {
    const ch = await channel();
    const name = queueName('transient');
    assert.deepEqual(await ch.assertQueue(name, { durable: false }), { queue: name, messageCount: 0, consumerCount: 0 });
    await ch.checkQueue(name);
  });

  test('declares an exclusive queue usable from every channel of its connection', async () => {
    const ch = await channel();
    const name = queueName('exclusive');
    assert.deepEqual(await ch.assertQueue(name, { exclusive: true, durable: false }), {
      queue: name,
      messageCount: 0,
      consumerCount: 0,
    });
    const other = await channel();
    await other.checkQueue(name);
    await other.assertQueue(name, { exclusive: true, durable: false });
    await other.consume(name, () => {}, { noAck: true });
  });

  test('declares an auto-delete queue', async () => {
    const ch = await channel();
    const name = queueName('autodelete');
    assert.deepEqual(await ch.assertQueue(name, { autoDelete: true, durable: false }), {
      queue: name,
      messageCount: 0,
      consumerCount: 0,
    });
    await ch.assertQueue(name, { autoDelete: true, durable: false });
  });

  test('an empty name gives a server-named queue: amq.gen- prefix, name returned in declare-ok', async () => {
    const ch = await channel();
    const a = await ch.assertQueue('', { exclusive: true, durable: false });
    const b = await ch.assertQueue('', { durable: false, autoDelete: true });
    queues.add(b.queue);
    for (const ok of [a, b]) {
      // amq.gen- and 16 random bytes in unpadded base64url
      assert.match(ok.queue, /^amq\.gen-[A-Za-z0-9_-]{22}$/);
      assert.equal(ok.messageCount, 0);
      assert.equal(ok.consumerCount, 0);
      await ch.checkQueue(ok.queue);
    }
    assert.notEqual(a.queue, b.queue);
  });

  test('an empty queue name in later methods means the queue last declared on the channel', async () => {
    const ch = await channel();
    const { queue } = await ch.assertQueue('', { exclusive: true, durable: false });
    await fill(queue, 2);
    assert.deepEqual(await ch.purgeQueue(''), { messageCount: 2 });
  });

  test('an empty queue name with no queue declared on the channel is 404', async () => {
    await expectChannelError(
      conn,
      (ch) => ch.purgeQueue(''),
      404,
      /^NOT_FOUND - no previously declared queue$/,
      { method: 'queue.purge' },
    );
  });

  test('passive declare returns the ready message count and the consumer count', async () => {
    const ch = await channel();
    const name = queueName('counts');
    await ch.assertQueue(name, { durable: false });
    await fill(name, 5);
    assert.deepEqual(await ch.checkQueue(name), { queue: name, messageCount: 5, consumerCount: 0 });

    // unacknowledged messages are not counted
    assert.ok(await ch.get(name, { noAck: false }));
    assert.ok(await ch.get(name, { noAck: false }));
    assert.deepEqual(await ch.checkQueue(name), { queue: name, messageCount: 3, consumerCount: 0 });

    await ch.purgeQueue(name);
    const consumers = await channel();
    const c1 = await consumers.consume(name, () => {});
    await consumers.consume(name, () => {});
    assert.deepEqual(await ch.checkQueue(name), { queue: name, messageCount: 0, consumerCount: 2 });
    await consumers.cancel(c1.consumerTag);
    assert.deepEqual(await ch.checkQueue(name), { queue: name, messageCount: 0, consumerCount: 1 });
    // a non-passive redeclare reports the same counts
    assert.deepEqual(await ch.assertQueue(name, { durable: false }), { queue: name, messageCount: 0, consumerCount: 1 });
  });

  test('passive declare of a missing queue is a 404 channel error', async () => {
    const name = queueName('missing');
    await expectChannelError(
      conn,
      (ch) => ch.checkQueue(name),
      404,
      new RegExp(`^NOT_FOUND - no queue ${quoted(name)} in vhost '/'$`),
      { method: 'queue.declare' },
    );
  });

  describe('redeclaration', () => {
    test('redeclaring with a different durable flag is 406', async () => {
      const ch = await channel();
      const name = queueName('re-durable');
      await ch.assertQueue(name, { durable: false });
      await expectChannelError(
        conn,
        (c) => c.assertQueue(name, { durable: true }),
        406,
        new RegExp(
          `^PRECONDITION_FAILED - inequivalent arg 'durable' for queue ${quoted(name)} in vhost '/': ` +
            `received 'true' but current is 'false'$`,
        ),
        { method: 'queue.declare' },
      );
    });

    test('redeclaring with a different auto-delete flag is 406', async () => {
      const ch = await channel();
      const name = queueName('re-autodelete');
      await ch.assertQueue(name, { durable: false });
      await expectChannelError(
        conn,
        (c) => c.assertQueue(name, { durable: false, autoDelete: true }),
        406,
        new RegExp(
          `^PRECONDITION_FAILED - inequivalent arg 'auto_delete' for queue ${quoted(name)} in vhost '/': ` +
            `received 'true' but current is 'false'$`,
        ),
      );
    });

    test('redeclaring a non-exclusive queue as exclusive is 405 RESOURCE_LOCKED, not 406', async () => {
      const ch = await channel();
      const name = queueName('re-exclusive');
      await ch.assertQueue(name, { durable: false });
      await expectChannelError(
        conn,
        (c) => c.assertQueue(name, { durable: false, exclusive: true }),
        405,
        RESOURCE_LOCKED_TEXT(name),
        { method: 'queue.declare' },
      );
    });

    test('redeclaring an exclusive queue as non-exclusive on its own connection is 405', async () => {
      const ch = await channel();
      const name = queueName('re-nonexclusive');
      await ch.assertQueue(name, { durable: false, exclusive: true });
      await expectChannelError(conn, (c) => c.assertQueue(name, { durable: false }), 405, RESOURCE_LOCKED_TEXT(name));
    });

    test('exclusive queues are never durable: redeclaring with either durable flag succeeds', async () => {
      const ch = await channel();
      const name = queueName('excl-durable');
      await ch.assertQueue(name, { durable: true, exclusive: true });
      await ch.assertQueue(name, { durable: false, exclusive: true });
      await ch.assertQueue(name, { durable: true, exclusive: true });
    });

    test('redeclaring with a different x-message-ttl is 406', async () => {
      const ch = await channel();
      const name = queueName('re-ttl');
      await ch.assertQueue(name, { durable: false, messageTtl: 1000 });
      await expectChannelError(
        conn,
        (c) => c.assertQueue(name, { durable: false, messageTtl: 2000 }),
        406,
        new RegExp(
          `^PRECONDITION_FAILED - inequivalent arg 'x-message-ttl' for queue ${quoted(name)} in vhost '/': ` +
            `received '2000' but current is '1000'$`,
        ),
      );
    });

    test('redeclaring without an x-argument the queue has is 406 (received none)', async () => {
      const ch = await channel();
      const name = queueName('re-ttl-none');
      await ch.assertQueue(name, { durable: false, messageTtl: 1000 });
      // amqplib encodes 1000 as a 16-bit signed int, which RabbitMQ calls 'short'
      await expectChannelError(
        conn,
        (c) => c.assertQueue(name, { durable: false }),
        406,
        new RegExp(
          `^PRECONDITION_FAILED - inequivalent arg 'x-message-ttl' for queue ${quoted(name)} in vhost '/': ` +
            `received none but current is the value '1000' of type 'short'$`,
        ),
      );
    });

    test('redeclaring with an x-argument the queue lacks is 406 (current is none)', async () => {
      const ch = await channel();
      const name = queueName('re-maxlen');
      await ch.assertQueue(name, { durable: false });
      await expectChannelError(
        conn,
        (c) => c.assertQueue(name, { durable: false, maxLength: 10 }),
        406,
        new RegExp(
          `^PRECONDITION_FAILED - inequivalent arg 'x-max-length' for queue ${quoted(name)} in vhost '/': ` +
            `received the value '10' of type 'byte' but current is none$`,
        ),
      );
    });

    test('the same x-argument value in another integer type is equivalent', async () => {
      const ch = await channel();
      const name = queueName('re-ttl-long');
      await ch.assertQueue(name, { durable: false, messageTtl: 1000 });
      await ch.assertQueue(name, { durable: false, arguments: { 'x-message-ttl': { '!': 'long', value: 1000 } } });
      await ch.assertQueue(name, { durable: false, arguments: { 'x-message-ttl': { '!': 'int', value: 1000 } } });
    });

    test('arguments RabbitMQ does not know are not compared on redeclare', async () => {
      const ch = await channel();
      const name = queueName('re-unknown');
      await ch.assertQueue(name, { durable: false });
      await ch.assertQueue(name, { durable: false, arguments: { 'x-foo': 'bar', plain: 1 } });
      // x-queue-type classic is the default, so it is equivalent to no x-queue-type
      await ch.assertQueue(name, { durable: false, arguments: { 'x-queue-type': 'classic' } });
    });
  });

  describe('exclusive queues', () => {
    const lockedOps: Array<[string, (ch: Channel, q: string) => Promise<unknown>, Parameters<typeof expectChannelError>[4]]> = [
      ['passive declare', (ch, q) => ch.checkQueue(q), { method: 'queue.declare' }],
      ['declare (exclusive)', (ch, q) => ch.assertQueue(q, { exclusive: true, durable: false }), { method: 'queue.declare' }],
      ['declare (non-exclusive)', (ch, q) => ch.assertQueue(q, { durable: false }), { method: 'queue.declare' }],
      ['basic.consume', (ch, q) => ch.consume(q, () => {}), { method: 'basic.consume' }],
      ['basic.get', (ch, q) => ch.get(q), { method: 'basic.get' }],
      ['queue.bind', (ch, q) => ch.bindQueue(q, 'amq.direct', q), { method: 'queue.bind' }],
      ['queue.purge', (ch, q) => ch.purgeQueue(q), { method: 'queue.purge' }],
      ['queue.delete', (ch, q) => ch.deleteQueue(q), { method: 'queue.delete' }],
    ];
    for (const [op, action, opts] of lockedOps) {
      test(`${op} of another connection's exclusive queue is 405 RESOURCE_LOCKED`, async () => {
        const ch = await channel();
        const name = queueName('locked');
        await ch.assertQueue(name, { exclusive: true, durable: false });
        const other = await otherConnection();
        await expectChannelError(other, (c) => action(c, name), 405, RESOURCE_LOCKED_TEXT(name), opts);
        await ch.checkQueue(name);
      });
    }

    test("publishing to another connection's exclusive queue is allowed", async () => {
      const ch = await channel();
      const name = queueName('excl-publish');
      await ch.assertQueue(name, { exclusive: true, durable: false });
      const other = await otherConnection();
      const pub = await other.createConfirmChannel();
      pub.sendToQueue(name, Buffer.from('from-other'));
      await pub.waitForConfirms();
      const m = await ch.get(name, { noAck: true });
      assert.ok(m);
      assert.equal(m.content.toString(), 'from-other');
    });

    test("queue.unbind of an existing binding of another connection's exclusive queue is 405", async () => {
      const ch = await channel();
      const name = queueName('excl-unbind');
      await ch.assertQueue(name, { exclusive: true, durable: false });
      await ch.bindQueue(name, 'amq.direct', name);
      const other = await otherConnection();
      await expectChannelError(other, (c) => c.unbindQueue(name, 'amq.direct', name), 405, RESOURCE_LOCKED_TEXT(name), {
        method: 'queue.unbind',
      });
    });

    test("queue.unbind of a missing binding of another connection's exclusive queue succeeds", async () => {
      // RabbitMQ only checks exclusivity once it has found the binding to remove
      const ch = await channel();
      const name = queueName('excl-unbind-none');
      await ch.assertQueue(name, { exclusive: true, durable: false });
      const other = await (await otherConnection()).createChannel();
      assert.deepEqual(await other.unbindQueue(name, 'amq.direct', name), {});
    });

    test('an exclusive queue is deleted when its connection closes', async () => {
      const owner = await connect(broker.url);
      const name = queueName('excl-close');
      const och = await owner.createChannel();
      await och.assertQueue(name, { exclusive: true, durable: false });
      assert.equal(await queueState(name), 'locked');
      await owner.close();
      // RabbitMQ has always removed it by the time close-ok arrives; AMQP does not promise that
      // ordering, so a few more round trips are allowed before calling it a failure.
      let state = await queueState(name);
      for (let attempt = 0; state !== 'missing' && attempt < 50; attempt++) state = await queueState(name);
      assert.equal(state, 'missing');
    });
  });

  describe('auto-delete queues', () => {
    test('an auto-delete queue is deleted when its last consumer is cancelled', async () => {
      const ch = await channel();
      const name = queueName('ad-cancel');
      await ch.assertQueue(name, { durable: false, autoDelete: true });
      const c1 = await ch.consume(name, () => {});
      const c2 = await ch.consume(name, () => {});
      await ch.cancel(c1.consumerTag);
      assert.deepEqual(await ch.checkQueue(name), { queue: name, messageCount: 0, consumerCount: 1 });
      await ch.cancel(c2.consumerTag);
      // RabbitMQ deletes the queue before the channel handles its next method, so a passive declare
      // right after cancel-ok on the same channel already misses it
      await expectChannelError(conn, (c) => c.checkQueue(name), 404, new RegExp(`^NOT_FOUND - no queue ${quoted(name)}`), {
        channel: ch,
      });
    });

    test('an auto-delete queue that never had a consumer is not deleted', async () => {
      const ch = await channel();
      const name = queueName('ad-never');
      await ch.assertQueue(name, { durable: false, autoDelete: true });
      await fill(name, 1);
      // basic.get is not a consumer
      assert.ok(await ch.get(name, { noAck: true }));
      assert.deepEqual(await ch.checkQueue(name), { queue: name, messageCount: 0, consumerCount: 0 });
      assert.equal(await queueState(name), 'exists');
    });

    test("an auto-delete queue is deleted when its consumer's channel closes", async () => {
      const ch = await channel();
      const name = queueName('ad-chclose');
      await ch.assertQueue(name, { durable: false, autoDelete: true });
      await ch.consume(name, () => {});
      await ch.close();
      let state = await queueState(name);
      for (let attempt = 0; state !== 'missing' && attempt < 50; attempt++) state = await queueState(name);
      assert.equal(state, 'missing');
    });
  });

  describe('purge and delete', () => {
    test('purge returns the number of messages removed', async () => {
      const ch = await channel();
      const name = queueName('purge');
      await ch.assertQueue(name, { durable: false });
      await fill(name, 5);
      assert.deepEqual(await ch.purgeQueue(name), { messageCount: 5 });
      assert.deepEqual(await ch.purgeQueue(name), { messageCount: 0 });
      assert.deepEqual(await ch.checkQueue(name), { queue: name, messageCount: 0, consumerCount: 0 });
    });

    test('purge leaves unacknowledged messages alone', async () => {
      const ch = await channel();
      const name = queueName('purge-unacked');
      await ch.assertQueue(name, { durable: false });
      await fill(name, 5);
      const m = await ch.get(name, { noAck: false });
      assert.ok(m);
      assert.deepEqual(await ch.purgeQueue(name), { messageCount: 4 });
      ch.reject(m, true);
      // basic.get (not a passive declare: RabbitMQ answers those ahead of queued work) sees the requeued message
      const again = await ch.get(name, { noAck: true });
      assert.ok(again);
      assert.equal(again.content.toString(), m.content.toString());
      assert.equal(again.fields.redelivered, true);
      assert.equal(await ch.get(name, { noAck: true }), false);
    });

    test('purging a missing queue is 404', async () => {
      const name = queueName('purge-missing');
      await expectChannelError(
        conn,
        (ch) => ch.purgeQueue(name),
        404,
        new RegExp(`^NOT_FOUND - no queue ${quoted(name)} in vhost '/'$`),
        { method: 'queue.purge' },
      );
    });

    test('delete returns the number of ready messages deleted', async () => {
      const ch = await channel();
      const name = queueName('delete');
      await ch.assertQueue(name, { durable: false });
      await fill(name, 3);
      assert.ok(await ch.get(name, { noAck: false })); // unacked: not counted
      assert.deepEqual(await ch.deleteQueue(name), { messageCount: 2 });
      assert.equal(await queueState(name), 'missing');
    });

    test('delete if-unused of a queue with a consumer is 406 and keeps it', async () => {
      const ch = await channel();
      const name = queueName('del-inuse');
      await ch.assertQueue(name, { durable: false });
      await ch.consume(name, () => {});
      await expectChannelError(
        conn,
        (c) => c.deleteQueue(name, { ifUnused: true }),
        406,
        new RegExp(`^PRECONDITION_FAILED - queue ${quoted(name)} in vhost '/' in use$`),
        { method: 'queue.delete' },
      );
      assert.equal(await queueState(name), 'exists');
    });

    test('delete if-unused of a queue without consumers deletes it', async () => {
      const ch = await channel();
      const name = queueName('del-unused');
      await ch.assertQueue(name, { durable: false });
      await fill(name, 1);
      assert.deepEqual(await ch.deleteQueue(name, { ifUnused: true }), { messageCount: 1 });
      assert.equal(await queueState(name), 'missing');
    });

    test('delete if-empty of a queue with messages is 406 and keeps it', async () => {
      const ch = await channel();
      const name = queueName('del-notempty');
      await ch.assertQueue(name, { durable: false });
      await fill(name, 1);
      await expectChannelError(
        conn,
        (c) => c.deleteQueue(name, { ifEmpty: true }),
        406,
        new RegExp(`^PRECONDITION_FAILED - queue ${quoted(name)} in vhost '/' not empty$`),
        { method: 'queue.delete' },
      );
      assert.deepEqual(await ch.checkQueue(name), { queue: name, messageCount: 1, consumerCount: 0 });
    });

    test('delete if-empty ignores unacknowledged messages', async () => {
      const ch = await channel();
      const name = queueName('del-unacked');
      await ch.assertQueue(name, { durable: false });
      await fill(name, 1);
      assert.ok(await ch.get(name, { noAck: false }));
      assert.deepEqual(await ch.deleteQueue(name, { ifEmpty: true }), { messageCount: 0 });
      assert.equal(await queueState(name), 'missing');
    });

    test('deleting a missing queue succeeds with a zero count', async () => {
      const ch = await channel();
      const name = queueName('del-missing');
      assert.deepEqual(await ch.deleteQueue(name), { messageCount: 0 });
      assert.deepEqual(await ch.deleteQueue(name, { ifEmpty: true, ifUnused: true }), { messageCount: 0 });
    });

    test('consuming from or getting from a missing queue is 404', async () => {
      const name = queueName('consume-missing');
      const text = new RegExp(`^NOT_FOUND - no queue ${quoted(name)} in vhost '/'$`);
      await expectChannelError(conn, (ch) => ch.consume(name, () => {}), 404, text, { method: 'basic.consume' });
      await expectChannelError(conn, (ch) => ch.get(name), 404, text, { method: 'basic.get' });
    });
  });

  describe('reserved names', () => {
    test('declaring a queue with an amq. prefix is 403 ACCESS_REFUSED', async () => {
      for (const name of [`amq.${uniqueName('warren')}`, `amq.gen-${uniqueName('warren')}`]) {
        await expectChannelError(
          conn,
          (ch) => ch.assertQueue(name, { durable: false }),
          403,
          new RegExp(`^ACCESS_REFUSED - queue name ${quoted(name)} contains reserved prefix 'amq\\.\\*'$`),
          { method: 'queue.declare' },
        );
      }
    });

    test('passive declare of a missing amq. queue is 404, not 403', async () => {
      const name = `amq.${uniqueName('warren')}`;
      await expectChannelError(
        conn,
        (ch) => ch.checkQueue(name),
        404,
        new RegExp(`^NOT_FOUND - no queue ${quoted(name)} in vhost '/'$`),
      );
    });
  });

  describe('bindings', () => {
    test('binding to a missing exchange is 404', async () => {
      const ch = await channel();
      const q = queueName('bind-noex');
      const x = exchangeName('missing');
      await ch.assertQueue(q, { durable: false });
      await expectChannelError(
        conn,
        (c) => c.bindQueue(q, x, 'k'),
        404,
        new RegExp(`^NOT_FOUND - no exchange ${quoted(x)} in vhost '/'$`),
        { method: 'queue.bind' },
      );
    });

    test('binding a missing queue is 404', async () => {
      const q = queueName('bind-noq');
      await expectChannelError(
        conn,
        (ch) => ch.bindQueue(q, 'amq.direct', 'k'),
        404,
        new RegExp(`^NOT_FOUND - no queue ${quoted(q)} in vhost '/'$`),
        { method: 'queue.bind' },
      );
    });

    test('binding a missing queue to a missing exchange names the exchange', async () => {
      const q = queueName('bind-none-q');
      const x = exchangeName('bind-none-x');
      await expectChannelError(
        conn,
        (ch) => ch.bindQueue(q, x, 'k'),
        404,
        new RegExp(`^NOT_FOUND - no exchange ${quoted(x)} in vhost '/'$`),
      );
    });

    test('unbinding a binding that does not exist succeeds', async () => {
      const ch = await channel();
      const q = queueName('unbind');
      await ch.assertQueue(q, { durable: false });
      assert.deepEqual(await ch.unbindQueue(q, 'amq.direct', 'never-bound'), {});
    });

    test('unbinding with a missing queue or a missing exchange succeeds', async () => {
      const ch = await channel();
      const q = queueName('unbind-exists');
      await ch.assertQueue(q, { durable: false });
      assert.deepEqual(await ch.unbindQueue(queueName('unbind-missing'), 'amq.direct', 'k'), {});
      assert.deepEqual(await ch.unbindQueue(q, exchangeName('unbind-missing'), 'k'), {});
    });

    test('binding arguments are part of the binding identity', async () => {
      const ch = await conn.createConfirmChannel();
      const x = exchangeName('bind-args');
      const q = queueName('bind-args');
      await ch.assertExchange(x, 'direct', { durable: false });
      await ch.assertQueue(q, { durable: false });
      await ch.bindQueue(q, x, 'k', { tag: 1 });
      await ch.bindQueue(q, x, 'k', { tag: 2 });
      await ch.unbindQueue(q, x, 'k', { tag: 1 });
      ch.publish(x, 'k', Buffer.from('still-bound'));
      await ch.waitForConfirms();
      assert.deepEqual(await ch.checkQueue(q), { queue: q, messageCount: 1, consumerCount: 0 });
      await ch.unbindQueue(q, x, 'k', { tag: 2 });
      ch.publish(x, 'k', Buffer.from('unbound'));
      await ch.waitForConfirms();
      assert.deepEqual(await ch.checkQueue(q), { queue: q, messageCount: 1, consumerCount: 0 });
    });
  });

  describe('x-argument validation', () => {
    // [description, arguments, expected reply text after "for queue 'name' in vhost '/': "]
    // (RabbitMQ renders the reason as an Erlang term; these are its exact texts.)
    const invalid: Array<[string, Record<string, unknown>, string, string]> = [
      ['x-message-ttl as a string', { 'x-message-ttl': '1000' }, 'x-message-ttl', '"expected integer, got longstr"'],
      ['x-message-ttl as a float', { 'x-message-ttl': 1.5 }, 'x-message-ttl', '"expected integer, got double"'],
      ['negative x-message-ttl', { 'x-message-ttl': -1 }, 'x-message-ttl', '{value_negative,-1}'],
      ['negative x-max-length', { 'x-max-length': -1 }, 'x-max-length', '{value_negative,-1}'],
      ['x-max-length as a string', { 'x-max-length': '5' }, 'x-max-length', '"expected integer, got longstr"'],
      ['negative x-max-length-bytes', { 'x-max-length-bytes': -1 }, 'x-max-length-bytes', '{value_negative,-1}'],
      ['zero x-expires', { 'x-expires': 0 }, 'x-expires', '{value_zero,0}'],
      ['negative x-expires', { 'x-expires': -5 }, 'x-expires', '{value_negative,-5}'],
      ['an unknown x-overflow', { 'x-overflow': 'explode' }, 'x-overflow', 'invalid_overflow'],
      ['x-max-priority above 255', { 'x-max-priority': 300 }, 'x-max-priority', '{max_value_exceeded,300}'],
      ['an unknown x-queue-type', { 'x-queue-type': 'weird' }, 'x-queue-type', `"unsupported queue type 'weird'"`],
      ['an unknown x-queue-mode', { 'x-queue-mode': 'weird' }, 'x-queue-mode', `"unsupported queue mode 'weird'"`],
      ['x-single-active-consumer as a string', { 'x-single-active-consumer': 'yes' }, 'x-single-active-consumer', '{unacceptable_type,longstr}'],
      [
        'x-dead-letter-routing-key without x-dead-letter-exchange',
        { 'x-dead-letter-routing-key': 'k' },
        'x-dead-letter-routing-key',
        'routing_key_but_no_dlx_defined',
      ],
    ];
    const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    for (const [what, args, arg, reason] of invalid) {
      test(`declaring with ${what} is 406`, async () => {
        const name = queueName('badarg');
        await expectChannelError(
          conn,
          (ch) => ch.assertQueue(name, { durable: false, arguments: args }),
          406,
          new RegExp(`^PRECONDITION_FAILED - invalid arg '${arg}' for queue ${quoted(name)} in vhost '/': ${escape(reason)}$`),
          { method: 'queue.declare' },
        );
        assert.equal(await queueState(name), 'missing');
      });
    }

    test('declaring with x-dead-letter-exchange of the wrong type is 406', async () => {
      const name = queueName('badarg-dlx');
      await expectChannelError(
        conn,
        (ch) => ch.assertQueue(name, { durable: false, arguments: { 'x-dead-letter-exchange': 5 } }),
        406,
        new RegExp(`^PRECONDITION_FAILED - invalid type 'byte' for arg 'x-dead-letter-exchange' in queue ${quoted(name)} in vhost '/'$`),
      );
    });

    const valid: Array<[string, Record<string, unknown>]> = [
      ['zero x-message-ttl', { 'x-message-ttl': 0 }],
      ['zero x-max-length', { 'x-max-length': 0 }],
      ['x-overflow reject-publish', { 'x-overflow': 'reject-publish' }],
      ['x-queue-type classic', { 'x-queue-type': 'classic' }],
      ['an unknown x- argument', { 'x-foo': 'bar' }],
    ];
    for (const [what, args] of valid) {
      test(`declaring with ${what} is accepted`, async () => {
        const ch = await channel();
        const name = queueName('goodarg');
        assert.deepEqual(await ch.assertQueue(name, { durable: false, arguments: args }), {
          queue: name,
          messageCount: 0,
          consumerCount: 0,
        });
      });
    }
  });

  // The same behaviours through a second, independent client.
  describe('with rabbitmq-client', () => {
    let rabbit: RabbitClientConnection;

    before(async () => {
      rabbit = new RabbitClientConnection({ url: broker.url, retryLow: 50, retryHigh: 200 });
      rabbit.on('error', () => {});
      await rabbit.onConnect();
    });

    after(async () => {
      await rabbit?.close();
    });

    test('server-named queue, counts, purge and delete', async () => {
      const ch = await rabbit.acquire();
      try {
        const ok = await ch.queueDeclare({ exclusive: true });
        assert.match(ok.queue, /^amq\.gen-[A-Za-z0-9_-]{22}$/);
        assert.equal(ok.messageCount, 0);
        // Confirms, because RabbitMQ answers a passive declare ahead of deliveries still queued for
        // the queue process: without them the count could be taken before the messages arrive.
        await ch.confirmSelect();
        for (let i = 0; i < 3; i++) await ch.basicPublish({ routingKey: ok.queue }, `m${i}`);
        assert.deepEqual(await ch.queueDeclare({ queue: ok.queue, passive: true }), {
          queue: ok.queue,
          messageCount: 3,
          consumerCount: 0,
        });
        assert.deepEqual(await ch.queuePurge({ queue: ok.queue }), { messageCount: 3 });
        await ch.basicPublish({ routingKey: ok.queue }, 'last');
        assert.deepEqual(await ch.queueDelete({ queue: ok.queue }), { messageCount: 1 });
      } finally {
        await ch.close();
      }
    });

    test('passive declare of a missing queue rejects with NOT_FOUND', async () => {
      const ch = await rabbit.acquire();
      const name = queueName('rc-missing');
      await assert.rejects(ch.queueDeclare({ queue: name, passive: true }), (err: unknown) => {
        assert.ok(err instanceof AMQPChannelError);
        assert.equal(err.code, 'NOT_FOUND');
        assert.match(err.message, new RegExp(`NOT_FOUND - no queue ${quoted(name)} in vhost '/'`));
        return true;
      });
      assert.equal(ch.active, false);
      // the connection is unaffected
      const again = await rabbit.acquire();
      await again.queueDeclare({ queue: '', exclusive: true });
      await again.close();
    });

    test('inequivalent redeclare rejects with PRECONDITION_FAILED', async () => {
      const ch = await rabbit.acquire();
      const name = queueName('rc-inequivalent');
      await ch.queueDeclare({ queue: name, durable: false });
      await assert.rejects(ch.queueDeclare({ queue: name, durable: true }), (err: unknown) => {
        assert.ok(err instanceof AMQPChannelError);
        assert.equal(err.code, 'PRECONDITION_FAILED');
        assert.match(err.message, /inequivalent arg 'durable'/);
        return true;
      });
    });
  });
});
