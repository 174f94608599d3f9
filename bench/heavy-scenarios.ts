// Scenarios that publish a large backlog (1,000,000 messages unless --backlog-count says otherwise):
// they take minutes and gigabytes, so they run only when named with --scenario.
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
    plan: (ns, params) => backlogPlan(ns, params, true),
  },
  {
    name: 'backlog-1m-transient',
    summary: 'as backlog-1m, with transient messages to a non-durable queue',
    heavy: true,
    plan: (ns, params) => backlogPlan(ns, params, false),
  },
  {
    name: 'recovery',
    summary:
      'publish 1M × 512 B persistent to a durable queue (confirms), stop the broker cleanly, restart it on the same ' +
      'data dir: time to listen and to hold every message again (embedded Warren only)',
    heavy: true,
    plan: (ns, params) => recoveryPlan(ns, params, 'clean'),
  },
  {
    name: 'recovery-kill9',
    summary: 'as recovery, but the broker is stopped with SIGKILL (embedded Warren only)',
    heavy: true,
    plan: (ns, params) => recoveryPlan(ns, params, 'kill'),
  },
];
