// Scenarios that publish a large backlog (1,000,000 messages unless --backlog-count says otherwise):
// they take minutes and gigabytes, so they run only when named with --scenario. So do the ones that
// measure something other than message flow: idle connections, declare rate, the management API, cold start.
import type { BacklogPlan, PlanParams, ProducerGroup, RecoveryPlan, Scenario } from './scenario-types.js';

const BODY_SIZE = 512;
/** Confirms bound what is in flight, so publishing measures the broker taking messages in, not a flood. */
const CONFIRM_WINDOW = 1024;
const PREFETCH = 500;

function backlogProducers(queue: string, persistent: boolean): ProducerGroup & { confirmWindow: number } {
  return {
    connections: 1,
    processes: 1,
    exchange: '',
    routingKeys: [queue],
    bodySize: BODY_SIZE,
    persistent,
    confirmWindow: CONFIRM_WINDOW,
  };
}

function backlogPlan(ns: string, params: PlanParams, persistent: boolean): BacklogPlan {
  const queue = `${ns}.q`;
  return {
    kind: 'backlog',
    topology: { exchanges: [], queues: [{ name: queue, durable: persistent }], bindings: [] },
    producers: backlogProducers(queue, persistent),
    consumers: { queues: [queue], processes: 1, prefetch: PREFETCH, manualAck: true },
    messageCount: params.backlogCount,
  };
}

function recoveryPlan(ns: string, params: PlanParams, stop: RecoveryPlan['stop']): RecoveryPlan {
  const queue = `${ns}.q`;
  return {
    kind: 'recovery',
    topology: { exchanges: [], queues: [{ name: queue, durable: true }], bindings: [] },
    producers: backlogProducers(queue, true),
    queue,
    messageCount: params.backlogCount,
    stop,
  };
}

export const heavyScenarios: Scenario[] = [
  {
    name: 'backlog-1m',
    summary:
      'publish 1M × 512 B persistent to a durable queue with no consumer (1 producer, confirm window 1024), ' +
      'then 1 consumer drains it (prefetch 500, manual ack)',
    heavy: true,
    usesBacklogCount: true,
    plan: (ns, params) => backlogPlan(ns, params, true),
  },
  {
    name: 'backlog-1m-transient',
    summary: 'as backlog-1m, with transient messages to a non-durable queue',
    heavy: true,
    usesBacklogCount: true,
    plan: (ns, params) => backlogPlan(ns, params, false),
  },
  {
    name: 'recovery',
    summary:
      'publish 1M × 512 B persistent to a durable queue (confirms), stop the broker cleanly, restart it on the same ' +
      'data dir: time to listen and to hold every message again (embedded Warren only)',
    heavy: true,
    usesBacklogCount: true,
    plan: (ns, params) => recoveryPlan(ns, params, 'clean'),
  },
  {
    name: 'recovery-kill9',
    summary: 'as recovery, but the broker is stopped with SIGKILL (embedded Warren only)',
    heavy: true,
    usesBacklogCount: true,
    plan: (ns, params) => recoveryPlan(ns, params, 'kill'),
  },
  {
    name: 'idle-connections-1000',
    summary:
      'open 1,000 connections with one channel each (2 processes, 50 handshakes in flight each), let the broker settle 3 s: ' +
      'broker RSS per connection, (with − before) / 1,000; then close them. A broker the bench did not start may reuse ' +
      'memory that earlier runs left it, which lowers the figure: run this scenario first',
    heavy: true,
    plan: () => ({ kind: 'idle-connections', connections: 1000, processes: 2, concurrency: 50, settleMs: 3000 }),
  },
  {
    name: 'declare-10k-queues',
    summary:
      'declare 10,000 durable queues, each bound to one durable direct exchange, on one connection: 8 channels, ' +
      '100 declare+bind pairs in flight; then delete them (100 deletes in flight)',
    heavy: true,
    plan: (ns) => ({
      kind: 'declare-rate',
      exchange: `${ns}.direct`,
      queuePrefix: `${ns}.q`,
      queues: 10_000,
      durable: true,
      // Both brokers declare faster on more channels (RabbitMQ 3.10: about 250 pairs/s on 4, 390 on 8, 500 on 16;
      // Warren: 5,800, 11,000, 19,000): 8 keeps to "a few channels" and the run on RabbitMQ near half a minute.
      channels: 8,
      inFlight: 100,
    }),
  },
  {
    name: 'management-10k-queues',
    summary:
      'declare 10,000 transient queues (8 channels, 100 declares in flight), 1 to 5 small messages in every tenth; once ' +
      'the management API lists them all, time GET /api/queues page 1 (100), page 50 sorted by messages, filtered by ' +
      'name and by regex, /api/overview and the unpaged /api/queues: median and slowest of 10 (after one untimed round); ' +
      'then delete the queues. Warren runs with its management API; another broker needs --against-management',
    heavy: true,
    plan: (ns) => ({
      kind: 'management-api',
      queuePrefix: `${ns}.q`,
      queues: 10_000,
      channels: 8,
      inFlight: 100,
      messagesEvery: 10,
      maxMessagesPerQueue: 5,
      repetitions: 10,
    }),
  },
  {
    name: 'startup',
    summary:
      'spawn `node dist/warren.mjs server` (bundled from the current src/) on an empty data dir, time spawn → ' +
      'first connection.open-ok, 5 runs (embedded Warren only)',
    heavy: true,
    plan: () => ({ kind: 'startup', runs: 5 }),
  },
];
