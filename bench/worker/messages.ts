// Messages between the bench's parent process and its producer/consumer worker processes.
// Sent with the 'advanced' IPC serialization, so bigint and Float64Array cross as they are.
import type { ClientKind } from '../clients/client.js';

export interface ProducerWork {
  /** connections in this process */
  connections: number;
  exchange: string;
  routingKeys: string[];
  bodySize: number;
  persistent: boolean;
  confirmWindow?: number;
  /** per connection */
  ratePerSecond?: number;
}

export interface ConsumerWork {
  /** one consumer connection per entry */
  queues: string[];
  prefetch: number;
  manualAck: boolean;
}

export type WorkerInit =
  | { type: 'init'; role: 'producer'; client: ClientKind; url: string; work: ProducerWork }
  | { type: 'init'; role: 'consumer'; client: ClientKind; url: string; work: ConsumerWork };

/** Times on the machine's monotonic clock (process.hrtime.bigint), which all processes share. */
export interface WorkerStart {
  type: 'start';
  measureFromNs: bigint;
  measureUntilNs: bigint;
}

export interface WorkerStop {
  type: 'stop';
}

export type ToWorker = WorkerInit | WorkerStart | WorkerStop;

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
  | { type: 'failed'; message: string };
