// The scenario table. Add a scenario by adding an entry; `--scenario NAME` selects by name.
import { heavyScenarios } from './heavy-scenarios.js';
import type { Scenario } from './scenario-types.js';
import { topicLoad } from './topic-bindings.js';

const KIB = 1024;

/** Computed once: 1,000 bindings and 8,192 routing keys, the same for every run and broker. */
const TOPIC = topicLoad({ bindings: 1000, queues: 10, publishKeys: 8192, fromBindings: 0.9, seed: 1000 });
const percent = (share: number): string => `${Math.round(share * 100)}%`;

const steadyFlowScenarios: Scenario[] = [
  {
    name: 'direct-1to1',
    summary: '1 producer → 1 queue → 1 consumer, 1 KiB transient, manual ack, prefetch 200',
    plan: (ns) => ({
      kind: 'steady-flow',
      topology: { exchanges: [], queues: [{ name: `${ns}.q`, durable: false }], bindings: [] },
      producers: { connections: 1, processes: 1, exchange: '', routingKeys: [`${ns}.q`], bodySize: KIB, persistent: false },
      consumers: { queues: [`${ns}.q`], processes: 1, prefetch: 200, manualAck: true },
    }),
  },
  {
    name: 'persistent-confirms',
    summary: '1 producer → 1 durable queue → 1 consumer, 1 KiB persistent, confirm window 256, manual ack, prefetch 200',
    plan: (ns) => ({
      kind: 'steady-flow',
      topology: { exchanges: [], queues: [{ name: `${ns}.q`, durable: true }], bindings: [] },
      producers: {
        connections: 1,
        processes: 1,
        exchange: '',
        routingKeys: [`${ns}.q`],
        bodySize: KIB,
        persistent: true,
        confirmWindow: 256,
      },
      consumers: { queues: [`${ns}.q`], processes: 1, prefetch: 200, manualAck: true },
    }),
  },
  {
    name: 'fanout-10',
    summary: '1 producer → fanout exchange → 10 queues, 1 consumer each, 1 KiB transient, manual ack, prefetch 200',
    plan: (ns) => {
      const queues = Array.from({ length: 10 }, (_, i) => `${ns}.q${i}`);
      return {
        kind: 'steady-flow',
        topology: {
          exchanges: [{ name: `${ns}.fanout`, type: 'fanout', durable: false }],
          queues: queues.map((name) => ({ name, durable: false })),
          bindings: queues.map((queue) => ({ exchange: `${ns}.fanout`, queue, routingKey: '' })),
        },
        producers: { connections: 1, processes: 1, exchange: `${ns}.fanout`, routingKeys: [''], bodySize: KIB, persistent: false },
        // two consumer processes, so the ten consumers' parsing and acking is not one event loop's bottleneck
        consumers: { queues, processes: 2, prefetch: 200, manualAck: true },
      };
    },
  },
  {
    name: 'topic-1000',
    summary:
      '2 producers (1 process) → topic exchange with 1,000 bindings (region.kind.id keys, a fifth with * or #) over ' +
      `10 queues → 10 consumers; random keys of which ${percent(TOPIC.routedShare)} route, ` +
      `${TOPIC.meanQueuesPerPublish.toFixed(2)} queues per publish on average; 1 KiB transient, manual ack, prefetch 200`,
    plan: (ns) => {
      const queues = Array.from({ length: 10 }, (_, i) => `${ns}.q${i}`);
      const exchange = `${ns}.topic`;
      return {
        kind: 'steady-flow',
        topology: {
          exchanges: [{ name: exchange, type: 'topic', durable: false }],
          queues: queues.map((name) => ({ name, durable: false })),
          bindings: TOPIC.bindingKeys.map((routingKey, i) => ({ exchange, queue: queues[i % queues.length]!, routingKey })),
        },
        producers: { connections: 2, processes: 1, exchange, routingKeys: TOPIC.publishKeys, bodySize: KIB, persistent: false },
        consumers: { queues, processes: 2, prefetch: 200, manualAck: true },
      };
    },
  },
  {
    name: 'many-producers-50',
    summary:
      '50 producers → 50 queues (one each) → 50 consumers, 100 connections over 4 processes, 1 KiB transient, manual ack, prefetch 100',
    plan: (ns) => {
      const queues = Array.from({ length: 50 }, (_, i) => `${ns}.q${i}`);
      return {
        kind: 'steady-flow',
        topology: { exchanges: [], queues: queues.map((name) => ({ name, durable: false })), bindings: [] },
        producers: {
          connections: 50,
          processes: 2,
          exchange: '',
          routingKeys: queues,
          routingKeysPerConnection: queues.map((q) => [q]),
          bodySize: KIB,
          persistent: false,
        },
        consumers: { queues, processes: 2, prefetch: 100, manualAck: true },
      };
    },
  },
  {
    name: 'fixed-rate-latency',
    summary: '1 producer at a fixed 5,000 msg/s → 1 queue → 1 consumer, 1 KiB transient: latency when not saturated',
    plan: (ns) => ({
      kind: 'steady-flow',
      topology: { exchanges: [], queues: [{ name: `${ns}.q`, durable: false }], bindings: [] },
      producers: {
        connections: 1,
        processes: 1,
        exchange: '',
        routingKeys: [`${ns}.q`],
        bodySize: KIB,
        persistent: false,
        ratePerSecond: 5000,
      },
      consumers: { queues: [`${ns}.q`], processes: 1, prefetch: 200, manualAck: true },
    }),
  },
];

export const scenarios: Scenario[] = [...steadyFlowScenarios, ...heavyScenarios];

/** No names: every scenario but the heavy ones, which run only when named. */
export function findScenarios(names: string[]): Scenario[] {
  if (names.length === 0) return scenarios.filter((s) => !s.heavy);
  return names.map((name) => {
    const found = scenarios.find((s) => s.name === name);
    if (!found) throw new Error(`unknown scenario "${name}"; known: ${scenarios.map((s) => s.name).join(', ')}`);
    return found;
  });
}
