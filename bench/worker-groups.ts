// Forks a plan's producer and consumer groups as worker processes and sends each its share of the
// work. Used by every runner, so producers and consumers are set up the same way in every scenario.
import type { ClientKind } from './clients/client.js';
import type { ConsumerGroup, ProducerGroup } from './scenario-types.js';
import { splitCount, spread } from './shares.js';
import type { ConsumerWork, ProducerWork, WindowReport } from './worker/messages.js';
import { WorkerHandle } from './worker/worker-handle.js';

export interface ProducerOptions {
  /** counted mode: publish this many in all, split over the group's connections */
  messageCount?: number;
}

export interface ConsumerOptions {
  /** counted mode: connect only when told to run */
  connectOnRun?: boolean;
}

/** Forks the producer processes; each connects when it gets its work and says 'ready'. */
export function forkProducers(group: ProducerGroup, url: string, client: ClientKind, options: ProducerOptions = {}): WorkerHandle[] {
  if (group.routingKeysPerConnection && group.routingKeysPerConnection.length !== group.connections) {
    throw new Error(`routingKeysPerConnection has ${group.routingKeysPerConnection.length} entries for ${group.connections} connections`);
  }
  const perConnection = options.messageCount === undefined ? null : splitCount(options.messageCount, group.connections);
  let firstConnection = 0;
  return spread(Array.from({ length: group.connections }), group.processes).map((share, i) => {
    const worker = new WorkerHandle(`producer process ${i + 1}`);
    const work = producerWork(group, share.length);
    if (group.routingKeysPerConnection) {
      work.routingKeysPerConnection = group.routingKeysPerConnection.slice(firstConnection, firstConnection + share.length);
    }
    if (perConnection) {
      const mine = perConnection.slice(firstConnection, firstConnection + share.length);
      work.messageLimit = mine.reduce((sum, n) => sum + n, 0);
    }
    firstConnection += share.length;
    worker.send({ type: 'init', role: 'producer', client, url, work });
    return worker;
  });
}

export function forkConsumers(group: ConsumerGroup, url: string, client: ClientKind, options: ConsumerOptions = {}): WorkerHandle[] {
  return spread(group.queues, group.processes).map((queues, i) => {
    const worker = new WorkerHandle(`consumer process ${i + 1}`);
    const work: ConsumerWork = { queues, prefetch: group.prefetch, manualAck: group.manualAck };
    if (options.connectOnRun) work.connectOnRun = true;
    worker.send({ type: 'init', role: 'consumer', client, url, work });
    return worker;
  });
}

/** Forks processes that open `connections` idle connections in all when told to run (counted mode). */
export function forkIdleConnections(connections: number, processes: number, concurrency: number, url: string, client: ClientKind): WorkerHandle[] {
  return splitCount(connections, Math.min(processes, connections)).map((mine, i) => {
    const worker = new WorkerHandle(`connecting process ${i + 1}`);
    worker.send({ type: 'init', role: 'idle', client, url, work: { connections: mine, concurrency } });
    return worker;
  });
}

function producerWork(group: ProducerGroup, connections: number): ProducerWork {
  return {
    connections,
    exchange: group.exchange,
    routingKeys: group.routingKeys,
    bodySize: group.bodySize,
    persistent: group.persistent,
    ...(group.confirmWindow === undefined ? {} : { confirmWindow: group.confirmWindow }),
    ...(group.ratePerSecond === undefined ? {} : { ratePerSecond: group.ratePerSecond / group.connections }),
  };
}

/** Adds up per-process rates, each over that process's own measured window. */
export function sumRate(reports: readonly WindowReport[], amount: (r: WindowReport) => number): number {
  return reports.reduce((sum, r) => sum + amount(r) / (r.windowNs / 1e9), 0);
}

export async function stopWorkers(workers: readonly WorkerHandle[]): Promise<void> {
  await Promise.all(workers.map((w) => w.stop()));
}
