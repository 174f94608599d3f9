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
}
