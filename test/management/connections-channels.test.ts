// /api/connections, /api/channels and /api/consumers as RabbitMQ 3.10's management API gives them,
// including closing a connection with DELETE (the client sees connection.close 320 CONNECTION_FORCED).
// On RabbitMQ these lists come from the statistics database: a new connection shows up after a second
// or two and its channel count after up to 5 s, so the tests poll, and run side by side to wait once.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Channel, ChannelModel, ConfirmChannel } from 'amqplib';
import { managementTarget, type ManagementTarget } from '../helpers/management.js';
import { amqplibClose } from '../helpers/amqp-expect.js';
import { S, assertShape, counters, hasShape } from './shape.js';
import {
  Cleanup,
  NOT_FOUND,
  ROOT,
  amqpConnect,
  amqpPort,
  call,
  closeQuietly,
  expectError,
  expectStatus,
  get,
  localPort,
  poll,
  rawCall,
  seg,
  uniq,
} from './support.js';

const CONNECTION = {
  name: S.text,
  node: S.text,
  vhost: S.string,
  user: S.string,
  user_who_performed_action: S.string,
  state: S.string,
  protocol: S.string,
  type: S.literal('network'),
  auth_mechanism: S.string,
  host: S.string,
  port: S.port,
  peer_host: S.string,
  peer_port: S.port,
  ssl: S.bool,
  channels: S.count,
  channel_max: S.count,
  frame_max: S.count,
  timeout: S.count,
  connected_at: S.count,
  client_properties: S.object,
  ...counters('recv_oct', 'send_oct'),
  recv_cnt: S.count,
  send_cnt: S.count,
  send_pend: S.count,
};

const CHANNEL = {
  name: S.text,
  node: S.text,
  number: S.count,
  vhost: S.string,
  user: S.string,
  user_who_performed_action: S.string,
  state: S.string,
  connection_details: S.exact({ name: S.text, peer_host: S.string, peer_port: S.port }),
  consumer_count: S.count,
  prefetch_count: S.count,
  global_prefetch_count: S.count,
  messages_unacknowledged: S.count,
  messages_unconfirmed: S.count,
  messages_uncommitted: S.count,
  acks_uncommitted: S.count,
  pending_raft_commands: S.count,
  confirm: S.bool,
  transactional: S.bool,
};

const CONSUMER = {
  consumer_tag: S.string,
  queue: S.exact({ name: S.string, vhost: S.string }),
  channel_details: S.exact({
    name: S.text,
    number: S.count,
    connection_name: S.text,
    peer_host: S.string,
    peer_port: S.port,
    user: S.string,
    node: S.text,
  }),
  ack_required: S.bool,
  prefetch_count: S.count,
  exclusive: S.bool,
  arguments: S.object,
  active: S.bool,
  activity_status: S.string,
};

type Json = Record<string, any>;

let t: ManagementTarget;
const cleanup = new Cleanup();

before(async () => {
  t = await managementTarget();
});
after(async () => {
  await cleanup.run();
  await t.close();
});

/** Opens a connection with a unique client-provided name; closed after the file. */
async function open(area: string): Promise<{ conn: ChannelModel; providedName: string; name: string }> {
  const providedName = uniq(area);
  const conn = await amqpConnect(t, providedName);
  cleanup.add(() => closeQuietly(conn));
  const host = new URL(t.amqpUrl).hostname;
  // RabbitMQ names a connection "<peer host>:<peer port> -> <host>:<port>"
  const name = `${host}:${localPort(conn)} -> ${host}:${amqpPort(t)}`;
  return { conn, providedName, name };
}

/**
 * Polls /api/connections until the connection with this client-provided name has all its fields (RabbitMQ
 * first lists a connection without state, channels and counters) and shows accept().
 */
function listedConnection(providedName: string, accept: (c: Json) => boolean = () => true): Promise<Json> {
  return poll(
    () => get(t, '/api/connections'),
    (list: Json[]) => list.some((c) => c.user_provided_name === providedName && hasShape(c, CONNECTION) && accept(c)),
    `connection ${providedName} in /api/connections`,
  ).then((list: Json[]) => list.find((c) => c.user_provided_name === providedName)!);
}

