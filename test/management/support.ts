// Helpers shared by the management API tests: requests that keep status, headers and body together,
// polling (RabbitMQ's statistics lag by up to its 5 s collection interval), unique names, and a cleanup
// stack so tests sharing one external broker leave nothing behind.
import assert from 'node:assert/strict';
import amqp, { type ChannelModel } from 'amqplib';
import type { ManagementTarget } from '../helpers/management.js';
import { uniqueName } from '../helpers/broker.js';

/** What came back from one request. body is the parsed JSON when the response is JSON, else undefined. */
export interface Reply {
  status: number;
  headers: Headers;
  text: string;
  // Responses are checked with assertShape and assert; tests index into them freely.
  body: any;
}

async function toReply(res: Response): Promise<Reply> {
  const text = await res.text();
  let body: unknown;
  if (text.length > 0) {
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
  }
  return { status: res.status, headers: res.headers, text, body };
}

/** A request as guest (or user), with a JSON body when body is given (a string is sent as it is). */
export async function call(
  t: ManagementTarget,
  method: string,
  path: string,
  body?: unknown,
  user?: [string, string],
): Promise<Reply> {
  return toReply(await t.request(method, path, body, user));
}

/** A request with full control of the headers (none are added: no authorization unless given). */
export async function rawCall(
  t: ManagementTarget,
  method: string,
  path: string,
  init: { headers?: Record<string, string>; body?: string } = {},
): Promise<Reply> {
  return toReply(await fetch(`${t.base}${path}`, { method, headers: init.headers ?? {}, body: init.body, redirect: 'manual' }));
}

/** Asserts the status, showing the body when it differs. */
export function expectStatus(reply: Reply, status: number, what = ''): void {
  assert.equal(reply.status, status, `${what ? `${what}: ` : ''}HTTP ${reply.status} ${reply.text.slice(0, 500)}`);
}

/** call() that must answer status (200 by default); returns the parsed body. */
export async function ok(t: ManagementTarget, method: string, path: string, body?: unknown, status = 200): Promise<any> {
  const reply = await call(t, method, path, body);
  expectStatus(reply, status, `${method} ${path}`);
  return reply.body;
}

/** GET that must answer 200; returns the parsed body. */
export function get(t: ManagementTarget, path: string): Promise<any> {
  return ok(t, 'GET', path);
}

/** The body RabbitMQ sends for a missing object or an unknown path. */
export const NOT_FOUND = { error: 'Object Not Found', reason: 'Not Found' } as const;

/** The usual 400 body. */
export function badRequest(reason: unknown): { error: string; reason: unknown } {
  return { error: 'bad_request', reason };
}

/** Asserts a JSON error reply: status, application/json, and exactly this body. */
export function expectError(reply: Reply, status: number, body: unknown, what = ''): void {
  expectStatus(reply, status, what);
  assert.match(reply.headers.get('content-type') ?? '', /^application\/json/, `${what} content-type`);
  assert.deepEqual(reply.body, body, what);
}

/** Path segment for a name (vhost '/', queue names with dots, connection names with spaces and '>'). */
export const seg = (name: string): string => encodeURIComponent(name);

/** "/" as a path segment. */
export const ROOT = '%2F';

/** A name no other run uses: mgmt.<area>.<pid>.<random>. */
export function uniq(area: string): string {
  return uniqueName(`mgmt.${area}`);
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Calls fetch until accept(value) holds, and returns that value; fails after timeoutMs with the last value
 * seen. For RabbitMQ's statistics, which lag by up to the collection interval (5 s).
 */
export async function poll<T>(
  fetchValue: () => Promise<T>,
  accept: (value: T) => boolean,
  what: string,
  timeoutMs = 20_000,
  intervalMs = 250,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  for (;;) {
    last = await fetchValue();
    if (accept(last)) return last;
    if (Date.now() > deadline) {
      let shown: string;
      try {
        shown = JSON.stringify(last)?.slice(0, 1500) ?? String(last);
      } catch {
        shown = String(last);
      }
      assert.fail(`${what}: not seen within ${timeoutMs} ms; last value: ${shown}`);
    }
    await sleep(intervalMs);
  }
}

/** Deletions to run after a test or suite, last registered first; their failures are ignored. */
export class Cleanup {
  private readonly steps: (() => Promise<unknown>)[] = [];
  add(step: () => Promise<unknown>): void {
    this.steps.push(step);
  }
  /** Registers a DELETE of path (as guest). */
  delete(t: ManagementTarget, path: string): void {
    this.add(() => t.request('DELETE', path).then((r) => r.arrayBuffer()));
  }
  async run(): Promise<void> {
    while (this.steps.length > 0) {
      const step = this.steps.pop()!;
      try {
        await step();
      } catch {
        // best effort
      }
    }
  }
}

/** The AMQP port of the target. */
export function amqpPort(t: ManagementTarget): number {
  const url = new URL(t.amqpUrl);
  return url.port ? Number(url.port) : 5672;
}

/** The management HTTP port of the target. */
export function httpPort(t: ManagementTarget): number {
  const url = new URL(t.base);
  return url.port ? Number(url.port) : 80;
}

/** An amqplib connection (errors swallowed) announcing connection_name as its client-provided name. */
export async function amqpConnect(t: ManagementTarget, connectionName?: string, url = t.amqpUrl): Promise<ChannelModel> {
  const conn = await amqp.connect(url, connectionName ? { clientProperties: { connection_name: connectionName } } : {});
  conn.on('error', () => {});
  return conn;
}

/** The local (client-side) TCP port of an amqplib connection: the broker's peer_port for it. */
export function localPort(conn: ChannelModel): number {
  const stream = (conn as unknown as { connection: { stream: { localPort?: number } } }).connection.stream;
  assert.ok(stream.localPort, 'amqplib connection has no local port');
  return stream.localPort;
}

/** Closes an amqplib connection, ignoring that it may be closed already. */
export async function closeQuietly(conn: { close(): Promise<void> } | undefined): Promise<void> {
  if (!conn) return;
  try {
    await conn.close();
  } catch {
    // already closed
  }
}

/**
 * Creates a user (PUT /api/users/{name}) with a password and tags, optionally with full permissions on
 * vhost '/', and registers its deletion.
 */
export async function createUser(
  t: ManagementTarget,
  cleanup: Cleanup,
  name: string,
  tags: string,
  opts: { password?: string; permitRoot?: boolean } = {},
): Promise<[string, string]> {
  const password = opts.password ?? `pw-${name}`;
  await ok(t, 'PUT', `/api/users/${seg(name)}`, { password, tags }, 201);
  cleanup.delete(t, `/api/users/${seg(name)}`);
  if (opts.permitRoot) {
    await ok(t, 'PUT', `/api/permissions/${ROOT}/${seg(name)}`, { configure: '.*', write: '.*', read: '.*' }, 201);
  }
  return [name, password];
}
