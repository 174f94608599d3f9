// Declares a scenario's exchanges, queues and bindings before the load starts, and deletes them
// after, so runs leave nothing behind on a shared broker; reads queue depths by passive declare.
// Off the hot path, so amqplib is used.
import amqp from 'amqplib';
import type { Topology } from './scenario-types.js';

/** Fine enough to time a recovery that takes tens of milliseconds. */
const DEPTH_POLL_MS = 10;

export async function declareTopology(url: string, topology: Topology): Promise<void> {
  await withChannel(url, async (ch) => {
    for (const ex of topology.exchanges) await ch.assertExchange(ex.name, ex.type, { durable: ex.durable, autoDelete: false });
    for (const q of topology.queues) await ch.assertQueue(q.name, { durable: q.durable, autoDelete: false });
    for (const b of topology.bindings) await ch.bindQueue(b.queue, b.exchange, b.routingKey);
  });
}

export async function deleteTopology(url: string, topology: Topology): Promise<void> {
  await withChannel(url, async (ch) => {
    for (const q of topology.queues) await ch.deleteQueue(q.name);
    for (const ex of topology.exchanges) await ch.deleteExchange(ex.name);
  });
}

/** Messages ready in each queue, by passive queue.declare. */
export async function queueDepths(url: string, queues: readonly string[]): Promise<number[]> {
  const depths: number[] = [];
  await withChannel(url, async (ch) => {
    for (const q of queues) depths.push((await ch.checkQueue(q)).messageCount);
  });
  return depths;
}

/**
 * Polls a queue by passive declare until it holds `count` messages (a broker may still be recovering
 * it: a 404 or a smaller count means "not yet"); resolves with the monotonic time it was first seen.
 */
export async function waitForDepth(url: string, queue: string, count: number, timeoutMs: number): Promise<bigint> {
  const deadline = Date.now() + timeoutMs;
  const conn = await amqp.connect(url);
  let seen = -1;
  try {
    let ch = await conn.createChannel();
    for (;;) {
      try {
        seen = (await ch.checkQueue(queue)).messageCount;
        if (seen >= count) return process.hrtime.bigint();
      } catch {
        ch = await conn.createChannel(); // the 404 closed the channel
      }
      if (Date.now() > deadline) throw new Error(`queue ${queue} held ${seen} of ${count} messages after ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, DEPTH_POLL_MS));
    }
  } finally {
    await conn.close().catch(() => {});
  }
}

/** "RabbitMQ 3.10.8", from the broker's connection.start properties; the url when it names none. */
export async function describeBroker(url: string): Promise<string> {
  const conn = await amqp.connect(url);
  try {
    const props = conn.connection.serverProperties;
    return props.product ? `${props.product} ${props.version ?? ''}`.trim() : new URL(url).host;
  } finally {
    await conn.close();
  }
}

async function withChannel(url: string, use: (ch: amqp.Channel) => Promise<void>): Promise<void> {
  const conn = await amqp.connect(url);
  try {
    await use(await conn.createChannel());
  } finally {
    await conn.close().catch(() => {});
  }
}
