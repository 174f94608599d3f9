// Runs a startup plan: spawn Warren's command line (`node <cli> server`) on an empty data dir and a
// free port, and time from just before the spawn to the first connection.open-ok: the bench tries to
// connect every 5 ms, and at once whenever the broker writes to stderr (its "ready" line), and each
// accepted TCP connection goes through the AMQP handshake. The broker's RSS is read at that moment;
// then it is stopped with SIGTERM. Repeated `plan.runs` times, each turn also timing a bare `node`
// that only listens (spawn → first byte on a connection): the floor Node itself sets on this machine,
// which moves by tens of milliseconds from hour to hour on a shared VM.
// Polling every millisecond was tried: the poller's CPU then delayed the broker's start by 30-60 ms
// on this 2-core machine; every 5 ms costs it nothing measurable.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrokerLaunch } from './broker-child.js';
import { RawConnection } from './clients/raw/raw-connection.js';
import type { StartupMeasurements } from './measurements.js';
import { rssBytes } from './proc-stats.js';
import type { StartupPlan } from './scenario-types.js';
import { elapsedMs, sleep, withTimeout } from './timing.js';

const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;
const RETRY_MS = 5;
/** Between runs, so one run's exit (page cache writes, freed memory) does not overlap the next start. */
const PAUSE_MS = 1000;

export async function runStartup(plan: StartupPlan, launch: BrokerLaunch): Promise<StartupMeasurements> {
  const times: number[] = [];
  const rss: number[] = [];
  const floors: number[] = [];
  const over: number[] = [];
  for (let run = 0; run < plan.runs; run++) {
    await sleep(PAUSE_MS);
    const floor = await bareNodeOnce();
    await sleep(PAUSE_MS);
    const { ms, rssMb } = await startOnce(launch);
    times.push(ms);
    rss.push(rssMb);
    floors.push(floor);
    over.push(ms - floor);
  }
  return {
    startupMs: median(times),
    startupMinMs: Math.min(...times),
    startupMaxMs: Math.max(...times),
    startupRssMb: median(rss),
    nodeFloorMs: median(floors),
    startupOverFloorMs: median(over),
  };
}

/** A `node` that listens and writes one byte to each connection; polled like the broker. */
const BARE_LISTENER = "require('node:net').createServer((s) => s.end('x')).listen(+process.argv[1], '127.0.0.1')";

async function bareNodeOnce(): Promise<number> {
  const port = await freePort();
  const spawnedNs = process.hrtime.bigint();
  const child = spawn(process.execPath, ['-e', BARE_LISTENER, String(port)], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    for (;;) {
      if (elapsedMs(spawnedNs) > START_TIMEOUT_MS) throw new Error(`bare node did not listen within ${START_TIMEOUT_MS} ms`);
      const answered = await new Promise<boolean>((resolve) => {
        const socket = connect(port, '127.0.0.1');
        socket.once('data', () => {
          socket.destroy();
          resolve(true);
        });
        socket.once('error', () => resolve(false));
        socket.once('close', () => resolve(false));
      });
      if (answered) return elapsedMs(spawnedNs);
      await sleep(RETRY_MS);
    }
  } finally {
    child.kill('SIGKILL');
    await exited;
  }
}

async function startOnce(launch: BrokerLaunch): Promise<{ ms: number; rssMb: number }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'warren-bench-startup-'));
  const port = await freePort();
  const args = [...launch.execArgv, launch.entry, 'server', '--port', String(port), '--management-port', '0', '--prometheus-port', '0', '--host', '127.0.0.1', '--data-dir', dataDir];
  const spawnedNs = process.hrtime.bigint();
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  /** cuts the wait before the next attempt short */
  let kick: (() => void) | null = null;
  child.stderr.setEncoding('utf8').on('data', (text: string) => {
    stderr = (stderr + text).slice(-2000);
    kick?.();
  });
  const pause = (): Promise<void> =>
    new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        kick = null;
        resolve();
      };
      const timer = setTimeout(done, RETRY_MS);
      kick = done;
    });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    const url = `amqp://guest:guest@127.0.0.1:${port}`;
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`the broker exited (${child.signalCode ?? child.exitCode}) before accepting a connection: ${stderr.trim()}`);
      }
      if (elapsedMs(spawnedNs) > START_TIMEOUT_MS) throw new Error(`no AMQP connection within ${START_TIMEOUT_MS} ms: ${stderr.trim()}`);
      let conn: RawConnection;
      try {
        // bounded: a broker that accepted the TCP connection but never answers must not hang the bench
        conn = await withTimeout(RawConnection.open(url, { channels: 0 }), Math.max(START_TIMEOUT_MS - elapsedMs(spawnedNs), 1), 'handshake');
      } catch {
        await pause(); // not listening yet (connection refused), or not ready for the handshake
        continue;
      }
      const ms = elapsedMs(spawnedNs);
      const rssMb = rssBytes(child.pid!) / 2 ** 20;
      await conn.close();
      return { ms, rssMb };
    }
  } finally {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** A port nothing listens on now: the kernel's choice for a listener that is closed again at once. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error('no free port'))));
    });
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
