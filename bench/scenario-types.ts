// How a scenario is described. A scenario names itself and, given a namespace unique to one run,
// returns a plan: the topology to declare and the load to put on it. A new kind of measurement
// adds a plan kind and a runner for it (steady-flow.ts, backlog.ts, recovery.ts, idle-connections.ts,
// declare-rate.ts, startup.ts, management-api.ts).

export interface ExchangeSpec {
  name: string;
  type: 'direct' | 'fanout' | 'topic' | 'headers';
  durable: boolean;
}

export interface QueueSpec {
  name: string;
  durable: boolean;
}

export interface BindingSpec {
  exchange: string;
  queue: string;
  routingKey: string;
}

export interface Topology {
  exchanges: ExchangeSpec[];
  queues: QueueSpec[];
  bindings: BindingSpec[];
}

export interface ProducerGroup {
  /** one AMQP connection (with one channel) per producer */
  connections: number;
  /** OS processes the connections are spread over */
  processes: number;
  exchange: string;
  /** used in turn, message by message */
  routingKeys: string[];
  /**
   * set: connection i publishes with routingKeysPerConnection[i] (in turn) instead of `routingKeys`,
   * e.g. one producer per queue; needs an entry per connection
   */
  routingKeysPerConnection?: string[][];
  /** at least 8: the first 8 bytes carry the send time */
  bodySize: number;
  persistent: boolean;
  /** set: publisher confirms, with at most this many unconfirmed per connection */
  confirmWindow?: number;
  /** set: total messages per second across the group; unset: as fast as back-pressure allows */
  ratePerSecond?: number;
}

export interface ConsumerGroup {
  /** one consumer connection per entry (a queue may appear more than once for competing consumers) */
  queues: string[];
  processes: number;
  prefetch: number;
  manualAck: boolean;
}

/** Producers and consumers run side by side for a fixed time; rates and latency are measured in that window. */
export interface SteadyFlowPlan {
  kind: 'steady-flow';
  topology: Topology;
  producers: ProducerGroup;
  consumers: ConsumerGroup;
}

/**
 * A backlog: producers publish `messageCount` messages into queues nobody consumes from, then consumers
 * attach and drain them all. Publishing and draining are timed separately, with the broker's memory
 * after each. The producers need a confirm window: without one they would measure how fast the
 * broker's socket buffers fill, not how fast it takes messages.
 */
export interface BacklogPlan {
  kind: 'backlog';
  topology: Topology;
  producers: ProducerGroup & { confirmWindow: number };
  consumers: ConsumerGroup;
  /** published in all (each reaches one queue), and so also drained in all */
  messageCount: number;
}

/**
 * Restart of a broker with a backlog on disk: publish `messageCount` persistent messages to a durable
 * queue, stop the broker (cleanly or with SIGKILL), start it again on the same data directory, and time
 * how long it takes to listen and to hold every message again. Only a broker the bench starts itself
 * can be restarted, so other brokers skip it.
 */
export interface RecoveryPlan {
  kind: 'recovery';
  topology: Topology;
  producers: ProducerGroup & { confirmWindow: number };
  /** the queue whose depth is watched after the restart */
  queue: string;
  messageCount: number;
  stop: 'clean' | 'kill';
}

/**
 * Idle connections: open `connections` AMQP connections with one channel each (spread over `processes`
 * generator processes), let the broker settle, and read what they cost it in memory; then close them.
 */
export interface IdleConnectionsPlan {
  kind: 'idle-connections';
  connections: number;
  processes: number;
  /** connection handshakes in flight at once, per process */
  concurrency: number;
  /** after the last connection opens (and after they close), before the broker's RSS is read */
  settleMs: number;
}

/**
 * Declare rate: on one connection, declare `queues` queues and bind each to one direct exchange,
 * pipelined over a few channels with a bounded number of declare+bind pairs in flight; then delete them.
 */
export interface DeclareRatePlan {
  kind: 'declare-rate';
  exchange: string;
  /** queue i is `${queuePrefix}${i}`, bound with routing key `k${i}` */
  queuePrefix: string;
  queues: number;
  durable: boolean;
  channels: number;
  /** declare+bind pairs (or deletes) outstanding at once, across the channels */
  inFlight: number;
}

/**
 * Cold start: spawn the broker's own command line on an empty data dir and time spawn → first
 * AMQP connection open (connection.open-ok), `runs` times. Only for a broker the bench can start.
 */
export interface StartupPlan {
  kind: 'startup';
  runs: number;
}

/**
 * The management HTTP API on a broker with many queues: declare `queues` queues (pipelined as in a
 * declare-rate plan), put a few messages in every `messagesEvery`-th one (so sorting by messages has
 * something to sort), wait until the API shows them all, then time each of a fixed set of GET requests
 * (see MANAGEMENT_REQUESTS in measurements.ts) `repetitions` times; then delete the queues. Needs the
 * broker's management API: the bench starts Warren with it, another broker needs its URL.
 */
export interface ManagementApiPlan {
  kind: 'management-api';
  /** queue i is `${queuePrefix}${i}`, transient */
  queuePrefix: string;
  queues: number;
  channels: number;
  /** declares (or deletes) outstanding at once, across the channels */
  inFlight: number;
  /** queue i gets messages when i % messagesEvery === 0: 1 to maxMessagesPerQueue of them, in turn */
  messagesEvery: number;
  maxMessagesPerQueue: number;
  /** timed runs of each request, after one untimed round */
  repetitions: number;
}

export type ScenarioPlan =
  | SteadyFlowPlan
  | BacklogPlan
  | RecoveryPlan
  | IdleConnectionsPlan
  | DeclareRatePlan
  | StartupPlan
  | ManagementApiPlan;
export type PlanKind = ScenarioPlan['kind'];

/** Settings from the command line that shape a plan. */
export interface PlanParams {
  /** messages in a backlog or recovery scenario (`--backlog-count`) */
  backlogCount: number;
}

export interface Scenario {
  name: string;
  summary: string;
  /** runs only when named with --scenario: long, and memory- or disk-hungry */
  heavy?: boolean;
  /** its plan's size is --backlog-count (the backlog and recovery scenarios) */
  usesBacklogCount?: boolean;
  /** `ns` prefixes every exchange and queue name so runs never collide on a shared broker */
  plan(ns: string, params: PlanParams): ScenarioPlan;
}
