// GET /api/overview, /api/whoami and /api/nodes: the shapes RabbitMQ 3.10's management API gives them,
// pinned against the reference broker. Values that depend on the installation (versions, node name,
// ports) are checked for type and consistency, not for value.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { managementTarget, type ManagementTarget } from '../helpers/management.js';
import { S, assertShape, counters, hasShape } from './shape.js';
import {
  Cleanup,
  badRequest,
  amqpConnect,
  amqpPort,
  call,
  closeQuietly,
  createUser,
  expectError,
  get,
  httpPort,
  poll,
  seg,
  uniq,
} from './support.js';

const VERSION = S.match(/^\d+\.\d+\.\d+/);

const OVERVIEW = {
  product_name: S.text,
  product_version: VERSION,
  rabbitmq_version: VERSION,
  management_version: VERSION,
  rates_mode: S.enum('basic', 'detailed', 'none'),
  cluster_name: S.text,
  node: S.text,
  exchange_types: S.arrayOf({ name: S.text, description: S.string, enabled: S.bool }, 1),
  object_totals: S.exact({
    connections: S.count,
    channels: S.count,
    exchanges: S.count,
    queues: S.count,
    consumers: S.count,
  }),
  churn_rates: counters(
    'connection_created',
    'connection_closed',
    'channel_created',
    'channel_closed',
    'queue_declared',
    'queue_created',
    'queue_deleted',
  ),
  listeners: S.arrayOf({ node: S.text, protocol: S.text, ip_address: S.string, port: S.port }, 1),
  contexts: S.arrayOf({ node: S.text, description: S.string, path: S.string, port: S.string }),
  message_stats: S.optional(S.object),
  queue_totals: S.optional(S.object),
};

/**
 * proc_used and proc_total count Erlang processes: a broker that is not an Erlang node (Warren, when
 * embedded) has none to count and leaves them out.
 */
const nodeShape = (embedded: boolean) => {
  const shape: Record<string, any> = { ...NODE };
  if (embedded) for (const key of ['proc_used', 'proc_total', 'proc_used_details']) shape[key] = S.optional(NODE[key as keyof typeof NODE] as any);
  return shape;
};

const NODE = {
  name: S.text,
  type: S.enum('disc', 'ram'),
  running: S.bool,
  os_pid: S.match(/^\d+$/), // a string, not a number
  uptime: S.count,
  processors: S.count,
  run_queue: S.count,
  rates_mode: S.string,
  mem_used: S.count,
  mem_limit: S.count,
  mem_alarm: S.bool,
  disk_free: S.count,
  disk_free_limit: S.count,
  disk_free_alarm: S.bool,
  fd_used: S.count,
  fd_total: S.count,
  sockets_used: S.count,
  sockets_total: S.count,
  proc_used: S.count,
  proc_total: S.count,
  partitions: S.array,
  exchange_types: S.arrayOf({ name: S.text, description: S.string, enabled: S.bool }, 1),
  auth_mechanisms: S.arrayOf({ name: S.text, description: S.string, enabled: S.bool }, 1),
  applications: S.arrayOf({ name: S.text, description: S.string, version: S.string }, 1),
  ...counters('mem_used', 'fd_used', 'sockets_used', 'proc_used', 'disk_free'),
};

