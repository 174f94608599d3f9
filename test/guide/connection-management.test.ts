// The guide's "Connection management": a RabbitConnection that keeps one long-lived connection and
// channel, and forgets them on 'error' or 'close' so that the next getChannel() connects again.
//
// The broker has to go away and come back. An embedded broker is stopped and started; an external one
// (the reference RabbitMQ, shared with others) cannot be, so the client reaches it through a TCP proxy
// and the proxy is cut and restored instead.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import amqp, { type Channel, type ChannelModel } from 'amqplib';
import { testBroker, uniqueName, type TestBroker } from '../helpers/broker.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';

/** The guide's class, typed. */
class RabbitConnection {
  connection: ChannelModel | null = null;
  channel: Channel | null = null;

  constructor(readonly url: string) {}

  async getChannel(): Promise<Channel> {
    if (!this.channel) {
      this.connection = await amqp.connect(this.url);
      this.channel = await this.connection.createChannel();
      this.connection.on('error', () => {
        this.channel = null;
        this.connection = null;
      });
      this.connection.on('close', () => {
        this.channel = null;
        this.connection = null;
      });
    }
    return this.channel;
  }
}

let broker: TestBroker;
let proxy: TcpProxy | null = null;
/** where the RabbitConnection connects */
let url: string;
/** make the broker unreachable, and bring it back */
let goAway: () => Promise<void>;
let comeBack: () => Promise<void>;
const queues: string[] = [];
const managers: RabbitConnection[] = [];

before(async () => {
  broker = await testBroker();
  if (broker.embedded && broker.stop && broker.start) {
    url = broker.url;
    goAway = broker.stop;
    comeBack = broker.start;
  } else {
    const p = await TcpProxy.start(broker.url);
    proxy = p;
    url = p.urlFor(broker.url);
    goAway = () => p.cut();
    comeBack = () => p.restore();
  }
});

after(async () => {
  for (const m of managers) await m.connection?.close().catch(() => {});
  if (queues.length) {
    const conn = await amqp.connect(broker.url);
    const ch = await conn.createChannel();
    for (const q of queues) await ch.deleteQueue(q);
    await conn.close();
  }
  await proxy?.close();
  await broker.close();
});

function manager(): RabbitConnection {
  const m = new RabbitConnection(url);
  managers.push(m);
  return m;
}

/** declare, publish, get back: proof that a channel works */
async function roundTrip(ch: Channel, queue: string, text: string): Promise<void> {
  await ch.assertQueue(queue, { durable: false });
  ch.sendToQueue(queue, Buffer.from(text));
  // basic.get queues up behind the publish on the same channel
  const msg = await ch.get(queue, { noAck: true });
  assert.ok(msg, 'the message published on this channel is there');
  assert.equal(msg.content.toString(), text);
}

describe('guide: connection management', { timeout: 60_000 }, () => {
  test('getChannel() opens one connection and channel and then keeps returning them', async () => {
    const rc = manager();
    const ch = await rc.getChannel();
    const conn = rc.connection;
    assert.ok(conn);
    assert.equal(await rc.getChannel(), ch);
    assert.equal(rc.connection, conn);
    const q = uniqueName('guide.connection');
    queues.push(q);
    await roundTrip(ch, q, 'cached');
  });

  test('when the broker goes away the client sees close; once it is back, getChannel() works again', async () => {
    const rc = manager();
    const q = uniqueName('guide.connection');
    queues.push(q);
    const first = await rc.getChannel();
    const firstConnection = rc.connection;
    assert.ok(firstConnection);
    await roundTrip(first, q, 'before');

    const closed = new Promise<Error | undefined>((resolve) => firstConnection.once('close', resolve));
    await goAway();
    const reason = await closed;
    if (broker.embedded) {
      // a broker shutting down closes connections with 320 CONNECTION_FORCED
      assert.equal((reason as (Error & { code?: number }) | undefined)?.code, 320);
    }
    assert.equal(rc.channel, null, 'the channel was forgotten');
    assert.equal(rc.connection, null, 'the connection was forgotten');

    // while the broker is away, asking for a channel fails and caches nothing
    await assert.rejects(rc.getChannel());
    assert.equal(rc.channel, null);
    assert.equal(rc.connection, null);

    await comeBack();
    const second = await rc.getChannel();
    assert.notEqual(second, first);
    assert.notEqual(rc.connection, firstConnection);
    await roundTrip(second, q, 'after');
    assert.equal(await rc.getChannel(), second);
  });
});
