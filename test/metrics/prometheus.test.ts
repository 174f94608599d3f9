// Prometheus metrics (src/metrics): an embedded Warren private to this file, known traffic, then exact
// values, types and labels from /metrics and /metrics/per-object; the text must parse as the
// exposition format; and the names and label sets must be ones RabbitMQ 3.10's rabbitmq_prometheus
// also exposes (checked against the reference broker when it is reachable).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import amqp, { type ChannelModel, type ConfirmChannel } from 'amqplib';
import { startBroker, type RunningBroker } from '../../src/index.js';

const REFERENCE_METRICS = process.env.WARREN_REFERENCE_PROMETHEUS_URL || 'http://127.0.0.1:15693';
const REFERENCE_AMQP = process.env.WARREN_REFERENCE_AMQP_URL || 'amqp://guest:guest@127.0.0.1:5673';

// ---- a parser of the text exposition format (0.0.4), strict about what Prometheus rejects ----

interface Sample {
  labels: Record<string, string>;
  value: number;
}
interface Family {
  type: string;
  help: string;
  samples: Sample[];
}
type Exposition = Map<string, Family>;

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

function parseValue(text: string, line: string): number {
  if (text === 'NaN') return NaN;
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  assert.match(text, /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/, `bad value in: ${line}`);
  return Number(text);
}

/** Label pairs between the braces, with \\, \" and \n unescaped. */
function parseLabels(text: string, line: string): { labels: Record<string, string>; rest: string } {
  const labels: Record<string, string> = {};
  let i = 0;
  while (text[i] !== '}') {
    const eq = text.indexOf('=', i);
    assert.ok(eq > i, `bad labels in: ${line}`);
    const name = text.slice(i, eq);
    assert.match(name, LABEL_NAME, `bad label name in: ${line}`);
    assert.ok(!(name in labels), `repeated label ${name} in: ${line}`);
    assert.equal(text[eq + 1], '"', `unquoted label value in: ${line}`);
    let value = '';
    let j = eq + 2;
    for (;;) {
      const ch = text[j];
      assert.ok(ch !== undefined && ch !== '\n', `unterminated label value in: ${line}`);
      if (ch === '"') break;
      if (ch === '\\') {
        const next = text[j + 1];
        assert.ok(next === '\\' || next === '"' || next === 'n', `bad escape in: ${line}`);
        value += next === 'n' ? '\n' : next;
        j += 2;
      } else {
        value += ch;
        j++;
      }
    }
    labels[name] = value;
    i = j + 1;
    if (text[i] === ',') i++;
  }
  return { labels, rest: text.slice(i + 1) };
}

/** Blank lines are legal but Warren writes none; RabbitMQ's output has some (allowBlank). */
function parseExposition(text: string, allowBlank = false): Exposition {
  const families: Exposition = new Map();
  assert.ok(text.endsWith('\n'), 'the exposition ends with a newline');
  const finished = new Set<string>();
  let current: string | null = null;
  const seen = new Set<string>();
  const enter = (name: string): Family => {
    if (current !== name) {
      assert.ok(!finished.has(name), `the lines of ${name} are not together`);
      if (current) finished.add(current);
      current = name;
    }
    let f = families.get(name);
    if (!f) families.set(name, (f = { type: 'untyped', help: '', samples: [] }));
    return f;
  };
  for (const line of text.slice(0, -1).split('\n')) {
    if (allowBlank && line.trim() === '') continue;
    if (line.startsWith('# HELP ') || line.startsWith('# TYPE ')) {
      const [, kind, name, ...rest] = line.split(' ');
      assert.match(name, NAME, `bad metric name in: ${line}`);
      const f = enter(name);
      if (kind === 'TYPE') {
        assert.equal(f.samples.length, 0, `TYPE after samples of ${name}`);
        assert.ok(['counter', 'gauge', 'untyped', 'summary', 'histogram'].includes(rest[0]) && rest.length === 1, `bad TYPE line: ${line}`);
        f.type = rest[0];
      } else {
        f.help = rest.join(' ');
      }
      continue;
    }
    assert.ok(!line.startsWith('#') && line.trim() !== '', `unexpected line: '${line}'`);
    const brace = line.indexOf('{');
    const space = line.indexOf(' ');
    const name = line.slice(0, brace >= 0 && brace < space ? brace : space);
    assert.match(name, NAME, `bad metric name in: ${line}`);
    let labels: Record<string, string> = {};
    let rest = line.slice(name.length);
    if (rest.startsWith('{')) ({ labels, rest } = parseLabels(rest.slice(1), line));
    assert.ok(rest.startsWith(' '), `no space before the value in: ${line}`);
    const parts = rest.slice(1).split(' ');
    assert.ok(parts.length <= 2, `trailing text in: ${line}`);
    const series = `${name}${JSON.stringify(Object.entries(labels).sort())}`;
    assert.ok(!seen.has(series), `duplicate series: ${line}`);
    seen.add(series);
    // A summary's or histogram's _sum, _count and _bucket lines belong to the family declared above them.
    const open = current as string | null; // (set inside enter(), which TypeScript does not follow)
    const owner = open !== null && ['summary', 'histogram'].includes(families.get(open)!.type) && name.startsWith(open) && /^_(sum|count|bucket)$/.test(name.slice(open.length)) ? open : name;
    enter(owner).samples.push({ labels, value: parseValue(parts[0], line) });
  }
  return families;
}

