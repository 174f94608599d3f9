// What every runner is given: the broker to load and the settings of the bench run.
import type { ClientKind } from './clients/client.js';

export interface RunSettings {
  client: ClientKind;
  warmupMs: number;
  durationMs: number;
  /** messages in backlog and recovery scenarios */
  backlogCount: number;
}

export interface BrokerEndpoint {
  url: string;
  /** for CPU and RSS readings; null when unknown (a broker elsewhere, no --pid) */
  pid: number | null;
  /** base URL of its management HTTP API (credentials, if any, in the URL); absent when there is none */
  managementUrl?: string;
}

/** Set to 1 in a bench-started broker's environment when it should serve its management API (broker-process.ts). */
export const MANAGEMENT_ENV = 'BENCH_BROKER_MANAGEMENT';
