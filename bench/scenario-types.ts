// How a scenario is described. A scenario names itself and, given a namespace unique to one run,
// returns a plan: the topology to declare and the load to put on it. A new kind of measurement
// (idle connections, declare rate, ...) adds a plan kind and a runner for it.

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

export type ScenarioPlan = SteadyFlowPlan | BacklogPlan | RecoveryPlan;
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
  /** `ns` prefixes every exchange and queue name so runs never collide on a shared broker */
  plan(ns: string, params: PlanParams): ScenarioPlan;
}