describe('GET /api/overview', () => {
  let t: ManagementTarget;
  const cleanup = new Cleanup();

  before(async () => {
    t = await managementTarget();
  });
  after(async () => {
    await cleanup.run();
    await t.close();
  });

  test('has the product, version, node, totals and listeners fields', async () => {
    const o = await get(t, '/api/overview');
    assertShape(o, OVERVIEW, 'overview');
    assert.ok(o.node.includes('@'), `node name is an Erlang-style name@host: ${o.node}`);
    const types = o.exchange_types.map((x: { name: string }) => x.name);
    for (const ty of ['direct', 'fanout', 'headers', 'topic']) assert.ok(types.includes(ty), `exchange type ${ty} listed`);
  });

  test('lists the AMQP and HTTP listeners of this broker, on this node', async () => {
    const o = await get(t, '/api/overview');
    const amqp = o.listeners.find((l: { protocol: string }) => l.protocol === 'amqp');
    assert.ok(amqp, 'an amqp listener');
    assert.equal(amqp.port, amqpPort(t));
    assert.equal(amqp.node, o.node);
    const http = o.listeners.find((l: { protocol: string }) => l.protocol === 'http');
    assert.ok(http, 'an http listener');
    assert.equal(http.port, httpPort(t));
    // contexts give the port as a string
    assert.ok(o.contexts.some((c: { port: string }) => c.port === String(httpPort(t))), 'a context on the HTTP port');
  });

  test('object_totals count open connections, channels, queues and consumers; queue_totals and message_stats follow traffic', async () => {
    const conn = await amqpConnect(t, uniq('overview.conn'));
    try {
      const ch = await conn.createChannel();
      const q = uniq('overview.q');
      await ch.assertQueue(q, { exclusive: true });
      for (let i = 0; i < 4; i++) ch.sendToQueue(q, Buffer.from(`m${i}`));
      const first = await poll(() => ch.get(q), (m) => m !== false, 'basic.get of a published message', 5000, 20);
      if (first) ch.ack(first);
      const noAck = await ch.get(q, { noAck: true });
      assert.ok(noAck);
      await ch.consume(q, (m) => {
        if (m) ch.ack(m);
      });
      // counts are global to a shared broker, so only "at least ours" can be asserted
      const o = await poll(
        () => get(t, '/api/overview'),
        (b) =>
          b.object_totals.connections >= 1 &&
          b.object_totals.channels >= 1 &&
          b.object_totals.queues >= 1 &&
          b.object_totals.consumers >= 1 &&
          hasShape(b.message_stats, counters('publish', 'deliver_get')) &&
          b.message_stats.publish >= 4 &&
          b.message_stats.deliver_get >= 4 &&
          hasShape(b.queue_totals, counters('messages')),
        'overview with our traffic counted',
      );
      assert.ok(o.object_totals.exchanges >= 7, "at least the 7 standard exchanges of '/'");
      assertShape(
        o.message_stats,
        counters('publish', 'deliver_get', 'deliver', 'deliver_no_ack', 'get', 'get_no_ack', 'ack', 'redeliver'),
        'overview message_stats',
      );
      assertShape(o.queue_totals, counters('messages', 'messages_ready', 'messages_unacknowledged'), 'queue_totals');
    } finally {
      await closeQuietly(conn);
    }
  });

  test('history: ?lengths_age/lengths_incr and msg_rates_age/msg_rates_incr add samples (newest first, on multiples of incr), avg and avg_rate', async () => {
    const conn = await amqpConnect(t);
    try {
      // some traffic, so message_stats has something to sample
      const ch = await conn.createChannel();
      const { queue } = await ch.assertQueue('', { exclusive: true });
      ch.sendToQueue(queue, Buffer.from('x'));
      await ch.get(queue, { noAck: true });
      const o = await poll(
        () => get(t, '/api/overview?lengths_age=60&lengths_incr=5&msg_rates_age=60&msg_rates_incr=5'),
        (b) => (b.queue_totals?.messages_details?.samples?.length ?? 0) > 0 && b.message_stats?.publish_details?.samples !== undefined,
        'overview samples',
      );
      const details = o.queue_totals.messages_details;
      assert.deepEqual(Object.keys(details).sort(), ['avg', 'avg_rate', 'rate', 'samples']);
      assert.ok(details.samples.length <= 13, `at most 60/5 + 1 samples, got ${details.samples.length}`);
      for (const [i, s] of details.samples.entries()) {
        assert.deepEqual(Object.keys(s).sort(), ['sample', 'timestamp']);
        assert.equal(typeof s.sample, 'number');
        assert.equal(s.timestamp % 5000, 0, 'timestamps on multiples of incr');
        if (i > 0) assert.equal(details.samples[i - 1].timestamp - s.timestamp, 5000, 'newest first, incr apart');
      }
      assert.ok(Math.abs(details.samples[0].timestamp - Date.now()) < 15_000, 'the newest sample is recent');
      assertShape(o.message_stats.publish_details, { rate: S.number, samples: S.array, avg: S.number, avg_rate: S.number });
      // Without the parameters: the rate only
      const plain = await get(t, '/api/overview');
      assert.deepEqual(Object.keys(plain.queue_totals.messages_details), ['rate']);
    } finally {
      await closeQuietly(conn);
    }
  });

  test('history ranges: RabbitMQ\'s limits (age and incr above 0, at most 500 samples) are 400; a half or non-integer range is ignored', async () => {
    for (const [age, incr] of [
      [60, 0],
      [0, 5],
      [-5, 5],
      [2505, 5],
    ]) {
      expectError(
        await call(t, 'GET', `/api/overview?lengths_age=${age}&lengths_incr=${incr}`),
        400,
        badRequest(`Invalid range parameters: age ${age}, incr ${incr}`),
        `age ${age}, incr ${incr}`,
      );
    }
    for (const query of ['lengths_age=60', 'lengths_age=5.5&lengths_incr=5', 'lengths_age=abc&lengths_incr=5']) {
      const o = await get(t, `/api/overview?${query}`);
      assert.deepEqual(Object.keys(o.queue_totals.messages_details), ['rate'], query);
    }
    const most = await get(t, '/api/overview?lengths_age=2500&lengths_incr=5');
    assert.ok(Array.isArray(most.queue_totals.messages_details.samples), '500 samples is allowed');
  });

  test("a management user (not monitoring) gets an overview without node, listeners or contexts", async () => {
    const user = await createUser(t, cleanup, uniq('overview.mgmt'), 'management');
    const reply = await call(t, 'GET', '/api/overview', undefined, user);
    assert.equal(reply.status, 200);
    assertShape(reply.body, { product_name: S.text, rabbitmq_version: VERSION, object_totals: S.object });
    for (const key of ['node', 'listeners', 'contexts']) assert.ok(!(key in reply.body), `no ${key} for a management user`);
  });
});

