// How a scenario is described. A scenario names itself and, given a namespace unique to one run,
// returns a plan: the topology to declare and the load to put on it. A new kind of measurement
// (backlog drain, idle connections, declare rate, start-up time) adds a plan kind and a runner for it.

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

export type ScenarioPlan = SteadyFlowPlan;

export interface Scenario {
  name: string;
  summary: string;
  /** `ns` prefixes every exchange and queue name so runs never collide on a shared broker */
  plan(ns: string): ScenarioPlan;
}