// ---- helpers ----

async function scrape(base: string, path = '/metrics'): Promise<Exposition> {
  const res = await fetch(base + path);
  assert.equal(res.status, 200);
  return parseExposition(await res.text());
}

/** The value of the one sample of a family whose labels include `match`. */
function value(m: Exposition, name: string, match: Record<string, string> = {}): number {
  const f = m.get(name);
  assert.ok(f, `${name} is exposed`);
  const hits = f.samples.filter((s) => Object.entries(match).every(([k, v]) => s.labels[k] === v));
  assert.equal(hits.length, 1, `one ${name} sample matching ${JSON.stringify(match)} (found ${hits.length})`);
  return hits[0].value;
}

function labelNames(s: Sample): string {
  return Object.keys(s.labels).sort().join(',');
}

async function until(what: string, check: () => Promise<boolean>, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The metrics of the task's list, which must exist in both Warren and RabbitMQ. */
const REQUIRED = [
  'rabbitmq_connections',
  'rabbitmq_channels',
  'rabbitmq_consumers',
  'rabbitmq_queues',
  'rabbitmq_queue_messages_ready',
  'rabbitmq_queue_messages_unacked',
  'rabbitmq_queue_messages',
  'rabbitmq_queue_consumers',
  'rabbitmq_queue_messages_published_total',
  'rabbitmq_global_messages_received_total',
  'rabbitmq_global_messages_delivered_total',
  'rabbitmq_global_messages_routed_total',
  'rabbitmq_global_messages_unroutable_dropped_total',
  'rabbitmq_global_messages_unroutable_returned_total',
  'rabbitmq_global_messages_acknowledged_total',
  'rabbitmq_global_messages_confirmed_total',
  'rabbitmq_global_messages_redelivered_total',
  'rabbitmq_global_messages_delivered_consume_manual_ack_total',
  'rabbitmq_global_messages_delivered_consume_auto_ack_total',
  'rabbitmq_global_messages_delivered_get_manual_ack_total',
  'rabbitmq_global_messages_delivered_get_auto_ack_total',
  'rabbitmq_global_messages_dead_lettered_rejected_total',
  'rabbitmq_global_messages_dead_lettered_expired_total',
  'rabbitmq_global_messages_dead_lettered_maxlen_total',
  'rabbitmq_global_messages_dead_lettered_delivery_limit_total',
  'rabbitmq_process_resident_memory_bytes',
  'rabbitmq_resident_memory_limit_bytes',
  'rabbitmq_disk_space_available_bytes',
  'rabbitmq_disk_space_available_limit_bytes',
  'rabbitmq_alarms_memory_used_watermark',
  'rabbitmq_alarms_free_disk_space_watermark',
  'rabbitmq_alarms_file_descriptor_limit',
  'rabbitmq_build_info',
  'rabbitmq_identity_info',
];

// ---- the broker and its traffic ----

let broker: RunningBroker;
let base: string;
let conn: ChannelModel;
let ch: ConfirmChannel;
const tmp = mkdtempSync(join(tmpdir(), 'warren-metrics-'));
/** A queue name the label escaping must survive. */
const ODD_NAME = 'odd "name" \\ with\nnewline';

before(async () => {
  broker = await startBroker({ port: 0, host: '127.0.0.1', dataDir: tmp, logLevel: 'error', prometheus: { port: 0, host: '127.0.0.1' } });
  base = broker.prometheusUrl!;
  conn = await amqp.connect(broker.url);
  ch = await conn.createConfirmChannel();

  await ch.assertExchange('dlx', 'fanout', { durable: false });
  await ch.assertQueue('dlq', { durable: false });
  await ch.bindQueue('dlq', 'dlx', '');
  await ch.assertQueue('work', { durable: false, arguments: { 'x-dead-letter-exchange': 'dlx' } });
  await ch.assertQueue('ttl', { durable: false, arguments: { 'x-message-ttl': 30, 'x-dead-letter-exchange': 'dlx' } });
  await ch.assertQueue('maxlen', { durable: false, arguments: { 'x-max-length': 1 } });
  await ch.assertQueue('noack', { durable: false });
  await ch.assertQueue('redeliver', { durable: false });
  await ch.assertQueue('held', { durable: false });
  await ch.assertQueue('qq', { durable: true, arguments: { 'x-queue-type': 'quorum' } });
  await ch.assertQueue(ODD_NAME, { durable: false });

  const publish = (q: string, n: number) => {
    for (let i = 0; i < n; i++) ch.sendToQueue(q, Buffer.from(`${q}-${i}`));
  };
  publish('work', 5); // 5 × 6 bytes
  publish('ttl', 2);
  publish('maxlen', 3); // 2 dropped from the head, no dead-letter exchange
  publish('noack', 2);
  publish('redeliver', 1);
  publish('held', 1);
  publish('qq', 1);
  ch.publish('amq.direct', 'nobody', Buffer.from('x')); // dropped
  ch.publish('amq.direct', 'nobody', Buffer.from('x'), { mandatory: true }); // returned
  await ch.waitForConfirms();

  // work: one get to ack, one get without ack, then a consumer takes 3: acks 2, nacks 1 to the DLX
  const g1 = await ch.get('work');
  assert.ok(g1);
  ch.ack(g1);
  assert.ok(await ch.get('work', { noAck: true }));
  const got: amqp.ConsumeMessage[] = [];
  const { consumerTag } = await ch.consume('work', (m) => m && got.push(m));
  await until('3 deliveries from work', async () => got.length === 3);
  ch.ack(got[0]);
  ch.ack(got[1]);
  ch.nack(got[2], false, false);
  await ch.cancel(consumerTag);

  // noack: a no-ack consumer takes both
  let noAcks = 0;
  const noAckConsumer = await ch.consume('noack', () => noAcks++, { noAck: true });
  await until('2 no-ack deliveries', async () => noAcks === 2);
  await ch.cancel(noAckConsumer.consumerTag);

  // redeliver: get, requeue, get again (redelivered), ack
  const r1 = await ch.get('redeliver');
  assert.ok(r1);
  ch.nack(r1, false, true);
  const r2 = await ch.get('redeliver');
  assert.ok(r2 && r2.fields.redelivered);
  ch.ack(r2);

  // qq (quorum): get and ack
  const q1 = await ch.get('qq');
  assert.ok(q1);
  ch.ack(q1);

  // held: a consumer keeps its delivery unacknowledged
  let heldDelivered = false;
  await ch.consume('held', () => (heldDelivered = true));
  await until('the held delivery', async () => heldDelivered);

  // the TTL messages expire into the dead-letter queue: 1 rejected + 2 expired
  await until('3 messages in dlq', async () => (await ch.checkQueue('dlq')).messageCount === 3);
});

after(async () => {
  await conn?.close().catch(() => {});
  await broker?.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe('prometheus metrics', () => {
  test('/metrics parses, and every family has HELP and TYPE', async () => {
    const m = await scrape(base);
    for (const [name, f] of m) {
      assert.notEqual(f.help, '', `${name} has HELP`);
      assert.ok(['counter', 'gauge', 'untyped'].includes(f.type), `${name} has a TYPE`);
      if (f.type === 'counter') assert.match(name, /_total$/, `counter ${name} ends in _total`);
    }
    for (const name of REQUIRED) assert.ok(m.has(name), `${name} is exposed`);
  });

  test('object counts and aggregated queue gauges (no queue labels in /metrics)', async () => {
    const m = await scrape(base);
    assert.equal(value(m, 'rabbitmq_connections'), 1);
    assert.equal(value(m, 'rabbitmq_channels'), 1);
    assert.equal(value(m, 'rabbitmq_consumers'), 1);
    assert.equal(value(m, 'rabbitmq_queues'), 9);
    assert.equal(value(m, 'rabbitmq_queue_messages_ready'), 4); // maxlen 1, dlq 3
    assert.equal(value(m, 'rabbitmq_queue_messages_unacked'), 1); // held
    assert.equal(value(m, 'rabbitmq_queue_messages'), 5);
    assert.equal(value(m, 'rabbitmq_queue_consumers'), 1);
    assert.equal(value(m, 'rabbitmq_queue_messages_unacked_bytes'), 'held-0'.length);
    // enqueued: work 5, ttl 2, maxlen 3, noack 2, redeliver 1, held 1, qq 1, and 3 dead-lettered into dlq
    assert.equal(value(m, 'rabbitmq_queue_messages_published_total'), 18);
    for (const [name, f] of m) {
      for (const s of f.samples) assert.ok(!('queue' in s.labels) && !('channel' in s.labels), `${name} has no per-object labels in /metrics`);
    }
  });

  test('global counters have exact values and RabbitMQ labels', async () => {
    const m = await scrape(base);
    const proto = { protocol: 'amqp091' };
    const classic = { ...proto, queue_type: 'rabbit_classic_queue' };
    const quorum = { ...proto, queue_type: 'rabbit_quorum_queue' };
    assert.equal(value(m, 'rabbitmq_global_messages_received_total', proto), 17);
    assert.equal(value(m, 'rabbitmq_global_messages_routed_total', proto), 15);
    assert.equal(value(m, 'rabbitmq_global_messages_unroutable_dropped_total', proto), 1);
    assert.equal(value(m, 'rabbitmq_global_messages_unroutable_returned_total', proto), 1);
    assert.equal(value(m, 'rabbitmq_global_messages_confirmed_total', proto), 17);
    // classic: consumers work 3 + held 1 (manual), noack 2 (auto); gets work 1 + redeliver 2 (manual), work 1 (auto)
    assert.equal(value(m, 'rabbitmq_global_messages_delivered_consume_manual_ack_total', classic), 4);
    assert.equal(value(m, 'rabbitmq_global_messages_delivered_consume_auto_ack_total', classic), 2);
    assert.equal(value(m, 'rabbitmq_global_messages_delivered_get_manual_ack_total', classic), 3);
    assert.equal(value(m, 'rabbitmq_global_messages_delivered_get_auto_ack_total', classic), 1);
    assert.equal(value(m, 'rabbitmq_global_messages_delivered_total', classic), 10);
    assert.equal(value(m, 'rabbitmq_global_messages_redelivered_total', classic), 1);
    assert.equal(value(m, 'rabbitmq_global_messages_acknowledged_total', classic), 4);
    // quorum: one get, acked
    assert.equal(value(m, 'rabbitmq_global_messages_delivered_get_manual_ack_total', quorum), 1);
    assert.equal(value(m, 'rabbitmq_global_messages_delivered_total', quorum), 1);
    assert.equal(value(m, 'rabbitmq_global_messages_acknowledged_total', quorum), 1);
    assert.equal(value(m, 'rabbitmq_global_messages_delivered_consume_manual_ack_total', quorum), 0);

    const dl = (reason: string, queue_type: string, dead_letter_strategy: string) =>
      value(m, `rabbitmq_global_messages_dead_lettered_${reason}_total`, { queue_type, dead_letter_strategy });
    assert.equal(dl('rejected', 'rabbit_classic_queue', 'at_most_once'), 1);
    assert.equal(dl('expired', 'rabbit_classic_queue', 'at_most_once'), 2);
    assert.equal(dl('maxlen', 'rabbit_classic_queue', 'disabled'), 2);
    assert.equal(dl('maxlen', 'rabbit_classic_queue', 'at_most_once'), 0);
    assert.equal(dl('delivery_limit', 'rabbit_quorum_queue', 'disabled'), 0);
    for (const name of ['rabbitmq_global_messages_received_total', 'rabbitmq_global_messages_dead_lettered_expired_total']) {
      assert.equal(m.get(name)!.type, 'counter');
    }
  });

  test('channel counters in /metrics are the broker-wide totals; channel gauges are sums', async () => {
    const m = await scrape(base);
    assert.equal(value(m, 'rabbitmq_channel_messages_published_total'), 17);
    assert.equal(value(m, 'rabbitmq_channel_messages_confirmed_total'), 17);
    assert.equal(value(m, 'rabbitmq_channel_messages_unroutable_dropped_total'), 1);
    assert.equal(value(m, 'rabbitmq_channel_messages_unroutable_returned_total'), 1);
    assert.equal(value(m, 'rabbitmq_channel_get_ack_total'), 4);
    assert.equal(value(m, 'rabbitmq_channel_get_total'), 1);
    assert.equal(value(m, 'rabbitmq_channel_messages_delivered_ack_total'), 4);
    assert.equal(value(m, 'rabbitmq_channel_messages_delivered_total'), 2);
    assert.equal(value(m, 'rabbitmq_channel_messages_redelivered_total'), 1);
    assert.equal(value(m, 'rabbitmq_channel_messages_acked_total'), 5);
    assert.equal(value(m, 'rabbitmq_channel_consumers'), 1);
    assert.equal(value(m, 'rabbitmq_channel_messages_unacked'), 1);
    assert.equal(value(m, 'rabbitmq_channel_messages_unconfirmed'), 0);
  });

  test('node gauges: memory, disk, alarms, build and identity', async () => {
    const m = await scrape(base);
    const rss = value(m, 'rabbitmq_process_resident_memory_bytes');
    assert.ok(rss > 10_000_000 && rss < 16 * 2 ** 30, `plausible RSS ${rss}`);
    assert.ok(value(m, 'rabbitmq_resident_memory_limit_bytes') > 0);
    assert.ok(value(m, 'rabbitmq_disk_space_available_bytes') > 0);
    assert.equal(value(m, 'rabbitmq_disk_space_available_limit_bytes'), 50_000_000);
    assert.equal(value(m, 'rabbitmq_alarms_memory_used_watermark'), 0);
    assert.equal(value(m, 'rabbitmq_alarms_free_disk_space_watermark'), 0);
    assert.equal(value(m, 'rabbitmq_alarms_file_descriptor_limit'), 0);
    assert.equal(m.get('rabbitmq_alarms_memory_used_watermark')!.type, 'untyped');
    assert.equal(value(m, 'rabbitmq_process_open_tcp_sockets'), 1);
    if (process.platform === 'linux') {
      assert.ok(value(m, 'rabbitmq_process_open_fds') > 3);
      assert.ok(value(m, 'rabbitmq_process_max_fds') >= value(m, 'rabbitmq_process_open_fds'));
    }
    const build = m.get('rabbitmq_build_info')!.samples[0];
    assert.deepEqual(Object.keys(build.labels).sort(), ['erlang_version', 'prometheus_client_version', 'prometheus_plugin_version', 'rabbitmq_version']);
    assert.equal(build.labels.erlang_version, process.versions.node);
    assert.equal(build.value, 1);
    const identity = m.get('rabbitmq_identity_info')!.samples[0];
    assert.match(identity.labels.rabbitmq_node, /^warren@/);
    assert.equal(identity.value, 1);

    // A raised alarm shows at once (the limit is re-checked when it changes).
    broker.setAlarmLimits({ diskFreeLimit: Number.MAX_SAFE_INTEGER });
    try {
      const alarmed = await scrape(base);
      assert.equal(value(alarmed, 'rabbitmq_alarms_free_disk_space_watermark'), 1);
      assert.equal(value(alarmed, 'rabbitmq_disk_space_available_limit_bytes'), Number.MAX_SAFE_INTEGER);
    } finally {
      broker.setAlarmLimits({ diskFreeLimit: 50_000_000 });
    }
  });

  test('/metrics/per-object: one series per queue with vhost and queue labels', async () => {
    const m = await scrape(base, '/metrics/per-object');
    const q = (queue: string) => ({ vhost: '/', queue });
    assert.equal(value(m, 'rabbitmq_queue_messages_ready', q('dlq')), 3);
    assert.equal(value(m, 'rabbitmq_queue_messages_ready', q('maxlen')), 1);
    assert.equal(value(m, 'rabbitmq_queue_messages_unacked', q('held')), 1);
    assert.equal(value(m, 'rabbitmq_queue_messages', q('held')), 1);
    assert.equal(value(m, 'rabbitmq_queue_consumers', q('held')), 1);
    assert.equal(value(m, 'rabbitmq_queue_consumers', q('work')), 0);
    assert.equal(value(m, 'rabbitmq_queue_messages_ready_bytes', q('dlq')), 'work-4'.length + 'ttl-0'.length + 'ttl-1'.length);
    assert.equal(value(m, 'rabbitmq_queue_messages_published_total', { queue_vhost: '/', queue: 'work' }), 5);
    assert.equal(value(m, 'rabbitmq_queue_messages_published_total', { queue_vhost: '/', queue: 'dlq' }), 3);
    // the escaped name comes back whole
    assert.equal(value(m, 'rabbitmq_queue_messages_ready', q(ODD_NAME)), 0);
    assert.equal(m.get('rabbitmq_queue_messages_ready')!.samples.length, 9);
    for (const s of m.get('rabbitmq_queue_messages_ready')!.samples) assert.equal(labelNames(s), 'queue,vhost');

    // channels and connections, named as the management API names them
    const published = m.get('rabbitmq_channel_messages_published_total')!.samples;
    assert.equal(published.length, 1);
    assert.match(published[0].labels.channel, /^127\.0\.0\.1:\d+ -> 127\.0\.0\.1:\d+ \(1\)$/);
    assert.equal(published[0].value, 17);
    assert.equal(value(m, 'rabbitmq_channel_messages_unacked', { channel: published[0].labels.channel }), 1);
    assert.ok(value(m, 'rabbitmq_connection_incoming_bytes_total') > 0);
    assert.equal(value(m, 'rabbitmq_connection_channels'), 1);
    // node and global families are the same as in /metrics
    assert.equal(value(m, 'rabbitmq_queues'), 9);
    assert.equal(value(m, 'rabbitmq_global_messages_received_total', { protocol: 'amqp091' }), 17);
  });

  test('counters stay monotonic when queues are deleted; per-object series go with their queue', async () => {
    const c2 = await amqp.connect(broker.url);
    try {
      const ch2 = await c2.createConfirmChannel();
      await ch2.assertQueue('short-lived', { durable: false });
      await ch2.assertQueue('qq-short', { durable: true, arguments: { 'x-queue-type': 'quorum' } });
      ch2.sendToQueue('short-lived', Buffer.from('a'));
      ch2.sendToQueue('qq-short', Buffer.from('b'));
      await ch2.waitForConfirms();
      const got = await ch2.get('qq-short');
      assert.ok(got);
      ch2.ack(got);
      await ch2.checkQueue('qq-short'); // the ack is in before the scrape
      const quorum = { protocol: 'amqp091', queue_type: 'rabbit_quorum_queue' };
      const classic = { protocol: 'amqp091', queue_type: 'rabbit_classic_queue' };
      const beforeDelete = await scrape(base);
      assert.equal(value(beforeDelete, 'rabbitmq_queue_messages_published_total'), 20);
      assert.equal(value(beforeDelete, 'rabbitmq_global_messages_delivered_get_manual_ack_total', quorum), 2);
      await ch2.deleteQueue('short-lived');
      await ch2.deleteQueue('qq-short');
      const afterDelete = await scrape(base);
      assert.equal(value(afterDelete, 'rabbitmq_queue_messages_published_total'), 20);
      assert.equal(value(afterDelete, 'rabbitmq_global_messages_delivered_get_manual_ack_total', quorum), 2);
      assert.equal(value(afterDelete, 'rabbitmq_global_messages_acknowledged_total', quorum), 2);
      assert.equal(value(afterDelete, 'rabbitmq_global_messages_delivered_get_manual_ack_total', classic), 3);
      // the broker-wide channel totals keep counting a channel after it closes
      await c2.close();
      const afterClose = await scrape(base);
      assert.equal(value(afterClose, 'rabbitmq_channel_messages_published_total'), 19);
      const perObject = await scrape(base, '/metrics/per-object');
      assert.ok(!perObject.get('rabbitmq_queue_messages_ready')!.samples.some((s) => s.labels.queue === 'short-lived'));
      assert.equal(value(perObject, 'rabbitmq_queues'), 9);
    } finally {
      await c2.close().catch(() => {});
    }
  });

  test('HTTP: content type, 404 for other paths, 405 for other methods', async () => {
    const ok = await fetch(`${base}/metrics?x=1`);
    assert.equal(ok.status, 200);
    assert.equal(ok.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
    await ok.text();
    for (const path of ['/', '/metrics/', '/metrics/detailed', '/api/overview']) {
      const r = await fetch(base + path);
      assert.equal(r.status, 404, path);
      await r.text();
    }
    const post = await fetch(`${base}/metrics`, { method: 'POST', body: 'x' });
    assert.equal(post.status, 405);
    assert.equal(post.headers.get('allow'), 'GET');
    await post.text();
  });

  test('a scrape of 10,000 queues stays cheap', async () => {
    const b = await startBroker({ port: 0, host: '127.0.0.1', prometheus: { port: 0, host: '127.0.0.1' } });
    try {
      const vh = b.broker.vhosts.get('/')!;
      for (let i = 0; i < 10_000; i++) vh.declareQueue(`bulk.${i}`, false, false, false, false, new Map(), 0);
      await fetch(`${b.prometheusUrl}/metrics/per-object`).then((r) => r.text()); // warm up
      for (const path of ['/metrics', '/metrics/per-object']) {
        const started = performance.now();
        const text = await fetch(b.prometheusUrl + path).then((r) => r.text());
        const ms = performance.now() - started;
        const m = parseExposition(text);
        assert.equal(value(m, 'rabbitmq_queues'), 10_000);
        if (path.endsWith('per-object')) assert.equal(m.get('rabbitmq_queue_messages_ready')!.samples.length, 10_000);
        // generous for a shared 2-core machine; typically a few tens of ms
        assert.ok(ms < 1000, `${path} took ${ms.toFixed(0)} ms`);
        process.stdout.write(`# ${path} with 10,000 queues: ${text.length} bytes in ${ms.toFixed(1)} ms\n`);
      }
    } finally {
      await b.close();
    }
  });
});

describe('prometheus listener in `warren server`', () => {
  const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

  function runServer(args: string[]): Promise<{ stderr: string; code: number | null; readyLine?: string; kill(): void }> {
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN, 'server', '--port', '0', '--management-port', '0', '--host', '127.0.0.1', '--data-dir', join(tmp, `cli-${Date.now()}`), ...args], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    return new Promise((resolve) => {
      let err = '';
      child.stderr!.setEncoding('utf8');
      child.stderr!.on('data', (s: string) => {
        err += s;
        const line = err.split('\n').find((l) => l.includes('ready to accept'));
        if (line) resolve({ stderr: err, code: null, readyLine: line, kill: () => child.kill('SIGTERM') });
      });
      child.on('exit', (code) => resolve({ stderr: err, code, kill: () => {} }));
    });
  }

  test('--prometheus-port serves /metrics and the ready line says where', async () => {
    const r = await runServer(['--prometheus-port', '0']);
    try {
      assert.ok(r.readyLine, r.stderr);
      const url = /Prometheus metrics on (http:\/\/\S+\/metrics)/.exec(r.readyLine)?.[1];
      assert.ok(url, r.readyLine);
      const m = parseExposition(await (await fetch(url)).text());
      assert.equal(value(m, 'rabbitmq_connections'), 0);
    } finally {
      r.kill();
    }
  });

  test('a Prometheus port in use is a clear error', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const r = await runServer(['--prometheus-port', String(port)]);
      r.kill();
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, new RegExp(`prometheus port ${port} is already in use; choose another with --prometheus-port, or --no-prometheus`));
    } finally {
      blocker.close();
    }
  });

  test('--no-prometheus starts no listener', async () => {
    const r = await runServer(['--no-prometheus']);
    try {
      assert.ok(r.readyLine, r.stderr);
      assert.doesNotMatch(r.readyLine, /Prometheus/);
    } finally {
      r.kill();
    }
  });
});

