// Messages between the bench's parent process and its producer/consumer worker processes.
// Sent with the 'advanced' IPC serialization, so bigint and Float64Array cross as they are.
import type { ClientKind } from '../clients/client.js';

export interface ProducerWork {
  /** connections in this process */
  connections: number;
  exchange: string;
  routingKeys: string[];
  /** set: one list per connection of this process, used instead of `routingKeys` */
  routingKeysPerConnection?: string[][];
  bodySize: number;
  persistent: boolean;
  confirmWindow?: number;
  /** per connection */
  ratePerSecond?: number;
  /** set: publish exactly this many messages from this process (split over its connections), then stop */
  messageLimit?: number;
}

export interface ConsumerWork {
  /** one consumer connection per entry */
  queues: string[];
  prefetch: number;
  manualAck: boolean;
  /** true: connect and consume only on 'run' (a backlog's consumers attach once publishing is over) */
  connectOnRun?: boolean;
}

/** Connections that only open (one channel each) and then sit idle; counted mode only. */
export interface IdleWork {
  connections: number;
  /** handshakes in flight at once */
  concurrency: number;
}

export type WorkerInit =
  | { type: 'init'; role: 'producer'; client: ClientKind; url: string; work: ProducerWork }
  | { type: 'init'; role: 'consumer'; client: ClientKind; url: string; work: ConsumerWork }
  | { type: 'init'; role: 'idle'; client: ClientKind; url: string; work: IdleWork };

/** Times on the machine's monotonic clock (process.hrtime.bigint), which all processes share. */
export interface WorkerStart {
  type: 'start';
  measureFromNs: bigint;
  measureUntilNs: bigint;
}

/** Counted mode, instead of 'start': work until 'finish', sending 'progress' meanwhile. */
export interface WorkerRun {
  type: 'run';
}

/** Ends counted mode: the worker stops publishing and replies with a 'report' covering run → finish. */
export interface WorkerFinish {
  type: 'finish';
}

export interface WorkerStop {
  type: 'stop';
}

export type ToWorker = WorkerInit | WorkerStart | WorkerRun | WorkerFinish | WorkerStop;

/** Sent in counted mode every PROGRESS_INTERVAL_MS; the parent adds up `done` across processes. */
export interface WorkerProgress {
  type: 'progress';
  /**
   * producers: publishes the broker confirmed or nacked (published, without confirms); consumers: messages
   * received; idle: connections open
   */
  done: number;
  /** when `done` last grew, on the shared monotonic clock; 0n before it first does */
  lastDoneNs: bigint;
}

/** What one worker process saw inside the measurement window. */
export interface WindowReport {
  published: number;
  confirmed: number;
  nacked: number;
  consumed: number;
  /** LatencyHistogram counts, consumers only */
  latencyCounts: Float64Array | null;
  /** user + system CPU time of this process */
  cpuMicros: number;
  windowNs: number;
}

export type FromWorker =
  | { type: 'ready' }
  | { type: 'report'; report: WindowReport }
  | WorkerProgress
  | { type: 'failed'; message: string };
