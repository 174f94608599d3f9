// Small helpers for integration tests that watch AMQP channels and connections close
// (with amqplib and @cloudamqp/amqp-client), and for awaiting deliveries without sleeps.
import assert from 'node:assert/strict';
import amqp from 'amqplib';
import type { Channel, ChannelModel, ConfirmChannel } from 'amqplib';
import { uniqueName } from './broker.js';

/** What a channel.close or connection.close from the server said. */
export interface AmqpClose {
  code: number;
  /** reply-text, e.g. "NOT_FOUND - no queue 'q' in vhost '/'" */
  text: string;
  /** class-id / method-id of the offending method, when the client exposes them */
  classId?: number;
  methodId?: number;
}

export interface ExpectedClose {
  code: number;
  /** the exact reply-text, or a pattern it must match */
  text?: string | RegExp;
}

/** Reads the code and reply-text out of an amqplib error (channel or connection close). */
export function amqplibClose(err: unknown): AmqpClose {
  const e = err as { code?: unknown; message?: unknown; classId?: unknown; methodId?: unknown };
  const message = String(e?.message ?? '');
  const m = /with message "([\s\S]*)"$/.exec(message);
  if (typeof e?.code !== 'number' || !m) {
    throw new Error(`not an AMQP close error: ${message}`);
  }
  const info: AmqpClose = { code: e.code, text: m[1]! };
  if (typeof e.classId === 'number') info.classId = e.classId;
  if (typeof e.methodId === 'number') info.methodId = e.methodId;
  return info;
}

/**
 * Reads an @cloudamqp/amqp-client error: "channel 1 closed: TEXT (CODE)" or "connection closed: TEXT (CODE)".
 * level tells which kind of close it was.
 */
export function amqpClientClose(err: unknown): AmqpClose & { level: 'channel' | 'connection' } {
  const message = String((err as { message?: unknown })?.message ?? '');
  const m = /(channel \d+|connection) closed: ([\s\S]*) \((\d+)\)$/.exec(message);
  if (!m) throw new Error(`not an AMQP close error: ${message}`);
  return {
    level: m[1]!.startsWith('channel') ? 'channel' : 'connection',
    text: m[2]!,
    code: Number(m[3]),
  };
}

export function assertClose(actual: AmqpClose, expected: ExpectedClose): void {
  assert.equal(actual.code, expected.code, `reply code (text: ${actual.text})`);
  if (expected.text instanceof RegExp) assert.match(actual.text, expected.text);
  else if (expected.text !== undefined) assert.equal(actual.text, expected.text);
}

/** An amqplib connection whose 'error' events are swallowed (tests observe 'close' instead). */
export async function connect(url: string): Promise<ChannelModel> {
  const conn = await amqp.connect(url);
  conn.on('error', () => {});
  return conn;
}

export async function openChannel(conn: ChannelModel): Promise<Channel> {
  const ch = await conn.createChannel();
  ch.on('error', () => {});
  return ch;
}

export async function openConfirmChannel(conn: ChannelModel): Promise<ConfirmChannel> {
  const ch = await conn.createConfirmChannel();
  ch.on('error', () => {});
  return ch;
}

/** Closes a connection, ignoring that it may already be closed. */
export async function closeQuietly(conn: { close(): Promise<void> } | undefined): Promise<void> {
  if (!conn) return;
  try {
    await conn.close();
  } catch {
    // already closed
  }
}

/**
 * Resolves when the server closes this channel with channel.close. Rejects if the channel ends
 * without a channel error (e.g. because the whole connection was closed).
 * Call it before triggering the error.
 */
export function channelClosed(ch: Channel): Promise<AmqpClose> {
  return new Promise((resolve, reject) => {
    let error: unknown;
    ch.on('error', (err: unknown) => {
      error = err;
    });
    ch.once('close', () => {
      if (error === undefined) reject(new Error('channel closed without a channel error'));
      else resolve(amqplibClose(error));
    });
  });
}

/** Resolves when the server closes this connection with connection.close. Call it before triggering the error. */
export function connectionClosed(conn: ChannelModel): Promise<AmqpClose> {
  return new Promise((resolve, reject) => {
    conn.once('close', (err?: Error) => {
      if (err === undefined) reject(new Error('connection closed without an error'));
      else {
        try {
          resolve(amqplibClose(err));
        } catch (e) {
          reject(e);
        }
      }
    });
  });
}

/**
 * Runs action, expects the server to close ch with a channel error (not a connection error),
 * and checks the connection still works afterwards. Returns the close.
 */
export async function expectChannelError(
  conn: ChannelModel,
  ch: Channel,
  action: () => unknown,
  expected: ExpectedClose,
): Promise<AmqpClose> {
  let connectionError: unknown;
  const onConnClose = (err?: Error) => {
    connectionError = err ?? new Error('connection closed');
  };
  conn.on('close', onConnClose);
  const closed = channelClosed(ch);
  try {
    await action();
  } catch {
    // the action's own rejection (e.g. an RPC answered by channel.close) is expected
  }
  const info = await closed;
  assertClose(info, expected);
  // the connection survives a channel error: a fresh channel still does a round trip
  const probe = await conn.createChannel();
  await probe.checkExchange('amq.direct');
  await probe.close();
  conn.off('close', onConnClose);
  assert.equal(connectionError, undefined, 'the connection must stay open after a channel error');
  return info;
}

/** Runs action and expects the server to close the whole connection with the given code. */
export async function expectConnectionError(
  conn: ChannelModel,
  action: () => unknown,
  expected: ExpectedClose,
): Promise<AmqpClose> {
  const closed = connectionClosed(conn);
  try {
    await action();
  } catch {
    // rejected because the connection went away
  }
  const info = await closed;
  assertClose(info, expected);
  return info;
}

export interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(err: unknown): void;
}

export function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** An unbounded queue of things pushed from callbacks (deliveries, acks) that tests await in order. */
export class AsyncQueue<T> {
  private readonly buffered: T[] = [];
  private readonly waiters: Array<(item: T) => void> = [];
  /** everything ever pushed, in order */
  readonly all: T[] = [];

  push = (item: T): void => {
    this.all.push(item);
    const waiter = this.waiters.shift();
    if (waiter) waiter(item);
    else this.buffered.push(item);
  };

  /** the next item not yet taken */
  next(): Promise<T> {
    if (this.buffered.length > 0) return Promise.resolve(this.buffered.shift() as T);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  async take(n: number): Promise<T[]> {
    const out: T[] = [];
    for (let i = 0; i < n; i++) out.push(await this.next());
    return out;
  }

  /** items pushed but not yet taken */
  get pending(): number {
    return this.buffered.length;
  }
}

export const sleep = (ms: number): Promise<void> => new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, ms)));

/** p, or a rejection "no <what> within <ms> ms" if it takes longer. */
export async function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no ${what} within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** An exclusive queue with a fresh name (gone when its connection closes). */
export async function exclusiveQueue(ch: Channel, prefix: string, args: Record<string, unknown> = {}): Promise<string> {
  const name = uniqueName(prefix);
  await ch.assertQueue(name, { exclusive: true, arguments: args });
  return name;
}
