// Runs one broker in a process of its own, so its CPU and memory are measured apart from the load
// generator's. Forked by broker-child.ts as `broker-process warren|null [DATA_DIR]`; tells the parent
// where it listens ({url, pid}, and when on the shared monotonic clock) and closes when told to (or
// when the parent goes away). With BENCH_BROKER_MANAGEMENT=1 in its environment Warren also serves its
// management API (for the scenarios that measure it; the others run without, as before).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startNullBroker } from './null-broker.js';
import { MANAGEMENT_ENV } from './run-context.js';

export type BrokerKind = 'warren' | 'null';

export type FromBrokerProcess =
  /** listeningNs: process.hrtime.bigint() as a string (JSON carries no bigint) */
  | { type: 'listening'; url: string; pid: number; listeningNs: string; managementUrl?: string }
  | { type: 'failed'; message: string };

interface RunningBroker {
  url: string;
  managementUrl?: string | undefined;
  close(): Promise<void>;
}

const kind = process.argv[2] as BrokerKind;
// A data dir given by the parent is the parent's (a restart scenario reuses it); otherwise a fresh
// one, removed on exit, keeps runs independent.
const givenDataDir = process.argv[3];
const dataDir = givenDataDir ?? mkdtempSync(join(tmpdir(), 'warren-bench-'));

async function start(): Promise<RunningBroker> {
  if (kind === 'null') return startNullBroker({ port: 0, host: '127.0.0.1' });
  const { startBroker } = await import('../src/index.js');
  const management = process.env[MANAGEMENT_ENV] === '1' ? { management: { port: 0, host: '127.0.0.1' } } : {};
  return startBroker({ port: 0, host: '127.0.0.1', dataDir, ...management });
}

async function shutdown(broker: RunningBroker | null): Promise<never> {
  await broker?.close().catch(() => {});
  if (givenDataDir === undefined) rmSync(dataDir, { recursive: true, force: true });
  process.exit(0);
}

try {
  const broker = await start();
  const listeningNs = String(process.hrtime.bigint());
  const management = broker.managementUrl ? { managementUrl: broker.managementUrl } : {};
  process.send!({ type: 'listening', url: broker.url, pid: process.pid, listeningNs, ...management } satisfies FromBrokerProcess);
  process.on('message', () => void shutdown(broker)); // the only message the parent sends is "close"
  process.on('disconnect', () => void shutdown(broker));
} catch (err) {
  process.send!({ type: 'failed', message: err instanceof Error ? err.message : String(err) } satisfies FromBrokerProcess);
  await shutdown(null);
}
