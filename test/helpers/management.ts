// Gives a test a broker with a management HTTP API (RabbitMQ-compatible, /api/...).
// WARREN_TEST_MGMT_URL set (e.g. http://guest:guest@127.0.0.1:15673 for the reference RabbitMQ): that
// API, with WARREN_TEST_URL as its AMQP URL. Unset: an embedded Warren with its management listener
// on an ephemeral port, closed by close().

export interface ManagementTarget {
  /** Base URL of the management listener, without credentials and without a trailing slash. */
  base: string;
  /** AMQP URL of the same broker (guest/guest). */
  amqpUrl: string;
  /** true when the broker runs in this process */
  embedded: boolean;
  /** Basic authorization header value for user:password. */
  auth(user?: string, password?: string): string;
  /** fetch() on base + path as guest (or the given user); JSON bodies are serialised. */
  request(method: string, path: string, body?: unknown, user?: [string, string]): Promise<Response>;
  close(): Promise<void>;
}

function basic(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

export async function managementTarget(): Promise<ManagementTarget> {
  const external = process.env.WARREN_TEST_MGMT_URL;
  let base: string;
  let amqpUrl: string;
  let close = async (): Promise<void> => {};
  let embedded = false;
  if (external) {
    const url = new URL(external);
    url.username = '';
    url.password = '';
    base = url.href.replace(/\/+$/, '');
    amqpUrl = process.env.WARREN_TEST_URL || 'amqp://guest:guest@127.0.0.1:5673';
  } else {
    const { startBroker } = await import('../../src/index.js');
    // Rates sampled every second (RabbitMQ: 5 s), so tests waiting for statistics wait less.
    const broker = await startBroker({ port: 0, host: '127.0.0.1', management: { port: 0, host: '127.0.0.1' }, statsIntervalSeconds: 1 });
    base = broker.managementUrl!;
    amqpUrl = broker.url;
    close = () => broker.close();
    embedded = true;
  }
  return {
    base,
    amqpUrl,
    embedded,
    auth: (user = 'guest', password = 'guest') => basic(user, password),
    request: (method, path, body, user = ['guest', 'guest']) =>
      fetch(`${base}${path}`, {
        method,
        headers: {
          authorization: basic(user[0], user[1]),
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      }),
    close,
  };
}
