// Prometheus text exposition (format 0.0.4) of Warren's counters and gauges, under the metric names,
// types and labels of RabbitMQ 3.10's rabbitmq_prometheus plugin, so dashboards and alert rules written
// for RabbitMQ read Warren unchanged. Everything is read from the model at scrape time in one pass over
// queues and one over connections, written straight into strings. What Warren does not measure is left
// out rather than reported as a made-up value (docs/metrics.md lists both).
import { readdirSync, readFileSync } from 'node:fs';
import type { Broker } from '../broker/broker.js';
import { RABBITMQ_COMPATIBLE_VERSION } from '../broker/definitions-export.js';
import type { Queue } from '../broker/queue.js';
import type { GlobalStats } from '../broker/stats.js';
import type { AmqpServer } from '../server/server.js';

export interface MetricsSource {
  broker: Broker;
  /** The AMQP listener: its connections and resource alarms. */
  amqp: AmqpServer;
  /** Warren's own version. */
  version: string;
  /** warren@<hostname>, in the place of RabbitMQ's Erlang node name. */
  nodeName: string;
}

type MetricType = 'gauge' | 'counter' | 'untyped';

const CLASSIC = 'rabbit_classic_queue';
const QUORUM = 'rabbit_quorum_queue';
const PROTOCOL = 'protocol="amqp091"';

/**
 * The (queue_type, dead_letter_strategy) pairs RabbitMQ always exposes for each dead-letter reason,
 * zero or not, so a rate() over them has a series from the start.
 */
const DEAD_LETTER_SERIES: ReadonlyArray<readonly [reason: string, help: string, pairs: ReadonlyArray<readonly [string, string]>]> = [
  ['delivery_limit', 'Messages dead-lettered because they were returned more often than the delivery limit allows', [
    [QUORUM, 'at_least_once'], [QUORUM, 'at_most_once'], [QUORUM, 'disabled'],
  ]],
  ['expired', 'Messages dead-lettered because their TTL ran out', [
    [CLASSIC, 'at_most_once'], [CLASSIC, 'disabled'], [QUORUM, 'at_least_once'], [QUORUM, 'at_most_once'], [QUORUM, 'disabled'],
  ]],
  ['maxlen', 'Messages dead-lettered because their queue was full (drop-head or reject-publish-dlx)', [
    [CLASSIC, 'at_most_once'], [CLASSIC, 'disabled'], [QUORUM, 'at_most_once'], [QUORUM, 'disabled'],
  ]],
  ['rejected', 'Messages dead-lettered because a consumer rejected or nacked them without requeue', [
    [CLASSIC, 'at_most_once'], [CLASSIC, 'disabled'], [QUORUM, 'at_least_once'], [QUORUM, 'at_most_once'], [QUORUM, 'disabled'],
  ]],
];

/** What leaves queues towards clients, by how it was asked for: the global delivery counters of one queue type. */
class DeliveryTotals {
  consumeManualAck = 0;
  consumeAutoAck = 0;
  getManualAck = 0;
  getAutoAck = 0;
  redelivered = 0;
  acknowledged = 0;

  addQueue(q: Queue): void {
    const s = q.stats;
    this.consumeManualAck += s.deliver;
    this.consumeAutoAck += s.deliverNoAck;
    this.getManualAck += s.get;
    this.getAutoAck += s.getNoAck;
    this.redelivered += s.redeliver;
    this.acknowledged += s.ack;
  }

  add(t: DeliveryTotals): void {
    this.consumeManualAck += t.consumeManualAck;
    this.consumeAutoAck += t.consumeAutoAck;
    this.getManualAck += t.getManualAck;
    this.getAutoAck += t.getAutoAck;
    this.redelivered += t.redelivered;
    this.acknowledged += t.acknowledged;
  }