describe('connections and channels', { concurrency: true }, () => {
  test('/api/connections lists a connection with its fields; its name is "<peer_host>:<peer_port> -> <host>:<port>"', async () => {
    const before = Date.now();
    const { conn, providedName, name } = await open('conn.list');
    await conn.createChannel();
    const c = await listedConnection(providedName, (x) => x.channels === 1);
    assertShape(c, CONNECTION, 'connection');
    assert.equal(c.name, name);
    assert.equal(c.name, `${c.peer_host}:${c.peer_port} -> ${c.host}:${c.port}`);
    assert.equal(c.peer_port, localPort(conn));
    assert.equal(c.port, amqpPort(t));
    assert.equal(c.vhost, '/');
    assert.equal(c.user, 'guest');
    assert.equal(c.user_who_performed_action, 'guest');
    assert.equal(c.state, 'running');
    assert.equal(c.protocol, 'AMQP 0-9-1');
    assert.equal(c.auth_mechanism, 'PLAIN');
    assert.equal(c.ssl, false);
    // what amqplib negotiates with the broker's tune
    assert.equal(c.channel_max, 2047);
    assert.equal(c.frame_max, 131072);
    assert.equal(c.timeout, 60);
    assert.ok(c.connected_at >= before - 2000 && c.connected_at <= Date.now() + 2000, 'connected_at is in epoch milliseconds');
    assert.equal(c.user_provided_name, providedName);
    assertShape(c.client_properties, {
      connection_name: S.literal(providedName),
      product: S.literal('amqplib'),
      version: S.string,
      platform: S.string,
      capabilities: S.record(S.bool),
    });
  });

  test('GET /api/connections/{name} gives the connection; /api/vhosts/{vhost}/connections lists it; unknown names are 404', async () => {
    const { providedName, name } = await open('conn.get');
    await listedConnection(providedName);
    const c = await get(t, `/api/connections/${seg(name)}`);
    assertShape(c, CONNECTION, 'GET /api/connections/{name}');
    assert.equal(c.name, name);
    assert.equal(c.user_provided_name, providedName);
    const inVhost: Json[] = await get(t, `/api/vhosts/${ROOT}/connections`);
    assert.ok(inVhost.some((x) => x.name === name));
    expectError(await call(t, 'GET', `/api/connections/${seg(`${name}-not`)}`), 404, NOT_FOUND);
    expectError(await call(t, 'GET', `/api/vhosts/${seg(uniq('no-such-vhost'))}/connections`), 404, NOT_FOUND);
  });

  test('a connection that gives no connection_name has no user_provided_name field', async () => {
    const conn = await amqpConnect(t);
    cleanup.add(() => closeQuietly(conn));
    const port = localPort(conn);
    const list = await poll(
      () => get(t, '/api/connections'),
      (l: Json[]) => l.some((c) => c.peer_port === port && hasShape(c, CONNECTION)),
      'unnamed connection listed',
    );
    const c = list.find((x: Json) => x.peer_port === port)!;
    assertShape(c, CONNECTION);
    assert.ok(!('user_provided_name' in c), 'no user_provided_name');
  });

  test('channels: /api/channels, /api/connections/{name}/channels and /api/channels/{name} ("<connection> (<number>)")', async () => {
    const { conn, providedName, name } = await open('chan');
    const plain: Channel = await conn.createChannel();
    await plain.prefetch(5);
    await plain.prefetch(7, true);
    const confirm: ConfirmChannel = await conn.createConfirmChannel();
    await listedConnection(providedName, (c) => c.channels === 2);
    const channels: Json[] = await poll(
      () => get(t, `/api/connections/${seg(name)}/channels`),
      (l: Json[]) => l.length === 2 && l.some((c) => c.confirm === true) && l.some((c) => c.prefetch_count === 5),
      'both channels of the connection',
    );
    assertShape(channels, S.arrayOf(CHANNEL, 2), 'connection channels');
    channels.sort((a, b) => a.number - b.number);
    const [one, two] = channels;
    assert.equal(one!.name, `${name} (1)`);
    assert.equal(one!.number, 1);
    assert.deepEqual(one!.connection_details, { name, peer_host: one!.connection_details.peer_host, peer_port: localPort(conn) });
    assert.equal(one!.prefetch_count, 5);
    assert.equal(one!.global_prefetch_count, 7);
    assert.equal(one!.confirm, false);
    assert.equal(one!.transactional, false);
    assert.equal(one!.state, 'running');
    assert.equal(one!.user, 'guest');
    assert.equal(one!.vhost, '/');
    assert.equal(two!.name, `${name} (2)`);
    assert.equal(two!.confirm, true);
    const all: Json[] = await get(t, '/api/channels');
    assert.ok(all.some((c) => c.name === `${name} (1)`) && all.some((c) => c.name === `${name} (2)`), '/api/channels lists both');
    const inVhost: Json[] = await get(t, `/api/vhosts/${ROOT}/channels`);
    assert.ok(inVhost.some((c) => c.name === `${name} (2)`), '/api/vhosts/{vhost}/channels lists them');
    const single = await get(t, `/api/channels/${seg(`${name} (1)`)}`);
    assertShape(single, { ...CHANNEL, consumer_details: S.array, publishes: S.array, deliveries: S.array }, 'GET /api/channels/{name}');
    expectError(await call(t, 'GET', `/api/channels/${seg(`${name} (9)`)}`), 404, NOT_FOUND);
    expectError(await call(t, 'GET', `/api/vhosts/${seg(uniq('no-such-vhost'))}/channels`), 404, NOT_FOUND);
    await confirm.close();
  });

  test('/api/consumers and /api/consumers/{vhost}: consumer_tag, queue, channel_details, ack_required, prefetch_count, exclusive, arguments', async () => {
    const { conn, name } = await open('consumers');
    const ch = await conn.createChannel();
    const q = uniq('consumers.q');
    await ch.assertQueue(q, { exclusive: true });
    await ch.prefetch(7);
    const tagA = uniq('ctag-a');
    const tagB = uniq('ctag-b');
    await ch.consume(q, () => {}, { consumerTag: tagA, arguments: { 'x-priority': 3 } });
    await ch.consume(q, () => {}, { consumerTag: tagB, noAck: true, exclusive: false });
    const exclusiveQ = uniq('consumers.exclusive');
    await ch.assertQueue(exclusiveQ, { exclusive: true });
    const tagC = uniq('ctag-c');
    await ch.consume(exclusiveQ, () => {}, { consumerTag: tagC, exclusive: true });
    // RabbitMQ lists a consumer at once but with channel_details [] until its channel's statistics are in
    const list: Json[] = await poll(
      () => get(t, '/api/consumers'),
      (l: Json[]) => [tagA, tagB, tagC].every((tag) => l.some((c) => c.consumer_tag === tag && hasShape(c, CONSUMER))),
      'our three consumers',
    );
    const mine = (tag: string) => list.find((c) => c.consumer_tag === tag)!;
    for (const tag of [tagA, tagB, tagC]) assertShape(mine(tag), CONSUMER, `consumer ${tag}`);
    const a = mine(tagA);
    assert.deepEqual(a.queue, { name: q, vhost: '/' });
    assert.equal(a.ack_required, true);
    assert.equal(a.prefetch_count, 7);
    assert.equal(a.exclusive, false);
    assert.deepEqual(a.arguments, { 'x-priority': 3 });
    assert.equal(a.active, true);
    assert.equal(a.activity_status, 'up');
    assert.equal(a.channel_details.name, `${name} (1)`);
    assert.equal(a.channel_details.number, 1);
    assert.equal(a.channel_details.connection_name, name, 'the connection name, not the client-provided one');
    assert.equal(a.channel_details.peer_port, localPort(conn));
    assert.equal(a.channel_details.user, 'guest');
    assert.equal(mine(tagB).ack_required, false);
    assert.deepEqual(mine(tagB).arguments, {});
    assert.equal(mine(tagC).exclusive, true);
    assert.deepEqual(mine(tagC).queue, { name: exclusiveQ, vhost: '/' });
    const inVhost: Json[] = await get(t, `/api/consumers/${ROOT}`);
    assert.ok(inVhost.some((c) => c.consumer_tag === tagA));
    expectError(await call(t, 'GET', `/api/consumers/${seg(uniq('no-such-vhost'))}`), 404, NOT_FOUND);
  });

  test('DELETE /api/connections/{name} with X-Reason: 204; the client gets connection.close 320 "CONNECTION_FORCED - <reason>"', async () => {
    const { conn, providedName, name } = await open('conn.delete');
    const closed = new Promise<Error | undefined>((resolve) => conn.once('close', resolve));
    await listedConnection(providedName);
    const reply = await rawCall(t, 'DELETE', `/api/connections/${seg(name)}`, {
      headers: { authorization: t.auth(), 'x-reason': 'maintenance window' },
    });
    expectStatus(reply, 204);
    assert.equal(reply.text, '');
    const err = await closed;
    assert.ok(err, 'closed with an error');
    const close = amqplibClose(err);
    assert.equal(close.code, 320);
    assert.equal(close.text, 'CONNECTION_FORCED - maintenance window');
    await poll(() => call(t, 'GET', `/api/connections/${seg(name)}`), (r) => r.status === 404, 'connection gone');
    expectError(await call(t, 'DELETE', `/api/connections/${seg(name)}`), 404, NOT_FOUND);
  });

  test('DELETE without X-Reason: the reply text is "CONNECTION_FORCED - Closed via management plugin"', async () => {
    const { conn, providedName, name } = await open('conn.delete-default');
    const closed = new Promise<Error | undefined>((resolve) => conn.once('close', resolve));
    await listedConnection(providedName);
    expectStatus(await call(t, 'DELETE', `/api/connections/${seg(name)}`), 204);
    const close = amqplibClose(await closed);
    assert.deepEqual([close.code, close.text], [320, 'CONNECTION_FORCED - Closed via management plugin']);
  });

  test('counters on a connection grow with traffic (recv_oct, send_oct)', async () => {
    const { conn, providedName } = await open('conn.octets');
    const ch = await conn.createChannel();
    const q = uniq('octets.q');
    await ch.assertQueue(q, { exclusive: true });
    for (let i = 0; i < 10; i++) ch.sendToQueue(q, Buffer.alloc(1000));
    await ch.get(q, { noAck: true });
    const c = await listedConnection(providedName, (x) => x.recv_oct >= 10_000 && x.send_oct >= 1000);
    assertShape(c, CONNECTION);
  });
});
