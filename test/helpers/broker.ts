// Gives an integration test a broker to talk to.
// WARREN_TEST_URL set (e.g. amqp://guest:guest@127.0.0.1:5673 for the reference RabbitMQ): that broker.
// Unset: a fresh embedded Warren on an ephemeral port, closed by close().
// Policies are set and cleared through RabbitMQ's management HTTP API on an external broker
// (WARREN_TEST_MGMT_URL, default http://guest:guest@127.0.0.1:15673) and directly on the embedded one.
import { randomBytes } from 'node:crypto';

/** A policy as the management API takes it (PUT /api/policies/{vhost}/{name}). */
export interface PolicyBody {
  pattern: string;
  definition: Record<string, unknown>;
  priority?: number;
  'apply-to'?: string;
}

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
  /**
   * Adds or replaces a policy in vhost '/'. Rejects if the broker refuses it.
   * When it resolves, the broker has applied it to the exchanges it matches, and each matching queue has
   * been told; RabbitMQ's queue processes take the change in turn, so a test observes a queue through
   * something the queue handles after it (basic.get, a publish confirm), not through a passive declare
   * alone, which a busy queue may answer first. (A queue's "policy" field in GET /api/queues lags by up
   * to the statistics interval, 5 s, so it is no barrier either.)
   */
  setPolicy(name: string, body: PolicyBody): Promise<void>;
  /** Removes a policy from vhost '/'; removing one that does not exist is not an error (for finally blocks). */
  clearPolicy(name: string): Promise<void>;
}

/**
 * The management API of the external broker: its base URL without credentials (fetch refuses URLs with
 * them) and the Basic authorization made from the credentials the URL carries.
 */
function managementApi(): { base: string; headers: Record<string, string> } {
  const url = new URL(process.env.WARREN_TEST_MGMT_URL || 'http://guest:guest@127.0.0.1:15673');
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (url.username || url.password) {
    const credentials = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
    headers.authorization = `Basic ${Buffer.from(credentials).toString('base64')}`;
  }
  url.username = '';
  url.password = '';
  return { base: url.href.replace(/\/+$/, ''), headers };
}

async function managementRequest(method: 'PUT' | 'DELETE', path: string, body: unknown, okStatuses: number[]): Promise<void> {
  const { base, headers } = managementApi();
  const res = await fetch(`${base}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!okStatuses.includes(res.status)) {
    throw new Error(`${method} ${path}: HTTP ${res.status} ${text}`);
  }
}

const policyPath = (name: string) => `/api/policies/%2F/${encodeURIComponent(name)}`;

export async function testBroker(): Promise<TestBroker> {
  const external = process.env.WARREN_TEST_URL;
  if (external) {
    return {
      url: external,
      embedded: false,
      close: async () => {},
      // 201 created, 204 replaced
      setPolicy: (name, body) => managementRequest('PUT', policyPath(name), body, [201, 204]),
      // 204 deleted, 404 there was none
      clearPolicy: (name) => managementRequest('DELETE', policyPath(name), undefined, [204, 404]),
    };
  }
  const { startBroker, parsePolicy } = await import('../../src/index.js');
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
    setPolicy: async (name, body) => {
      broker.broker.vhosts.get('/')!.setPolicy(parsePolicy('/', name, body));
    },
    clearPolicy: async (name) => {
      broker.broker.vhosts.get('/')!.clearPolicy(name);
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
