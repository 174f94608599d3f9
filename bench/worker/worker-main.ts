// Entry point of a producer or consumer process, forked by the parent (see worker-handle.ts).
// init → connect everything → 'ready'; start → run, snapshot at the window's edges → 'report'; stop → close, exit.
import { clientFor } from '../clients/index.js';
import type { Consumer, Publisher } from '../clients/client.js';
import { ConsumerLoop } from './consumer-loop.js';
import type { FromWorker, ToWorker, WorkerInit, WorkerStart } from './messages.js';
import { ProducerLoop } from './producer-loop.js';
import { Tally, WindowMeasurement } from './tally.js';

const tally = new Tally();
const producers: ProducerLoop[] = [];
const connections: Array<Publisher | Consumer> = [];
let role: WorkerInit['role'] = 'producer';

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
    for (let i = 0; i < work.connections; i++) {
      const loop = new ProducerLoop(work, tally);
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
  } else {
    const { work } = msg;
    for (const queue of work.queues) {
      const loop = new ConsumerLoop(work.manualAck, tally);
      const consumer = await client.openConsumer(msg.url, {
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
  send({ type: 'ready' });
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

async function stop(): Promise<void> {
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
  else stop().catch(failAndExit);
});
// The parent went away (crashed or was interrupted): nothing will ever stop this process otherwise.
process.on('disconnect', () => process.exit(0));
