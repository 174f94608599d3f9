// /api/overview, /api/nodes, /api/health/checks/*, /api/aliveness-test: the broker as a whole.
import { readdirSync, readFileSync, statfsSync } from 'node:fs';
import { availableParallelism, hostname, totalmem } from 'node:os';
import { RABBITMQ_COMPATIBLE_VERSION } from '../../broker/definitions-export.js';
import { Message } from '../../broker/message.js';
import { encodeProperties } from '../../amqp/properties.js';
import { Reply, type Api } from '../api.js';
import { churnCounters, globalCounters, openConnections } from '../counters.js';
import { badRequest, notFound } from '../http-error.js';
import type { Json } from '../json-fields.js';
import { vhostOf } from '../lookup.js';
import { rangesOf } from '../ranges.js';
import { messageStats } from '../views.js';

const EXCHANGE_TYPES = [
  ['direct', 'AMQP direct exchange, as per the AMQP specification'],
  ['fanout', 'AMQP fanout exchange, as per the AMQP specification'],
  ['headers', 'AMQP headers exchange, as per the AMQP specification'],
  ['topic', 'AMQP topic exchange, as per the AMQP specification'],
  ['x-consistent-hash', 'Consistent Hashing Exchange'],
];

/** Open file descriptors and the limit on them (Linux /proc; zero elsewhere). */
function openFiles(): { used: number; total: number } {
  try {
    const used = readdirSync('/proc/self/fd').length;
    const limits = readFileSync('/proc/self/limits', 'utf8');
    const m = /^Max open files\s+(\d+)/m.exec(limits);
    return { used, total: m ? Number(m[1]) : 0 };
  } catch {
    return { used: 0, total: 0 };
  }
}

function freeDisk(dir: string): number {
  try {
    const st = statfsSync(dir);
    return st.bavail * st.bsize;
  } catch {
    return 0;
  }
}

