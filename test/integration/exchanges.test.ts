// Exchange declaration, deletion, exchange-to-exchange bindings and the default/predeclared
// exchanges, pinned to what RabbitMQ 3.10 does (every test here passes against the reference
// broker; see test/helpers/amqp-errors.ts for how error levels and texts are asserted).
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Channel, type ChannelModel, type ConfirmChannel } from 'amqplib';
import { testBroker, uniqueName, type TestBroker } from '../helpers/broker.js';
import { expectChannelError, expectConnectionError, quoted } from '../helpers/amqp-errors.js';

describe('exchanges', () => {
  let broker: TestBroker;
  let conn: ChannelModel;
  const exchanges = new Set<string>();
  const queues = new Set<string>();

  before(async () => {
    broker = await testBroker();
    conn = await connect(broker.url);
  });

  after(async () => {
    if (conn) {
      const ch = await conn.createChannel();
      for (const x of exchanges) await ch.deleteExchange(x);
      for (const q of queues) await ch.deleteQueue(q);
      await conn.close();
    }
    await broker?.close();
  });

  /** a fresh name, deleted after the suite */
  function exchangeName(tag: string): string {
    const name = uniqueName(`warren.ex.${tag}`);
    exchanges.add(name);
    return name;
  }

  function queueName(tag: string): string {
    const name = uniqueName(`warren.ex-q.${tag}`);
    queues.add(name);
    return name;
  }

  async function channel(): Promise<Channel> {
    return conn.createChannel();
  }

  async function confirmChannel(): Promise<ConfirmChannel> {
    return conn.createConfirmChannel();
  }

  /** drains a queue with basic.get and returns the bodies in order */
  async function drain(ch: Channel, queue: string): Promise<string[]> {
    const bodies: string[] = [];
    for (;;) {
      const m = await ch.get(queue, { noAck: true });
      if (m === false) return bodies;
      bodies.push(m.content.toString());
    }
  }

  async function exchangeExists(name: string): Promise<boolean> {
    const ch = await channel();
    ch.on('error', () => {});
    try {
      await ch.checkExchange(name);
      await ch.close();
      return true;
    } catch (err) {
      if ((err as { code?: number }).code === 404) return false;
      throw err;
    }
  }

  for (const type of ['direct', 'fanout', 'topic', 'headers'] as const) {
    test(`declares a ${type} exchange`, async () => {
      const ch = await channel();
      const name = exchangeName(type);
      const ok = await ch.assertExchange(name, type, { durable: false });
      assert.deepEqual(ok, { exchange: name });
      await ch.checkExchange(name);
      // the type is remembered: redeclaring it as another type names the current one
      const other = type === 'direct' ? 'fanout' : 'direct';
      await expectChannelError(
        conn,
        (c) => c.assertExchange(name, other, { durable: false }),
        406,
        new RegExp(`received '${other}' but current is '${type}'`),
        { method: 'exchange.declare' },
      );
    });
  }

  test('declares a durable exchange and an internal exchange', async () => {
    const ch = await channel();
    const durable = exchangeName('durable');
    await ch.assertExchange(durable, 'direct', { durable: true, autoDelete: false });
    await ch.assertExchange(durable, 'direct', { durable: true, autoDelete: false });
    const internal = exchangeName('internal');
    await ch.assertExchange(internal, 'fanout', { durable: false, internal: true });
    await ch.checkExchange(internal);
  });

  test('passive declare of an existing exchange succeeds', async () => {
    const ch = await channel();
    const name = exchangeName('passive');
    await ch.assertExchange(name, 'topic', { durable: false });
    assert.deepEqual(await ch.checkExchange(name), {});
  });

  test('passive declare of a missing exchange is a 404 channel error', async () => {
    const name = exchangeName('missing');
    await expectChannelError(
      conn,
      (ch) => ch.checkExchange(name),
      404,
      new RegExp(`^NOT_FOUND - no exchange ${quoted(name)} in vhost '/'$`),
      { method: 'exchange.declare' },
    );
  });

  test('redeclaring an exchange with equivalent properties succeeds', async () => {
    const ch = await channel();
    const name = exchangeName('equiv');
    await ch.assertExchange(name, 'fanout', { durable: false });
    assert.deepEqual(await ch.assertExchange(name, 'fanout', { durable: false }), { exchange: name });
  });

  test('redeclaring with a different type is 406 PRECONDITION_FAILED on the channel', async () => {
    const ch = await channel();
    const name = exchangeName('type');
    await ch.assertExchange(name, 'direct', { durable: false });
    await expectChannelError(
      conn,
      (c) => c.assertExchange(name, 'fanout', { durable: false }),
      406,
      new RegExp(`inequivalent arg 'type' for exchange ${quoted(name)} in vhost '/': received 'fanout' but current is 'direct'`),
      { method: 'exchange.declare' },
    );
  });

  test('redeclaring with a different durable flag is 406', async () => {
    const ch = await channel();
    const name = exchangeName('durable');
    await ch.assertExchange(name, 'direct', { durable: false });
    await expectChannelError(
      conn,
      (c) => c.assertExchange(name, 'direct', { durable: true }),
      406,
      new RegExp(`inequivalent arg 'durable' for exchange ${quoted(name)} in vhost '/': received 'true' but current is 'false'`),
      { method: 'exchange.declare' },
    );
  });

  test('redeclaring with a different auto-delete flag is 406', async () => {
    const ch = await channel();
    const name = exchangeName('autodelete');
    await ch.assertExchange(name, 'direct', { durable: false });
    await expectChannelError(
      conn,
      (c) => c.assertExchange(name, 'direct', { durable: false, autoDelete: true }),
      406,
      new RegExp(`inequivalent arg 'auto_delete' for exchange ${quoted(name)} in vhost '/': received 'true' but current is 'false'`),
    );
  });

  test('redeclaring with a different internal flag is 406', async () => {
    const ch = await channel();
    const name = exchangeName('internal');
    await ch.assertExchange(name, 'direct', { durable: false });
    await expectChannelError(
      conn,
      (c) => c.assertExchange(name, 'direct', { durable: false, internal: true }),
      406,
      new RegExp(`inequivalent arg 'internal' for exchange ${quoted(name)} in vhost '/': received 'true' but current is 'false'`),
    );
  });

  test('redeclaring with different arbitrary arguments succeeds (only alternate-exchange is compared)', async () => {
    const ch = await channel();
    const name = exchangeName('args');
    await ch.assertExchange(name, 'direct', { durable: false, arguments: { 'x-foo': 'a' } });
    await ch.assertExchange(name, 'direct', { durable: false, arguments: { 'x-foo': 'b', bar: 1 } });
    await ch.assertExchange(name, 'direct', { durable: false });
  });

  test('redeclaring with a different alternate-exchange is 406', async () => {
    const ch = await channel();
    const name = exchangeName('ae');
    await ch.assertExchange(name, 'direct', { durable: false });
    await expectChannelError(
      conn,
      (c) => c.assertExchange(name, 'direct', { durable: false, alternateExchange: 'some-ae' }),
      406,
      new RegExp(
        `inequivalent arg 'alternate-exchange' for exchange ${quoted(name)} in vhost '/': ` +
          `received the value 'some-ae' of type 'longstr' but current is none`,
      ),
    );
  });

  // RabbitMQ says "unknown exchange type 'x'" when x is not an atom its VM already knows and
  // "invalid exchange type 'x'" when it is (e.g. 'foo', ''): an Erlang accident, so both are accepted.
  test('declaring an unknown exchange type closes the connection with 503 COMMAND_INVALID', async () => {
    const name = exchangeName('badtype');
    await expectConnectionError(
      broker.url,
      (ch) => ch.assertExchange(name, 'no-such-type', { durable: false }),
      503,
      /^COMMAND_INVALID - (unknown|invalid) exchange type 'no-such-type'$/,
    );
    assert.equal(await exchangeExists(name), false);
  });

  test('an unknown exchange type is rejected even when the exchange already exists', async () => {
    const ch = await channel();
    const name = exchangeName('badtype-existing');
    await ch.assertExchange(name, 'direct', { durable: false });
    await expectConnectionError(
      broker.url,
      (c) => c.assertExchange(name, 'no-such-type', { durable: false }),
      503,
      /^COMMAND_INVALID - (unknown|invalid) exchange type 'no-such-type'$/,
    );
    await ch.checkExchange(name);
  });

  test('declaring an exchange with an amq. prefix is 403 ACCESS_REFUSED', async () => {
    const name = `amq.${uniqueName('warren.reserved')}`;
    await expectChannelError(
      conn,
      (ch) => ch.assertExchange(name, 'direct', { durable: false }),
      403,
      new RegExp(`^ACCESS_REFUSED - exchange name ${quoted(name)} contains reserved prefix 'amq\\.\\*'$`),
      { method: 'exchange.declare' },
    );
  });

  test('redeclaring a predeclared amq. exchange with its own properties succeeds', async () => {
    const ch = await channel();
    assert.deepEqual(await ch.assertExchange('amq.direct', 'direct', { durable: true }), { exchange: 'amq.direct' });
    await ch.assertExchange('amq.topic', 'topic', { durable: true });
    await ch.assertExchange('amq.match', 'headers', { durable: true });
  });

  test('redeclaring a predeclared amq. exchange inequivalently is 406, not 403', async () => {
    await expectChannelError(
      conn,
      (ch) => ch.assertExchange('amq.direct', 'fanout', { durable: true }),
      406,
      /inequivalent arg 'type' for exchange 'amq\.direct' in vhost '\/': received 'fanout' but current is 'direct'/,
    );
  });

  test('delete if-unused of an exchange with bindings is 406 and keeps it', async () => {
    const ch = await channel();
    const name = exchangeName('inuse');
    const q = queueName('inuse');
    await ch.assertExchange(name, 'direct', { durable: false });
    await ch.assertQueue(q, { durable: false });
    await ch.bindQueue(q, name, 'k');
    await expectChannelError(
      conn,
      (c) => c.deleteExchange(name, { ifUnused: true }),
      406,
      new RegExp(`^PRECONDITION_FAILED - exchange ${quoted(name)} in vhost '/' in use$`),
      { method: 'exchange.delete' },
    );
    assert.equal(await exchangeExists(name), true);
  });

  test('delete if-unused of an exchange without bindings deletes it', async () => {
    const ch = await channel();
    const name = exchangeName('unused');
    await ch.assertExchange(name, 'direct', { durable: false });
    assert.deepEqual(await ch.deleteExchange(name, { ifUnused: true }), {});
    assert.equal(await exchangeExists(name), false);
  });

  test('delete if-unused only counts bindings where the exchange is the source', async () => {
    const ch = await channel();
    const source = exchangeName('src');
    const dest = exchangeName('dest');
    await ch.assertExchange(source, 'fanout', { durable: false });
    await ch.assertExchange(dest, 'fanout', { durable: false });
    await ch.bindExchange(dest, source, '');
    await ch.deleteExchange(dest, { ifUnused: true });
    assert.equal(await exchangeExists(dest), false);
    // the binding went with it, so the source is now unused
    await ch.deleteExchange(source, { ifUnused: true });
    assert.equal(await exchangeExists(source), false);
  });

  test('deleting a missing exchange succeeds', async () => {
    const ch = await channel();
    const name = exchangeName('never');
    assert.deepEqual(await ch.deleteExchange(name), {});
    assert.deepEqual(await ch.deleteExchange(name, { ifUnused: true }), {});
  });

  test('deleting an exchange removes its bindings', async () => {
    const ch = await confirmChannel();
    const name = exchangeName('rebind');
    const q = queueName('rebind');
    await ch.assertExchange(name, 'direct', { durable: false });
    await ch.assertQueue(q, { durable: false });
    await ch.bindQueue(q, name, 'k');
    await ch.deleteExchange(name);
    await ch.assertExchange(name, 'direct', { durable: false });
    ch.publish(name, 'k', Buffer.from('after'));
    await ch.waitForConfirms();
    assert.deepEqual(await drain(ch, q), []);
  });

  describe('default exchange', () => {
    test('binding a queue to the default exchange is 403', async () => {
      const ch = await channel();
      const q = queueName('default-bind');
      await ch.assertQueue(q, { durable: false });
      await expectChannelError(
        conn,
        (c) => c.bindQueue(q, '', 'k'),
        403,
        /^ACCESS_REFUSED - operation not permitted on the default exchange$/,
        { method: 'queue.bind' },
      );
    });

    test('unbinding a queue from the default exchange is 403', async () => {
      const ch = await channel();
      const q = queueName('default-unbind');
      await ch.assertQueue(q, { durable: false });
      await expectChannelError(
        conn,
        (c) => c.unbindQueue(q, '', q),
        403,
        /^ACCESS_REFUSED - operation not permitted on the default exchange$/,
        { method: 'queue.unbind' },
      );
    });

    test('exchange.bind with the default exchange as source is 403', async () => {
      const ch = await channel();
      const dest = exchangeName('default-src');
      await ch.assertExchange(dest, 'fanout', { durable: false });
      await expectChannelError(
        conn,
        (c) => c.bindExchange(dest, '', 'k'),
        403,
        /^ACCESS_REFUSED - operation not permitted on the default exchange$/,
        { method: 'exchange.bind' },
      );
    });

    test('exchange.bind with the default exchange as destination is 403', async () => {
      const ch = await channel();
      const source = exchangeName('default-dest');
      await ch.assertExchange(source, 'fanout', { durable: false });
      await expectChannelError(
        conn,
        (c) => c.bindExchange('', source, 'k'),
        403,
        /^ACCESS_REFUSED - operation not permitted on the default exchange$/,
        { method: 'exchange.bind' },
      );
    });

    test('deleting the default exchange is 403', async () => {
      await expectChannelError(
        conn,
        (ch) => ch.deleteExchange(''),
        403,
        /^ACCESS_REFUSED - operation not permitted on the default exchange$/,
        { method: 'exchange.delete' },
      );
    });

    test('declaring the default exchange is 403, even passively', async () => {
      await expectChannelError(
        conn,
        (ch) => ch.assertExchange('', 'direct', { durable: true }),
        403,
        /^ACCESS_REFUSED - operation not permitted on the default exchange$/,
        { method: 'exchange.declare' },
      );
      await expectChannelError(
        conn,
        (ch) => ch.checkExchange(''),
        403,
        /^ACCESS_REFUSED - operation not permitted on the default exchange$/,
        { method: 'exchange.declare' },
      );
    });

    test('declaring amq.default is 403 for its reserved prefix', async () => {
      await expectChannelError(
        conn,
        (ch) => ch.assertExchange('amq.default', 'direct', { durable: true }),
        403,
        /^ACCESS_REFUSED - exchange name 'amq\.default' contains reserved prefix 'amq\.\*'$/,
      );
    });

    test('amq.default is not an exchange: passive declare is 404', async () => {
      await expectChannelError(
        conn,
        (ch) => ch.checkExchange('amq.default'),
        404,
        /^NOT_FOUND - no exchange 'amq\.default' in vhost '\/'$/,
      );
    });

    test('deleting amq.default or another system exchange is 403', async () => {
      await expectChannelError(
        conn,
        (ch) => ch.deleteExchange('amq.default'),
        403,
        /^ACCESS_REFUSED - deletion of system exchange 'amq\.default' in vhost '\/' not allowed$/,
        { method: 'exchange.delete' },
      );
      await expectChannelError(
        conn,
        (ch) => ch.deleteExchange('amq.direct'),
        403,
        /^ACCESS_REFUSED - deletion of system exchange 'amq\.direct' in vhost '\/' not allowed$/,
      );
      await (await channel()).checkExchange('amq.direct');
    });
  });

  for (const name of ['amq.direct', 'amq.fanout', 'amq.topic', 'amq.headers', 'amq.match']) {
    test(`predeclared exchange ${name} exists`, async () => {
      const ch = await channel();
      assert.deepEqual(await ch.checkExchange(name), {});
    });
  }

  test('predeclared exchanges have their standard types', async () => {
    const types: Record<string, string> = {
      'amq.direct': 'direct',
      'amq.fanout': 'fanout',
      'amq.topic': 'topic',
      'amq.headers': 'headers',
      'amq.match': 'headers',
    };
    const ch = await channel();
    for (const [name, type] of Object.entries(types)) {
      assert.deepEqual(await ch.assertExchange(name, type, { durable: true }), { exchange: name });
    }
  });

  test('publishing to a missing exchange is a 404 channel error', async () => {
    const name = exchangeName('nowhere');
    await expectChannelError(
      conn,
      (ch) => ch.publish(name, 'k', Buffer.from('x')),
      404,
      new RegExp(`^NOT_FOUND - no exchange ${quoted(name)} in vhost '/'$`),
      { method: 'basic.publish' },
    );
  });

  describe('exchange-to-exchange bindings', () => {
    test('messages route through an exchange-to-exchange binding, and stop after unbind', async () => {
      const ch = await confirmChannel();
      const source = exchangeName('e2e-src');
      const dest = exchangeName('e2e-dest');
      const q = queueName('e2e');
      await ch.assertExchange(source, 'direct', { durable: false });
      await ch.assertExchange(dest, 'fanout', { durable: false });
      await ch.assertQueue(q, { durable: false });
      await ch.bindQueue(q, dest, '');
      assert.deepEqual(await ch.bindExchange(dest, source, 'red'), {});

      ch.publish(source, 'red', Buffer.from('red-1'));
      ch.publish(source, 'blue', Buffer.from('blue-1'));
      await ch.waitForConfirms();
      const m = await ch.get(q, { noAck: true });
      assert.ok(m);
      assert.equal(m.content.toString(), 'red-1');
      // the delivery names the exchange the message was published to, not the one that held the queue binding
      assert.equal(m.fields.exchange, source);
      assert.equal(m.fields.routingKey, 'red');
      assert.deepEqual(await drain(ch, q), []);

      assert.deepEqual(await ch.unbindExchange(dest, source, 'red'), {});
      ch.publish(source, 'red', Buffer.from('red-2'));
      await ch.waitForConfirms();
      assert.deepEqual(await drain(ch, q), []);
    });

    test('exchange.bind to a missing destination or source is 404', async () => {
      const ch = await channel();
      const existing = exchangeName('e2e-existing');
      const missing = exchangeName('e2e-missing');
      await ch.assertExchange(existing, 'fanout', { durable: false });
      await expectChannelError(
        conn,
        (c) => c.bindExchange(missing, existing, ''),
        404,
        new RegExp(`^NOT_FOUND - no exchange ${quoted(missing)} in vhost '/'$`),
        { method: 'exchange.bind' },
      );
      await expectChannelError(
        conn,
        (c) => c.bindExchange(existing, missing, ''),
        404,
        new RegExp(`^NOT_FOUND - no exchange ${quoted(missing)} in vhost '/'$`),
        { method: 'exchange.bind' },
      );
    });

    test('exchange.unbind of a binding that does not exist succeeds', async () => {
      const ch = await channel();
      const a = exchangeName('unbind-a');
      const b = exchangeName('unbind-b');
      await ch.assertExchange(a, 'fanout', { durable: false });
      await ch.assertExchange(b, 'fanout', { durable: false });
      assert.deepEqual(await ch.unbindExchange(b, a, 'never-bound'), {});
      assert.deepEqual(await ch.unbindExchange(exchangeName('gone-1'), exchangeName('gone-2'), ''), {});
    });

    test('a cycle of exchange bindings delivers a message to a queue once', async () => {
      const ch = await confirmChannel();
      const a = exchangeName('cycle-a');
      const b = exchangeName('cycle-b');
      const q = queueName('cycle');
      await ch.assertExchange(a, 'fanout', { durable: false });
      await ch.assertExchange(b, 'fanout', { durable: false });
      await ch.bindExchange(b, a, '');
      await ch.bindExchange(a, b, '');
      await ch.bindExchange(a, a, '');
      await ch.assertQueue(q, { durable: false });
      await ch.bindQueue(q, a, '');
      await ch.bindQueue(q, b, '');
      ch.publish(a, 'k', Buffer.from('once'));
      await ch.waitForConfirms();
      assert.deepEqual(await drain(ch, q), ['once']);
    });
  });

  describe('internal exchanges', () => {
    test('publishing to an internal exchange is 403 ACCESS_REFUSED', async () => {
      const ch = await channel();
      const name = exchangeName('internal-pub');
      await ch.assertExchange(name, 'fanout', { durable: false, internal: true });
      await expectChannelError(
        conn,
        (c) => c.publish(name, 'k', Buffer.from('x')),
        403,
        new RegExp(`^ACCESS_REFUSED - cannot publish to internal exchange ${quoted(name)} in vhost '/'$`),
        { method: 'basic.publish' },
      );
    });

    test('an internal exchange receives messages through an exchange-to-exchange binding', async () => {
      const ch = await confirmChannel();
      const front = exchangeName('front');
      const internal = exchangeName('internal-dest');
      const q = queueName('internal');
      await ch.assertExchange(front, 'topic', { durable: false });
      await ch.assertExchange(internal, 'fanout', { durable: false, internal: true });
      await ch.assertQueue(q, { durable: false });
      await ch.bindQueue(q, internal, '');
      await ch.bindExchange(internal, front, 'a.#');
      ch.publish(front, 'a.b', Buffer.from('via-internal'));
      ch.publish(front, 'b.a', Buffer.from('not-routed'));
      await ch.waitForConfirms();
      assert.deepEqual(await drain(ch, q), ['via-internal']);
    });
  });

  describe('auto-delete exchanges', () => {
    test('an auto-delete exchange is deleted when its last binding is removed', async () => {
      const ch = await channel();
      const name = exchangeName('ad');
      const q = queueName('ad');
      await ch.assertExchange(name, 'direct', { durable: false, autoDelete: true });
      await ch.assertQueue(q, { durable: false });
      await ch.bindQueue(q, name, 'a');
      await ch.bindQueue(q, name, 'b');
      await ch.unbindQueue(q, name, 'a');
      await ch.checkExchange(name); // one binding left
      await ch.unbindQueue(q, name, 'b');
      assert.equal(await exchangeExists(name), false);
    });

    test('an auto-delete exchange that never had a binding is not deleted', async () => {
      const ch = await channel();
      const name = exchangeName('ad-unbound');
      await ch.assertExchange(name, 'direct', { durable: false, autoDelete: true });
      // removing a binding it never had does not delete it either
      await ch.unbindQueue(queueName('ad-none'), name, 'k');
      assert.equal(await exchangeExists(name), true);
    });

    test('an auto-delete exchange is deleted when the queue of its last binding is deleted', async () => {
      const ch = await channel();
      const name = exchangeName('ad-qdel');
      const q = queueName('ad-qdel');
      await ch.assertExchange(name, 'fanout', { durable: false, autoDelete: true });
      await ch.assertQueue(q, { durable: false });
      await ch.bindQueue(q, name, '');
      await ch.deleteQueue(q);
      assert.equal(await exchangeExists(name), false);
    });

    test('an auto-delete exchange is deleted when its last exchange-to-exchange binding as source goes', async () => {
      const ch = await channel();
      const name = exchangeName('ad-e2e-src');
      const dest = exchangeName('ad-e2e-dest');
      await ch.assertExchange(name, 'fanout', { durable: false, autoDelete: true });
      await ch.assertExchange(dest, 'fanout', { durable: false });
      await ch.bindExchange(dest, name, '');
      await ch.deleteExchange(dest);
      assert.equal(await exchangeExists(name), false);
    });

    test('an auto-delete exchange is kept when a binding where it is the destination goes', async () => {
      const ch = await channel();
      const name = exchangeName('ad-as-dest');
      await ch.assertExchange(name, 'fanout', { durable: false, autoDelete: true });
      await ch.bindExchange(name, 'amq.fanout', name);
      await ch.unbindExchange(name, 'amq.fanout', name);
      assert.equal(await exchangeExists(name), true);
    });

    test('binding twice makes one binding: a single unbind removes it', async () => {
      const ch = await channel();
      const name = exchangeName('ad-twice');
      const q = queueName('ad-twice');
      await ch.assertExchange(name, 'direct', { durable: false, autoDelete: true });
      await ch.assertQueue(q, { durable: false });
      await ch.bindQueue(q, name, 'k');
      await ch.bindQueue(q, name, 'k');
      await ch.unbindQueue(q, name, 'k');
      assert.equal(await exchangeExists(name), false);
    });
  });
});
