// The reference client: amqplib, one connection and one channel per publisher or consumer.
// Confirm callbacks are one shared function, so a confirm window costs no closure or promise per message.
import amqp from 'amqplib';
import type { Client, Consumer, ConsumerOptions, IdleConnection, Publisher, PublisherOptions } from './client.js';

/** amqplib leaves Nagle's algorithm on by default, which adds tens of milliseconds to latency at low rates. */
const SOCKET_OPTIONS = { noDelay: true };

async function openPublisher(url: string, options: PublisherOptions): Promise<Publisher> {
  const conn = await amqp.connect(url, SOCKET_OPTIONS);
  conn.on('error', options.onFailure);
  const publishOptions = { persistent: options.persistent };
  if (options.confirmWindow) {
    const channel = await conn.createConfirmChannel();
    channel.on('error', options.onFailure);
    const onConfirm = (err: unknown): void => {
      if (err) options.onSettled(0, 1);
      else options.onSettled(1, 0);
    };
    return {
      publish: (routingKey, body) => channel.publish(options.exchange, routingKey, body, publishOptions, onConfirm),
      waitForDrain: () => new Promise((resolve) => channel.once('drain', resolve)),
      close: () => closeQuietly(conn),
    };
  }
  const channel = await conn.createChannel();
  channel.on('error', options.onFailure);
  return {
    publish: (routingKey, body) => channel.publish(options.exchange, routingKey, body, publishOptions),
    waitForDrain: () => new Promise((resolve) => channel.once('drain', resolve)),
    close: () => closeQuietly(conn),
  };
}

async function openConsumer(url: string, options: ConsumerOptions): Promise<Consumer> {
  const conn = await amqp.connect(url, SOCKET_OPTIONS);
  conn.on('error', options.onFailure);
  const channel = await conn.createChannel();
  channel.on('error', options.onFailure);
  await channel.prefetch(options.prefetch);
  await channel.consume(
    options.queue,
    (msg) => {
      if (msg) options.onMessage(msg.content, msg.fields.deliveryTag);
    },
    { noAck: !options.manualAck },
  );
  return {
    // amqplib's ack reads only message.fields.deliveryTag, so the message itself need not be kept.
    ack: (deliveryTag) => channel.ack({ fields: { deliveryTag } } as amqp.Message),
    close: () => closeQuietly(conn),
  };
}

async function openIdleConnection(url: string, onFailure: (err: Error) => void): Promise<IdleConnection> {
  const conn = await amqp.connect(url, SOCKET_OPTIONS);
  conn.on('error', onFailure);
  const channel = await conn.createChannel();
  channel.on('error', onFailure);
  return { close: () => closeQuietly(conn) };
}

/** Closing while publishes or deliveries are in flight may reject; the run is over, so that is ignored. */
async function closeQuietly(conn: amqp.ChannelModel): Promise<void> {
  try {
    await conn.close();
  } catch {
    // already closed
  }
}

export const amqplibClient: Client = { openPublisher, openConsumer, openIdleConnection };