export function overviewRoutes(api: Api): void {
  const ctx = api.ctx;
  const broker = ctx.broker;

  api.get('/api/overview', 'management', (call) => {
    let exchanges = 0;
    let queues = 0;
    let consumers = 0;
    for (const vh of broker.vhosts.values()) {
      if (!call.user.sees(vh.name)) continue;
      exchanges += vh.exchanges.size;
      queues += vh.queues.size;
      for (const q of vh.queues.values()) consumers += q.consumers.length;
    }
    const open = openConnections(ctx.amqp);
    const { connections, channels } = open;
    const counters = globalCounters(broker.stats, broker);
    const churn = churnCounters(broker, ctx.amqp, open);
    const ranges = rangesOf(call);
    const lengths = (f: string) => ctx.rates.details(broker.stats, f, ranges.lengths);
    const churnRates: Record<string, Json> = {};
    for (const [field, value] of Object.entries(churn)) {
      churnRates[field] = value;
      churnRates[`${field}_details`] = { rate: ctx.rates.rate(ctx.amqp, field) };
    }
    return {
      management_version: RABBITMQ_COMPATIBLE_VERSION,
      rates_mode: 'basic',
      exchange_types: EXCHANGE_TYPES.map(([name, description]) => ({ name, description, enabled: true })),
      product_version: ctx.version,
      product_name: 'Warren',
      rabbitmq_version: RABBITMQ_COMPATIBLE_VERSION,
      cluster_name: ctx.nodeName,
      erlang_version: process.versions.node,
      erlang_full_version: `Node.js ${process.version}`,
      disable_stats: false,
      enable_queue_totals: false,
      message_stats: messageStats(ctx, broker.stats, counters, ranges.msgRates),
      churn_rates: churnRates,
      queue_totals: {
        messages: counters.messages,
        messages_details: lengths('messages'),
        messages_ready: counters.messages_ready,
        messages_ready_details: lengths('messages_ready'),
        messages_unacknowledged: counters.messages_unacknowledged,
        messages_unacknowledged_details: lengths('messages_unacknowledged'),
      },
      object_totals: { channels, connections, consumers, exchanges, queues },
      statistics_db_event_queue: 0,
      // As RabbitMQ: the node and its listeners are shown to monitoring users only.
      ...(call.user.monitoring
        ? {
            node: ctx.nodeName,
            listeners: ctx.listeners.map((l) => ({ node: ctx.nodeName, ...l })),
            contexts: ctx.listeners
              .filter((l) => l.protocol === 'http' || l.protocol === 'https')
              .map((l) => ({ node: ctx.nodeName, description: 'Warren Management', path: '/', port: String(l.port) })),
          }
        : {}),
    };
  });

  const node = () => {
    const mem = process.memoryUsage();
    const alarms = ctx.amqp.alarms;
    const fds = openFiles();
    const sockets = ctx.amqp.connections.size;
    const diskFree = alarms.diskFree >= 0 ? alarms.diskFree : freeDisk(ctx.dataDir ?? process.cwd());
    const figures: Record<string, number> = { mem_used: mem.rss, fd_used: fds.used, sockets_used: sockets, disk_free: diskFree };
    const withRates: Record<string, Json> = {};
    for (const [field, value] of Object.entries(figures)) {
      withRates[field] = value;
      withRates[`${field}_details`] = { rate: 0 };
    }
    return {
      name: ctx.nodeName,
      type: 'disc',
      running: true,
      os_pid: String(process.pid),
      rates_mode: 'basic',
      ...withRates,
      mem_limit: alarms.memoryLimit,
      mem_alarm: alarms.memoryAlarm,
      disk_free_limit: alarms.diskFreeLimit,
      disk_free_alarm: alarms.diskAlarm,
      fd_total: fds.total,
      sockets_total: fds.total,
      uptime: Date.now() - ctx.startedAt,
      processors: availableParallelism(),
      total_memory: totalmem(),
      host: hostname(),
      run_queue: 0,
      partitions: [],
      exchange_types: EXCHANGE_TYPES.map(([name, description]) => ({ name, description, enabled: true })),
      auth_mechanisms: [
        { name: 'PLAIN', description: 'SASL PLAIN authentication mechanism', enabled: true },
        { name: 'AMQPLAIN', description: 'QPid AMQPLAIN mechanism', enabled: true },
      ],
      applications: [{ name: 'warren', description: 'Warren, an AMQP 0-9-1 message broker', version: ctx.version }],
      being_drained: false,
    };
  };
  api.get('/api/nodes', 'monitoring', () => [node()]);
  api.get('/api/nodes/:node', 'monitoring', (call) => {
    if (call.params.node !== ctx.nodeName) throw notFound();
    return node();
  });
  api.get('/api/cluster-name', 'management', () => ({ name: ctx.nodeName }));
  api.get('/api/extensions', 'management', () => []);

  // ---- health checks: 200 {"status":"ok"}, or 503 {"status":"failed","reason":…} ----
  const ok = () => ({ status: 'ok' });
  const failed = (reason: string, extra: Record<string, unknown> = {}) => new Reply(503, { status: 'failed', reason, ...extra } as never);
  const alarmsCheck = () => {
    const alarms = ctx.amqp.alarms;
    const list = [
      ...(alarms.memoryAlarm ? [{ node: ctx.nodeName, resource: 'memory' }] : []),
      ...(alarms.diskAlarm ? [{ node: ctx.nodeName, resource: 'disk' }] : []),
    ];
    return list.length === 0 ? ok() : failed('resource alarm(s) in effect in the cluster', { alarms: list });
  };
  api.get('/api/health/checks/alarms', 'management', alarmsCheck);
  api.get('/api/health/checks/local-alarms', 'management', alarmsCheck);
  api.get('/api/health/checks/virtual-hosts', 'management', ok);
  const singleNode = () => ({ status: 'ok', reason: 'single node cluster' });
  api.get('/api/health/checks/node-is-quorum-critical', 'management', singleNode);
  api.get('/api/health/checks/node-is-mirror-sync-critical', 'management', singleNode);
  api.get('/api/health/checks/certificate-expiration/:within/:unit', 'management', ok);
  api.get('/api/health/checks/port-listener/:port', 'management', (call) => {
    if (!/^\d+$/.test(call.params.port)) throw badRequest('Invalid port');
    const port = Number(call.params.port);
    if (ctx.listeners.some((l) => l.port === port)) return { status: 'ok', port };
    return failed('No active listener', { missing: port, ports: ctx.listeners.map((l) => l.port) });
  });
  api.get('/api/health/checks/protocol-listener/:protocol', 'management', (call) => {
    const protocol = call.params.protocol;
    if (ctx.listeners.some((l) => l.protocol === protocol)) return { status: 'ok', protocol };
    return failed('No active listener', { missing: protocol, protocols: [...new Set(ctx.listeners.map((l) => l.protocol))] });
  });
  // Not in RabbitMQ 3.10: whether the broker takes clients now (no resource alarm holds publishers).
  api.get('/api/health/checks/ready-to-serve-clients', 'management', () =>
    ctx.amqp.alarms.reason === null ? ok() : failed(`not ready: ${ctx.amqp.alarms.reason}`),
  );

  // Declares aliveness-test, publishes to it and gets the message back, as RabbitMQ's check does.
  api.get('/api/aliveness-test/:vhost', 'management', (call) => {
    const vh = vhostOf(api, call);
    call.user.requireVhostAccess(vh.name);
    const q = vh.declareQueue('aliveness-test', false, false, false, false, new Map(), 0).queue;
    const msg = new Message('', 'aliveness-test', encodeProperties({}), Buffer.from('test_message'));
    vh.enqueueRouted([q], msg);
    const got = q.get(true);
    return got?.message?.body.toString() === 'test_message' ? ok() : failed('aliveness test failed');
  });
}
