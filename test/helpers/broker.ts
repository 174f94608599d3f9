// Gives an integration test a broker to talk to.
// WARREN_TEST_URL set (e.g. amqp://guest:guest@127.0.0.1:5673 for the reference RabbitMQ): that broker.
// Unset: a fresh embedded Warren on an ephemeral port, closed by close().
import { randomBytes } from 'node:crypto';

export interface TestBroker {
  url: string;
  /** true when the broker runs in this process and the test may stop and restart it */
  embedded: boolean;
  close(): Promise<void>;
  /** embedded only: stop the broker (clients see connection.close 320) and start a new one on the same port */
  restart?(): Promise<void>;
  /** embedded only: stop without restarting */
  stop?(): Promise<void>;
  /** embedded only: start again on the same port after stop() */
  start?(): Promise<void>;
}

export async function testBroker(): Promise<TestBroker> {
  const external = process.env.WARREN_TEST_URL;
  if (external) {
    return { url: external, embedded: false, close: async () => {} };
  }
  const { startBroker } = await import('../../src/index.js');
  let broker = await startBroker({ port: 0, host: '127.0.0.1' });
  const port = broker.port;
  const tb: TestBroker = {
    get url() {
      return broker.url;
    },
    embedded: true,
    close: async () => {
      await broker.close();
    },
    stop: async () => {
      await broker.close();
    },
    start: async () => {
      broker = await startBroker({ port, host: '127.0.0.1' });
    },
    restart: async () => {
      await broker.close();
      broker = await startBroker({ port, host: '127.0.0.1' });
    },
  };
  return tb;
}

/** A name no other test run uses, so suites can share one external broker. */
export function uniqueName(prefix: string): string {
  return `${prefix}.${process.pid}.${randomBytes(4).toString('hex')}`;
}

/**
 * For a test of a RabbitMQ feature that a later issue brings to Warren: against the embedded Warren the
 * test is reported as todo (it runs, and its failure does not fail the suite); against an external
 * broker it is an ordinary test.
 */
export function warrenLacks(feature: string): string | false {
  return process.env.WARREN_TEST_URL ? false : `Warren does not implement ${feature} yet`;
}