describe('names and labels as RabbitMQ 3.10 has them', () => {
  /**
   * Where Warren's labels are knowingly fewer than RabbitMQ's (docs/metrics.md says why): the family,
   * and the labels RabbitMQ has that Warren leaves out.
   */
  const FEWER_LABELS: Record<string, string[]> = {
    rabbitmq_identity_info: ['rabbitmq_cluster_permanent_id'],
    rabbitmq_queue_messages_published_total: ['channel', 'exchange', 'exchange_vhost'],
    rabbitmq_channel_messages_published_total: ['exchange'],
    rabbitmq_channel_messages_confirmed_total: ['exchange'],
    rabbitmq_channel_messages_unroutable_returned_total: ['exchange'],
    rabbitmq_channel_messages_unroutable_dropped_total: ['exchange'],
    rabbitmq_channel_get_ack_total: ['queue'],
    rabbitmq_channel_get_total: ['queue'],
    rabbitmq_channel_messages_delivered_ack_total: ['queue'],
    rabbitmq_channel_messages_delivered_total: ['queue'],
    rabbitmq_channel_messages_redelivered_total: ['queue'],
    rabbitmq_channel_messages_acked_total: ['queue'],
  };

  async function reference(path: string): Promise<Exposition | null> {
    let text: string;
    try {
      const res = await fetch(REFERENCE_METRICS + path, { signal: AbortSignal.timeout(3000) });
      if (!res.ok) return null;
      text = await res.text();
    } catch {
      return null;
    }
    return parseExposition(text, true); // RabbitMQ's own output must pass the parser too
  }

  /**
   * fallback: where to look for a family RabbitMQ serves on /metrics only (alarms, the start time),
   * which Warren serves on /metrics/per-object as well.
   */
  function compare(warren: Exposition, rabbit: Exposition, view: string, fallback?: Exposition): void {
    for (const [name, f] of warren) {
      const r = rabbit.get(name) ?? fallback?.get(name);
      assert.ok(r, `${view}: RabbitMQ has ${name}`);
      assert.equal(f.type, r.type, `${view}: ${name} is a ${r.type} in RabbitMQ`);
      if (r.samples.length === 0) continue; // nothing of that kind on the reference now: names and type only
      const rabbitSets = new Set(r.samples.map((s) => labelNames(s)));
      const fewer = FEWER_LABELS[name] ?? [];
      for (const s of f.samples) {
        const mine = labelNames(s);
        const matches = [...rabbitSets].some((set) => set === mine || (fewer.length > 0 && set === [...Object.keys(s.labels), ...fewer].sort().join(',')));
        assert.ok(matches, `${view}: ${name}{${mine}} has RabbitMQ's labels (${[...rabbitSets].map((x) => `{${x}}`).join(' ')})`);
      }
      // label values that name fixed things (queue types, strategies, protocol) are RabbitMQ's
      for (const key of ['protocol', 'queue_type', 'dead_letter_strategy']) {
        const theirs = new Set(r.samples.map((s) => s.labels[key]));
        for (const s of f.samples) if (key in s.labels) assert.ok(theirs.has(s.labels[key]), `${view}: ${name} ${key}="${s.labels[key]}" exists in RabbitMQ`);
      }
      if (name.startsWith('rabbitmq_global_messages_dead_lettered_')) {
        const pairs = new Set(r.samples.map((s) => `${s.labels.queue_type} ${s.labels.dead_letter_strategy}`));
        for (const s of f.samples) assert.ok(pairs.has(`${s.labels.queue_type} ${s.labels.dead_letter_strategy}`), `${view}: ${name} pair exists in RabbitMQ`);
      }
    }
  }

  test('every family and label set Warren exposes exists on the reference RabbitMQ', async (t) => {
    const probe = await reference('/metrics');
    if (!probe) {
      t.skip(`the reference RabbitMQ's Prometheus endpoint (${REFERENCE_METRICS}/metrics) is not reachable; set WARREN_REFERENCE_PROMETHEUS_URL or start it with ../shared/rabbitmq-reference.sh`);
      return;
    }
    // Per-object series exist on the reference only while it has queues and channels with traffic: make some.
    let refConn: ChannelModel | null = null;
    try {
      refConn = await amqp.connect(REFERENCE_AMQP);
      const rch = await refConn.createChannel();
      const { queue } = await rch.assertQueue('', { exclusive: true });
      rch.sendToQueue(queue, Buffer.from('probe'));
      rch.sendToQueue(queue, Buffer.from('probe'));
      const m = await rch.get(queue);
      if (m) rch.ack(m);
      await rch.consume(queue, (msg) => msg && rch.ack(msg));
      await new Promise((r) => setTimeout(r, 300));
    } catch {
      // without AMQP access to the reference, per-object families are compared by name and type only
    }
    try {
      const [rabbitAggregated, rabbitPerObject] = await Promise.all([reference('/metrics'), reference('/metrics/per-object')]);
      assert.ok(rabbitAggregated && rabbitPerObject, 'the reference answered both paths');
      compare(await scrape(base), rabbitAggregated, '/metrics');
      compare(await scrape(base, '/metrics/per-object'), rabbitPerObject, '/metrics/per-object', rabbitAggregated);
      for (const name of REQUIRED) assert.ok(rabbitAggregated.has(name), `RabbitMQ has ${name}`);
    } finally {
      await refConn?.close().catch(() => {});
    }
  });
});