  /** The broker-wide totals less those of another queue type. */
  static globalLess(g: GlobalStats, other: DeliveryTotals): DeliveryTotals {
    const t = new DeliveryTotals();
    t.consumeManualAck = g.delivered - other.consumeManualAck;
    t.consumeAutoAck = g.deliveredNoAck - other.consumeAutoAck;
    t.getManualAck = g.get - other.getManualAck;
    t.getAutoAck = g.getNoAck - other.getAutoAck;
    t.redelivered = g.redelivered - other.redelivered;
    t.acknowledged = g.acknowledged - other.acknowledged;
    return t;
  }
}

/**
 * Sums of per-queue counters that stay monotonic when queues are deleted: a deleted queue's final
 * counts move into a retired total (once none of its deliveries await an ack, so they are final). A
 * queue created and deleted between two scrapes is never seen; its publishes are missing from the
 * sum and its deliveries count as classic (the broker-wide totals still include them).
 */
class QueueCounterLedger {
  private readonly tracked = new Set<Queue>();
  private retiredPublished = 0;
  private readonly retiredQuorum = new DeliveryTotals();

  track(q: Queue): void {
    this.tracked.add(q);
  }

  /** Messages ever enqueued in queues seen, and what quorum queues delivered. */
  totals(): { published: number; quorum: DeliveryTotals } {
    let published = this.retiredPublished;
    const quorum = new DeliveryTotals();
    quorum.add(this.retiredQuorum);
    for (const q of this.tracked) {
      const retire = q.deleted && q.unackedCount === 0;
      if (retire) {
        this.tracked.delete(q);
        this.retiredPublished += q.stats.publish;
        if (q.settings.quorum) this.retiredQuorum.addQueue(q);
      }
      published += q.stats.publish;
      if (q.settings.quorum) quorum.addQueue(q);
    }
    return { published, quorum };
  }
}