describe('GET /api/whoami', () => {
  let t: ManagementTarget;
  const cleanup = new Cleanup();

  before(async () => {
    t = await managementTarget();
  });
  after(async () => {
    await cleanup.run();
    await t.close();
  });

  test('guest: exactly {name, tags} with tags as an array', async () => {
    const me = await get(t, '/api/whoami');
    assertShape(me, S.exact({ name: S.string, tags: S.arrayOf(S.string) }));
    assert.equal(me.name, 'guest');
    assert.ok(me.tags.includes('administrator'));
  });

  test('tags come back in the order given, trimmed, duplicates kept', async () => {
    const name = uniq('whoami');
    const user = await createUser(t, cleanup, name, 'policymaker, monitoring ,policymaker');
    const reply = await call(t, 'GET', '/api/whoami', undefined, user);
    assert.equal(reply.status, 200);
    assert.deepEqual(reply.body, { name, tags: ['policymaker', 'monitoring', 'policymaker'] });
  });
});

describe('GET /api/nodes', () => {
  let t: ManagementTarget;

  before(async () => {
    t = await managementTarget();
  });
  after(async () => {
    await t.close();
  });

  test('lists this node with its resource figures; /api/nodes/{name} gives the same node', async () => {
    const overview = await get(t, '/api/overview');
    const nodes = await poll(() => get(t, '/api/nodes'), (b) => hasShape(b, S.arrayOf(nodeShape(t.embedded), 1)), 'node statistics');
    const me = nodes.find((n: { name: string }) => n.name === overview.node);
    assert.ok(me, `the overview's node ${overview.node} is listed`);
    assert.equal(me.running, true);
    assert.ok(me.mem_limit > 0 && me.fd_total > 0);
    const one = await get(t, `/api/nodes/${seg(overview.node)}`);
    assertShape(one, nodeShape(t.embedded), 'GET /api/nodes/{name}');
    assert.equal(one.name, overview.node);
  });

  test('needs the monitoring tag: a management user gets 401 "Not monitor user"', async () => {
    const cleanup = new Cleanup();
    try {
      const user = await createUser(t, cleanup, uniq('nodes.mgmt'), 'management');
      expectError(await call(t, 'GET', '/api/nodes', undefined, user), 401, {
        error: 'not_authorised',
        reason: 'Not monitor user',
      });
    } finally {
      await cleanup.run();
    }
  });
});
