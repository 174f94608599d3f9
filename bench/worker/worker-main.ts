// Entry point of a producer, consumer or idle-connection process, forked by the parent (see worker-handle.ts).
// init → connect everything (idle connections: nothing yet) → 'ready'; then either
//   timed mode:   start → run, snapshot at the window's edges → 'report'
//   counted mode: run → work (idle: open the connections), sending 'progress' → finish → 'report'
// and stop → close, exit.
import { clientFor } from '../clients/index.js';
import type { Client } from '../clients/client.js';
import { splitCount } from '../shares.js';
import { ConsumerLoop } from './consumer-loop.js';
import type { ConsumerWork, FromWorker, IdleWork, ToWorker, WorkerInit, WorkerStart } from './messages.js';
import { ProducerLoop } from './producer-loop.js';
import { Tally, WindowMeasurement } from './tally.js';

/** Often enough that the parent notices the end of counted work promptly; the end time itself is exact. */
const PROGRESS_INTERVAL_MS = 100;

const tally = new Tally();
const producers: ProducerLoop[] = [];
const connections: Array<{ close(): Promise<void> }> = [];
let role: WorkerInit['role'] = 'producer';
let confirming = false;
/** consumers that connect on 'run' */
let deferredConsumers: { client: Client; url: string; work: ConsumerWork } | null = null;
/** idle connections, opened on 'run' */
let idleConnections: { client: Client; url: string; work: IdleWork } | null = null;
let countedWindow: WindowMeasurement | null = null;
let progressTimer: NodeJS.Timeout | null = null;

function send(message: FromWorker): void {
  process.send!(message);
}

function failAndExit(err: unknown): void {
  const message = err instanceof Error ? err.message : String(err);
  process.send!({ type: 'failed', message } satisfies FromWorker, () => process.exit(1));
}

async function init(msg: WorkerInit): Promise<void> {
  role = msg.role;
  const client = clientFor(msg.client);
  if (msg.role === 'producer') {
    const { work } = msg;
    confirming = work.confirmWindow !== undefined;
    const limits = work.messageLimit === undefined ? null : splitCount(work.messageLimit, work.connections);
    for (let i = 0; i < work.connections; i++) {
      const loop = new ProducerLoop(work, tally, limits?.[i], work.routingKeysPerConnection?.[i]);
      const publisher = await client.openPublisher(msg.url, {
        exchange: work.exchange,
        persistent: work.persistent,
        ...(work.confirmWindow ? { confirmWindow: work.confirmWindow } : {}),
        onSettled: loop.onSettled,
        onFailure: failAndExit,
      });
      loop.attach(publisher);
      producers.push(loop);
      connections.push(publisher);
    }
  } else if (msg.role === 'idle') {
    idleConnections = { client, url: msg.url, work: msg.work };
  } else if (msg.work.connectOnRun) {
    deferredConsumers = { client, url: msg.url, work: msg.work };
  } else {
    await openConsumers(client, msg.url, msg.work);
  }
  send({ type: 'ready' });
}

async function openConsumers(client: Client, url: string, work: ConsumerWork): Promise<void> {
  for (const queue of work.queues) {
    const loop = new ConsumerLoop(work.manualAck, tally);
    const consumer = await client.openConsumer(url, {
      queue,
      prefetch: work.prefetch,
      manualAck: work.manualAck,
      onMessage: loop.onMessage,
      onFailure: failAndExit,
    });
    loop.attach(consumer);
    connections.push(consumer);
  }
}

function start(msg: WorkerStart): void {
  for (const loop of producers) loop.start();
  let window: WindowMeasurement | null = null;
  const now = process.hrtime.bigint();
  setTimeout(() => (window = new WindowMeasurement(tally)), nsToMs(msg.measureFromNs - now));
  setTimeout(() => {
    const report = window!.finish(role === 'consumer');
    for (const loop of producers) loop.stop();
    send({ type: 'report', report });
  }, nsToMs(msg.measureUntilNs - now));
}

async function runCounted(): Promise<void> {
  countedWindow = new WindowMeasurement(tally);
  progressTimer = setInterval(sendProgress, PROGRESS_INTERVAL_MS);
  if (deferredConsumers) await openConsumers(deferredConsumers.client, deferredConsumers.url, deferredConsumers.work);
  if (idleConnections) await openIdle(idleConnections.client, idleConnections.url, idleConnections.work);
  for (const loop of producers) loop.start();
}

/** Opens the connections with at most `concurrency` handshakes in flight; they then stay silent. */
async function openIdle(client: Client, url: string, work: IdleWork): Promise<void> {
  let next = 0;
  const opener = async (): Promise<void> => {
    while (next < work.connections) {
      next++;
      connections.push(await client.openIdleConnection(url, failAndExit));
      tally.opened++;
      tally.lastOpenNs = process.hrtime.bigint();
    }
  };
  await Promise.all(Array.from({ length: Math.min(work.concurrency, work.connections) }, opener));
}

function sendProgress(): void {
  if (role === 'idle') send({ type: 'progress', done: tally.opened, lastDoneNs: tally.lastOpenNs });
  else if (role === 'consumer') send({ type: 'progress', done: tally.consumed, lastDoneNs: tally.lastConsumeNs });
  else if (confirming) send({ type: 'progress', done: tally.confirmed + tally.nacked, lastDoneNs: tally.lastConfirmNs });
  else send({ type: 'progress', done: tally.published, lastDoneNs: tally.lastPublishNs });
}

function finishCounted(): void {
  if (progressTimer) clearInterval(progressTimer);
  for (const loop of producers) loop.stop();
  sendProgress(); // the final count, so the parent's total is exact
  send({ type: 'report', report: countedWindow!.finish(false) });
}

async function stop(): Promise<void> {
  if (progressTimer) clearInterval(progressTimer);
  for (const loop of producers) loop.stop();
  await Promise.all(connections.map((c) => c.close().catch(() => {})));
  process.exit(0);
}

function nsToMs(ns: bigint): number {
  return Math.max(0, Number(ns / 1_000_000n));
}

process.on('message', (msg: ToWorker) => {
  if (msg.type === 'init') init(msg).catch(failAndExit);
  else if (msg.type === 'start') start(msg);
  else if (msg.type === 'run') runCounted().catch(failAndExit);
  else if (msg.type === 'finish') finishCounted();
  else stop().catch(failAndExit);
});
// The parent went away (crashed or was interrupted): nothing will ever stop this process otherwise.
process.on('disconnect', () => process.exit(0));
