// Declares a scenario's exchanges, queues and bindings before the load starts, and deletes them
// after, so runs leave nothing behind on a shared broker. Off the hot path, so amqplib is used.
import amqp from 'amqplib';
import type { Topology } from './scenario-types.js';

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
