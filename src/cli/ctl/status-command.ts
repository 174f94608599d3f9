// status: what the broker is and how it is doing, from /api/overview and /api/nodes/NODE.
import type { Command } from './command.js';
import { segment } from './http-client.js';
import { isNotFound } from './lookups.js';

type JsonObject = Record<string, unknown>;

const asObject = (value: unknown): JsonObject => (value && typeof value === 'object' ? (value as JsonObject) : {});

function bytes(n: unknown): string | undefined {
  if (typeof n !== 'number') return undefined;
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

function duration(ms: unknown): string | undefined {
  if (typeof ms !== 'number') return undefined;
  let s = Math.floor(ms / 1000);
  const parts: string[] = [];
  for (const [unit, size] of [['d', 86400], ['h', 3600], ['m', 60]] as const) {
    if (s >= size) {
      parts.push(`${Math.floor(s / size)}${unit}`);
      s %= size;
    }
  }
  parts.push(`${s}s`);
  return parts.join(' ');
}

function listenerText(listener: JsonObject): string {
  const ip = typeof listener.ip_address === 'string' ? listener.ip_address : '';
  return `${listener.protocol} ${ip.includes(':') ? `[${ip}]` : ip}:${listener.port}`;
}

const alarm = (on: unknown): string => (on === true ? ' — ALARM' : '');

export const STATUS_COMMAND: Command = {
  name: 'status',
  synopsis: '',
  summary: 'product, version, node, object and message totals, memory, disk and listeners',
  arity: [0, 0],
  options: [],
  async run({ client, out }) {
    out.info(`Status of the broker at ${client.settings.baseUrl} ...`);
    const overview = asObject(await client.get('/api/overview'));
    let node: JsonObject = {};
    if (typeof overview.node === 'string') {
      try {
        node = asObject(await client.get(`/api/nodes/${segment(overview.node)}`));
      } catch (err) {
        if (!isNotFound(err)) throw err; // a broker without per-node statistics: show the overview only
      }
    }
    const totals = asObject(overview.object_totals);
    const queueTotals = asObject(overview.queue_totals);
    const listeners = Array.isArray(overview.listeners) ? overview.listeners.map(asObject) : [];
    const summary = {
      product_name: overview.product_name ?? null,
      product_version: overview.product_version ?? overview.rabbitmq_version ?? null,
      management_version: overview.management_version ?? null,
      erlang_version: overview.erlang_version ?? null,
      node: overview.node ?? null,
      cluster_name: overview.cluster_name ?? null,
      uptime: node.uptime ?? null,
      object_totals: overview.object_totals ?? null,
      queue_totals: overview.queue_totals ?? null,
      mem_used: node.mem_used ?? null,
      mem_limit: node.mem_limit ?? null,
      mem_alarm: node.mem_alarm ?? null,
      disk_free: node.disk_free ?? null,
      disk_free_limit: node.disk_free_limit ?? null,
      disk_free_alarm: node.disk_free_alarm ?? null,
      fd_used: node.fd_used ?? null,
      fd_total: node.fd_total ?? null,
      listeners: overview.listeners ?? null,
    };
    const fields: [string, unknown][] = [
      ['product', [summary.product_name, summary.product_version].filter(Boolean).join(' ')],
      ['node', summary.node],
      ['cluster name', summary.cluster_name],
      ['erlang', summary.erlang_version],
      ['uptime', duration(summary.uptime)],
      ['connections', totals.connections],
      ['channels', totals.channels],
      ['exchanges', totals.exchanges],
      ['queues', totals.queues],
      ['consumers', totals.consumers],
      [
        'messages',
        queueTotals.messages === undefined
          ? undefined
          : `${queueTotals.messages} (ready ${queueTotals.messages_ready ?? '?'}, unacknowledged ${queueTotals.messages_unacknowledged ?? '?'})`,
      ],
      ['memory', summary.mem_used === null ? undefined : `${bytes(summary.mem_used)} of ${bytes(summary.mem_limit) ?? '?'}${alarm(summary.mem_alarm)}`],
      ['disk free', summary.disk_free === null ? undefined : `${bytes(summary.disk_free)} (limit ${bytes(summary.disk_free_limit) ?? '?'})${alarm(summary.disk_free_alarm)}`],
      ['file descriptors', summary.fd_used === null ? undefined : `${summary.fd_used} of ${summary.fd_total ?? '?'}`],
      ['listeners', listeners.map(listenerText).join(', ')],
    ];
    out.record(
      fields.filter(([, value]) => value !== undefined && value !== null && value !== ''),
      summary,
    );
  },
};
