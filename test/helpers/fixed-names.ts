// Support for tests that must use fixed queue and exchange names (the guide's examples), which is at odds
// with running them against one shared external broker: two runs (or two test files run in parallel)
// would trample each other's queues. Such tests take a lock for their names, and clear the names
// before and after each test.
import { after, afterEach, before, beforeEach } from 'node:test';
import amqp, { type ChannelModel } from 'amqplib';
import { testBroker, type TestBroker } from './broker.js';

export interface Topology {
  queues?: string[];
  exchanges?: string[];
}

/** Deletes the queues and exchanges if they exist (queue.delete and exchange.delete of a missing name succeed). */
export async function deleteTopology(url: string, t: Topology): Promise<void> {
  const conn = await amqp.connect(url);
  try {
    const ch = await conn.createChannel();
    for (const q of t.queues ?? []) await ch.deleteQueue(q);
    for (const x of t.exchanges ?? []) await ch.deleteExchange(x);
    await ch.close();
  } finally {
    await conn.close();
  }
}

/**
 * Waits until no other holder of `key` is running against the same broker, then returns a release function.
 *
 * Mutual exclusion comes from a single-active-consumer queue: only the active consumer is ever
 * delivered a message, and with prefetch 1 it keeps the one it got unacknowledged until it lets go.
 * Each contender subscribes and publishes one token; whoever receives a token holds the lock. Releasing
 * (or dying) closes the connection, which requeues the held token and hands it to the next consumer,
 * which becomes the active one. x-max-length 1 keeps spare tokens from piling up (only ready messages
 * count), and x-expires removes the queue once nobody has used it for a while.
 *
 * An embedded broker belongs to one test process, so there is nothing to lock there.
 */
export async function lockFixedNames(url: string, key: string, embedded: boolean): Promise<() => Promise<void>> {
  if (embedded) return async () => {};
  const conn = await amqp.connect(url);
  const ch = await conn.createChannel();
  const queue = `warren-test-lock.${key}`;
  await ch.assertQueue(queue, {
    durable: false,
    arguments: { 'x-single-active-consumer': true, 'x-max-length': 1, 'x-expires': 600_000 },
  });
  await ch.prefetch(1);
  const acquired = new Promise<void>((resolve) => {
    void ch.consume(queue, (msg) => {
      if (msg) resolve();
    });
  });
  ch.sendToQueue(queue, Buffer.from('token'));
  await acquired;
  return async () => {
    await conn.close();
  };
}

/**
 * Registers the hooks a suite with fixed names needs: a broker (shared lock when external), the names
 * cleared before and after each test, and the connections a test opened closed after it.
 */
export function useFixedTopology(topology: Topology): { readonly url: string; connect(): Promise<ChannelModel> } {
  let broker: TestBroker;
  let release: () => Promise<void>;
  const opened: ChannelModel[] = [];
  before(async () => {
    broker = await testBroker();
    release = await lockFixedNames(broker.url, 'guide', broker.embedded);
  });
  after(async () => {
    await release();
    await broker.close();
  });
  beforeEach(async () => {
    await deleteTopology(broker.url, topology);
  });
  afterEach(async () => {
    for (const conn of opened.splice(0)) await conn.close().catch(() => {});
    await deleteTopology(broker.url, topology);
  });
  return {
    get url() {
      return broker.url;
    },
    async connect() {
      const conn = await amqp.connect(broker.url);
      opened.push(conn);
      return conn;
    },
  };
}