/** A label value with backslash, double quote and newline escaped, as the text format requires. */
export function escapeLabelValue(value: string): string {
  if (!/[\\"\n]/.test(value)) return value;
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function header(name: string, type: MetricType, help: string): string {
  return `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n`;
}

/** A family with a single sample (labels already formatted, with braces, or empty). */
function single(name: string, type: MetricType, help: string, value: number, labels = ''): string {
  return `${header(name, type, help)}${name}${labels} ${value}\n`;
}

/** Per-queue families: name, type, help, and how to read the value. */
const QUEUE_FAMILIES: ReadonlyArray<readonly [string, MetricType, string, (q: Queue) => number]> = [
  ['rabbitmq_queue_messages_ready', 'gauge', 'Messages waiting in the queue for a consumer', (q) => q.messageCount],
  ['rabbitmq_queue_messages_unacked', 'gauge', 'Messages handed to consumers whose acknowledgement is outstanding', (q) => q.unackedCount],
  ['rabbitmq_queue_messages', 'gauge', 'Queue depth: ready plus unacknowledged messages', (q) => q.messageCount + q.unackedCount],
  ['rabbitmq_queue_consumers', 'gauge', 'Consumers of the queue', (q) => q.consumerCount],
  ['rabbitmq_queue_messages_ready_bytes', 'gauge', 'Body bytes of the ready messages', (q) => q.readyBytes],
  ['rabbitmq_queue_messages_unacked_bytes', 'gauge', 'Body bytes of the unacknowledged messages', (q) => q.unackedBytes],
  ['rabbitmq_queue_messages_bytes', 'gauge', 'Body bytes of ready plus unacknowledged messages', (q) => q.readyBytes + q.unackedBytes],
];
const PUBLISHED = 'rabbitmq_queue_messages_published_total';
const PUBLISHED_HELP = 'Messages enqueued in queues (dead-lettered copies included)';

/** Channel gauges: summed over open channels in /metrics, one series per channel in /metrics/per-object. */
const CHANNEL_GAUGES = [
  ['rabbitmq_channel_consumers', 'Consumers on channels'],
  ['rabbitmq_channel_messages_unacked', 'Deliveries on channels awaiting acknowledgement'],
  ['rabbitmq_channel_messages_unconfirmed', 'Publishes on channels in confirm mode not confirmed yet'],
  ['rabbitmq_channel_prefetch', 'Channel-wide (global) prefetch limits'],
  ['rabbitmq_consumer_prefetch', 'Per-consumer prefetch limits set on channels'],
] as const;

/** Channel counters: the GlobalStats field behind the /metrics total, the ChannelStats one per channel. */
const CHANNEL_COUNTERS = [
  ['rabbitmq_channel_messages_published_total', 'Messages published on channels', 'received', 'publish'],
  ['rabbitmq_channel_messages_confirmed_total', 'Publishes confirmed to publishers on channels', 'confirmed', 'confirm'],
  ['rabbitmq_channel_messages_unroutable_returned_total', 'Mandatory publishes no queue took, returned to the publisher', 'unroutableReturned', 'returnUnroutable'],
  ['rabbitmq_channel_messages_unroutable_dropped_total', 'Non-mandatory publishes no queue took, dropped', 'unroutableDropped', 'dropUnroutable'],
  ['rabbitmq_channel_get_ack_total', 'Messages fetched with basic.get to be acknowledged', 'get', 'get'],
  ['rabbitmq_channel_get_total', 'Messages fetched with basic.get without acknowledgement (no-ack)', 'getNoAck', 'getNoAck'],
  ['rabbitmq_channel_messages_delivered_ack_total', 'Messages delivered to consumers that acknowledge', 'delivered', 'deliver'],
  ['rabbitmq_channel_messages_delivered_total', 'Messages delivered to no-ack consumers', 'deliveredNoAck', 'deliverNoAck'],
  ['rabbitmq_channel_messages_redelivered_total', 'Deliveries and gets of messages delivered before', 'redelivered', 'redeliver'],
  ['rabbitmq_channel_messages_acked_total', 'Messages acknowledged by clients', 'acknowledged', 'ack'],
] as const;

const CONNECTION_FAMILIES = [
  ['rabbitmq_connection_incoming_bytes_total', 'counter', 'Bytes received on the connection'],
  ['rabbitmq_connection_outgoing_bytes_total', 'counter', 'Bytes sent on the connection'],
  ['rabbitmq_connection_channels', 'gauge', 'Channels open on the connection'],
] as const;

/**
 * Renders the exposition. One per broker: it keeps the retired totals of deleted queues between
 * scrapes (QueueCounterLedger).
 */
export class PrometheusExporter {
  private readonly ledger = new QueueCounterLedger();
  private readonly buildInfoLabels: string;
  private readonly identityLabels: string;
  /** When this process started (s since the epoch): fixed, so it does not jitter between scrapes. */
  private readonly startTime = Math.floor(performance.timeOrigin / 1000);

  constructor(private readonly source: MetricsSource) {
    // rabbitmq_version is the release Warren follows (as the management API reports it); the plugin and
    // client are Warren's own code; Node.js stands where RabbitMQ names its Erlang/OTP release.
    this.buildInfoLabels =
      `{rabbitmq_version="${RABBITMQ_COMPATIBLE_VERSION}",prometheus_plugin_version="${escapeLabelValue(source.version)}",` +
      `prometheus_client_version="${escapeLabelValue(source.version)}",erlang_version="${process.versions.node}"}`;
    const node = escapeLabelValue(source.nodeName);
    this.identityLabels = `{rabbitmq_node="${node}",rabbitmq_cluster="${node}"}`;
  }

  /** /metrics (perObject false: per-object series summed, without their labels) or /metrics/per-object. */
  render(perObject: boolean): string {
    const { broker, amqp } = this.source;

    // Queues: one pass; per-object families are built side by side and joined at the end.
    const queueSums = new Array<number>(QUEUE_FAMILIES.length).fill(0);
    // Lines go into arrays joined once at the end: appending to one string makes a rope whose
    // flattening (when the response is encoded) costs several times the rendering.
    const queueLines = perObject ? QUEUE_FAMILIES.map((): string[] => []) : null;
    const publishedLines: string[] = [];
    let queues = 0;
    let consumers = 0;
    for (const vh of broker.vhosts.values()) {
      const vhostLabel = escapeLabelValue(vh.name);
      for (const q of vh.queues.values()) {
        queues++;
        consumers += q.consumers.length;
        this.ledger.track(q);
        if (queueLines) {
          const labels = `{vhost="${vhostLabel}",queue="${escapeLabelValue(q.name)}"} `;
          for (let i = 0; i < QUEUE_FAMILIES.length; i++) queueLines[i].push(`${QUEUE_FAMILIES[i][0]}${labels}${QUEUE_FAMILIES[i][3](q)}\n`);
          publishedLines.push(`${PUBLISHED}{queue_vhost="${vhostLabel}",queue="${escapeLabelValue(q.name)}"} ${q.stats.publish}\n`);
        } else {
          for (let i = 0; i < QUEUE_FAMILIES.length; i++) queueSums[i] += QUEUE_FAMILIES[i][3](q);
        }
      }
    }
    const { published, quorum } = this.ledger.totals();

    // Connections and channels: only connections past connection.open count, as in the management API.
    let connections = 0;
    let channels = 0;
    const channelSums = new Array<number>(CHANNEL_GAUGES.length).fill(0);
    const channelLines = perObject ? [...CHANNEL_GAUGES, ...CHANNEL_COUNTERS].map((): string[] => []) : null;
    const connectionLines = perObject ? CONNECTION_FAMILIES.map((): string[] => []) : null;
    for (const c of amqp.connections) {
      if (c.vhost === null) continue;
      connections++;
      const snap = c.snapshot();
      channels += snap.channels.length;
      const connLabel = perObject ? escapeLabelValue(snap.name) : '';
      if (connectionLines) {
        const l = `{channel="${connLabel}"} `;
        connectionLines[0].push(`${CONNECTION_FAMILIES[0][0]}${l}${snap.recvOct}\n`);
        connectionLines[1].push(`${CONNECTION_FAMILIES[1][0]}${l}${snap.sendOct}\n`);
        connectionLines[2].push(`${CONNECTION_FAMILIES[2][0]}${l}${snap.channels.length}\n`);
      }
      const vhostLabel = perObject ? escapeLabelValue(snap.vhost) : '';
      for (const ch of snap.channels) {
        const gauges = [ch.consumers.length, ch.unacked, ch.unconfirmed, ch.globalPrefetchCount, ch.prefetchCount];
        if (!channelLines) {
          for (let i = 0; i < gauges.length; i++) channelSums[i] += gauges[i];
          continue;
        }
        // Named as the management API names channels: "<connection name> (<channel number>)".
        const id = `${connLabel} (${ch.number})`;
        for (let i = 0; i < gauges.length; i++) channelLines[i].push(`${CHANNEL_GAUGES[i][0]}{channel="${id}"} ${gauges[i]}\n`);
        for (let i = 0; i < CHANNEL_COUNTERS.length; i++) {
          const [name, , , field] = CHANNEL_COUNTERS[i];
          channelLines[CHANNEL_GAUGES.length + i].push(`${name}{channel="${id}",vhost="${vhostLabel}"} ${ch.stats[field]}\n`);
        }
      }
    }

    const out: string[] = [this.nodeFamilies()];
    out.push(single('rabbitmq_connections', 'gauge', 'Client connections open (past connection.open)', connections));
    out.push(single('rabbitmq_channels', 'gauge', 'Channels open', channels));
    out.push(single('rabbitmq_consumers', 'gauge', 'Consumers of queues', consumers));
    out.push(single('rabbitmq_queues', 'gauge', 'Queues that exist', queues));

    for (let i = 0; i < QUEUE_FAMILIES.length; i++) {
      const [name, type, help] = QUEUE_FAMILIES[i];
      out.push(queueLines ? header(name, type, help) + queueLines[i].join('') : single(name, type, help, queueSums[i]));
    }
    out.push(perObject ? header(PUBLISHED, 'counter', PUBLISHED_HELP) + publishedLines.join('') : single(PUBLISHED, 'counter', PUBLISHED_HELP, published));

    const g = broker.stats;
    for (let i = 0; i < CHANNEL_GAUGES.length; i++) {
      const [name, help] = CHANNEL_GAUGES[i];
      out.push(channelLines ? header(name, 'gauge', help) + channelLines[i].join('') : single(name, 'gauge', help, channelSums[i]));
    }
    for (let i = 0; i < CHANNEL_COUNTERS.length; i++) {
      const [name, help, globalField] = CHANNEL_COUNTERS[i];
      // /metrics gives the broker-wide totals, which include channels closed since: monotonic, unlike a
      // sum over the channels open now.
      out.push(channelLines ? header(name, 'counter', help) + channelLines[CHANNEL_GAUGES.length + i].join('') : single(name, 'counter', help, g[globalField]));
    }
    if (connectionLines) {
      for (let i = 0; i < CONNECTION_FAMILIES.length; i++) {
        const [name, type, help] = CONNECTION_FAMILIES[i];
        out.push(header(name, type, help) + connectionLines[i].join(''));
      }
    }

    out.push(this.globalFamilies(g, quorum));
    return out.join('');
  }

  /** Memory, disk, file descriptors, alarms, build and identity: the same in both views. */
  private nodeFamilies(): string {
    const alarms = this.source.amqp.alarms;
    let out = single('process_start_time_seconds', 'gauge', 'When the broker process started, in seconds since the Unix epoch', this.startTime);
    out += single('rabbitmq_alarms_file_descriptor_limit', 'untyped', '1 while the file descriptor alarm is on (Warren raises none, so always 0)', 0);
    out += single('rabbitmq_alarms_free_disk_space_watermark', 'untyped', '1 while free disk space is below the limit and publishers are blocked', alarms.diskAlarm ? 1 : 0);
    out += single('rabbitmq_alarms_memory_used_watermark', 'untyped', '1 while memory use is above the high watermark and publishers are blocked', alarms.memoryAlarm ? 1 : 0);
    const fds = fileDescriptors();
    if (fds) {
      out += single('rabbitmq_process_open_fds', 'gauge', 'File descriptors the broker process has open', fds.open);
      if (fds.max !== undefined) out += single('rabbitmq_process_max_fds', 'gauge', 'Soft limit on open file descriptors', fds.max);
    }
    out += single('rabbitmq_process_open_tcp_sockets', 'gauge', 'AMQP client sockets open, handshakes included', this.source.amqp.connections.size);
    out += single('rabbitmq_process_resident_memory_bytes', 'gauge', 'Resident set size of the broker process in bytes', process.memoryUsage.rss());
    out += single('rabbitmq_resident_memory_limit_bytes', 'gauge', 'Memory high watermark in bytes, above which publishers are blocked', alarms.memoryLimit);
    // The disk is watched only with a data directory; the reading is the alarm's latest (taken each second).
    if (alarms.diskFree >= 0) {
      out += single('rabbitmq_disk_space_available_bytes', 'gauge', 'Free disk space in the data directory in bytes', alarms.diskFree);
      out += single('rabbitmq_disk_space_available_limit_bytes', 'gauge', 'Free disk space limit in bytes, below which publishers are blocked', alarms.diskFreeLimit);
    }
    out += single('rabbitmq_build_info', 'untyped', 'Versions: the RabbitMQ release followed, Warren (plugin and client) and Node.js (erlang_version)', 1, this.buildInfoLabels);
    out += single('rabbitmq_identity_info', 'untyped', 'Node and cluster names, for joining with other series', 1, this.identityLabels);
    return out;
  }

  /** rabbitmq_global_*: broker-wide totals; deliveries split by queue type as RabbitMQ labels them. */
  private globalFamilies(g: GlobalStats, quorum: DeliveryTotals): string {
    const classic = DeliveryTotals.globalLess(g, quorum);
    const byType = (name: string, help: string, read: (t: DeliveryTotals) => number): string =>
      header(name, 'counter', help) +
      `${name}{${PROTOCOL},queue_type="${CLASSIC}"} ${read(classic)}\n` +
      `${name}{${PROTOCOL},queue_type="${QUORUM}"} ${read(quorum)}\n`;
    const plain = (name: string, help: string, value: number): string => single(name, 'counter', help, value, `{${PROTOCOL}}`);

    let out = byType('rabbitmq_global_messages_acknowledged_total', 'Messages acknowledged by clients', (t) => t.acknowledged);
    out += plain('rabbitmq_global_messages_confirmed_total', 'Publishes confirmed to publishers', g.confirmed);
    out += this.deadLettered(g);
    out += byType('rabbitmq_global_messages_delivered_consume_auto_ack_total', 'Messages delivered to no-ack consumers', (t) => t.consumeAutoAck);
    out += byType('rabbitmq_global_messages_delivered_consume_manual_ack_total', 'Messages delivered to consumers that acknowledge', (t) => t.consumeManualAck);
    out += byType('rabbitmq_global_messages_delivered_get_auto_ack_total', 'Messages fetched with basic.get without acknowledgement (no-ack)', (t) => t.getAutoAck);
    out += byType('rabbitmq_global_messages_delivered_get_manual_ack_total', 'Messages fetched with basic.get to be acknowledged', (t) => t.getManualAck);
    out += byType('rabbitmq_global_messages_delivered_total', 'Messages delivered to consumers or fetched with basic.get, every mode', (t) => t.consumeAutoAck + t.consumeManualAck + t.getAutoAck + t.getManualAck);
    out += plain('rabbitmq_global_messages_received_total', 'Messages received from publishers', g.received);
    out += byType('rabbitmq_global_messages_redelivered_total', 'Deliveries and gets of messages delivered before', (t) => t.redelivered);
    out += plain('rabbitmq_global_messages_routed_total', 'Received messages that reached at least one queue', g.routed);
    out += plain('rabbitmq_global_messages_unroutable_dropped_total', 'Non-mandatory publishes no queue took, dropped', g.unroutableDropped);
    out += plain('rabbitmq_global_messages_unroutable_returned_total', 'Mandatory publishes no queue took, returned to the publisher', g.unroutableReturned);
    return out;
  }

  private deadLettered(g: GlobalStats): string {
    let out = '';
    for (const [reason, help, pairs] of DEAD_LETTER_SERIES) {
      const name = `rabbitmq_global_messages_dead_lettered_${reason}_total`;
      out += header(name, 'counter', help);
      const line = (queueType: string, strategy: string) =>
        `${name}{queue_type="${queueType}",dead_letter_strategy="${strategy}"} ${g.deadLettered.get(`${reason} ${queueType} ${strategy}`) ?? 0}\n`;
      for (const [queueType, strategy] of pairs) out += line(queueType, strategy);
      // A pair outside RabbitMQ's fixed set that Warren has counted is shown too, not dropped.
      for (const key of g.deadLettered.keys()) {
        const [r, queueType, strategy] = key.split(' ');
        if (r === reason && !pairs.some(([t, s]) => t === queueType && s === strategy)) out += line(queueType, strategy);
      }
    }
    return out;
  }
}

/** Open file descriptors and their soft limit, where the system shows them (Linux's /proc). */
function fileDescriptors(): { open: number; max: number | undefined } | null {
  if (process.platform !== 'linux') return null;
  try {
    // Listing the directory opens one more descriptor, which the listing includes.
    const open = readdirSync('/proc/self/fd').length - 1;
    const m = /^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    return { open, max: m ? Number(m[1]) : undefined };
  } catch {
    return null;
  }
}
