// Assertions about AMQP errors as a client sees them (amqplib).
//
// RabbitMQ reports a failure either by closing the channel (channel.close: the connection and its
// other channels stay usable) or by closing the whole connection (connection.close). Which of the
// two it uses is part of the behaviour Warren must copy, so these helpers check the level as well
// as the reply code, the reply text and, for channel errors, the method that failed.
//
// Reply texts are RabbitMQ's: "<CONSTANT_NAME> - <detail>", e.g.
//   NOT_FOUND - no queue 'q' in vhost '/'
// Clients show this text to users, so the "<CONSTANT_NAME> - " prefix is always asserted; the
// detail is asserted with a regex chosen by the test (usually the object's name and the gist).
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { connect, type Channel, type ChannelModel } from 'amqplib';

/** AMQP 0-9-1 reply codes and the constant names RabbitMQ puts at the front of reply texts. */
export const REPLY_CODE_NAMES: Readonly<Record<number, string>> = {
  312: 'NO_ROUTE',
  313: 'NO_CONSUMERS',
  320: 'CONNECTION_FORCED',
  402: 'INVALID_PATH',
  403: 'ACCESS_REFUSED',
  404: 'NOT_FOUND',
  405: 'RESOURCE_LOCKED',
  406: 'PRECONDITION_FAILED',
  501: 'FRAME_ERROR',
  502: 'SYNTAX_ERROR',
  503: 'COMMAND_INVALID',
  504: 'CHANNEL_ERROR',
  505: 'UNEXPECTED_FRAME',
  506: 'RESOURCE_ERROR',
  530: 'NOT_ALLOWED',
  540: 'NOT_IMPLEMENTED',
  541: 'INTERNAL_ERROR',
};

/** class-id / method-id of the methods whose failures the tests look at. */
export const METHOD_IDS = {
  'exchange.declare': [40, 10],
  'exchange.delete': [40, 20],
  'exchange.bind': [40, 30],
  'exchange.unbind': [40, 40],
  'queue.declare': [50, 10],
  'queue.bind': [50, 20],
  'queue.purge': [50, 30],
  'queue.delete': [50, 40],
  'queue.unbind': [50, 50],
  'basic.consume': [60, 20],
  'basic.publish': [60, 40],
  'basic.get': [60, 70],
} as const satisfies Record<string, readonly [number, number]>;

export type MethodName = keyof typeof METHOD_IDS;

export interface AmqpCloseInfo {
  level: 'channel' | 'connection';
  code: number;
  /** the reply-text exactly as the broker sent it */
  text: string;
  /** channel errors only (amqplib does not expose them for connection.close) */
  classId?: number;
  methodId?: number;
}

interface AmqplibError extends Error {
  code?: number;
  classId?: number;
  methodId?: number;
}

/** amqplib renders a close as `... <code> (<NAME>) with message "<reply-text>"`; this recovers the reply-text. */
export function replyTextOf(err: Error): string {
  const m = /with message "([\s\S]*)"$/.exec(err.message);
  assert.ok(m, `cannot find the broker's reply text in error message: ${err.message}`);
  return m[1]!;
}

function assertReply(level: string, err: AmqplibError, code: number, text: RegExp): string {
  const replyText = replyTextOf(err);
  assert.equal(err.code, code, `${level} error code: expected ${code}, got ${err.code} (${replyText})`);
  const name = REPLY_CODE_NAMES[code];
  assert.ok(name, `unknown reply code ${code}`);
  assert.ok(
    replyText.startsWith(`${name} - `),
    `${level} error text should start with "${name} - ", got: ${replyText}`,
  );
  assert.match(replyText, text, `${level} error text`);
  return replyText;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

async function run(action: () => unknown): Promise<Outcome> {
  try {
    return { ok: true, value: await action() };
  } catch (error) {
    return { ok: false, error };
  }
}

/**
 * Runs `action` on a fresh channel of `conn` (or on `opts.channel`, when the error must come on a
 * channel that already did something) and asserts that the broker closes that channel (and only
 * that channel) with `code` and a reply text matching `text`.
 *
 * Fire-and-forget actions (publish) are followed by a round trip on the same channel: the broker
 * processes a channel's methods in order, so once that round trip is answered any error caused by
 * the action has been reported. The connection is then checked to be still usable.
 */
export async function expectChannelError(
  conn: ChannelModel,
  action: (ch: Channel) => unknown,
  code: number,
  text: RegExp,
  opts: { method?: MethodName; channel?: Channel } = {},
): Promise<AmqpCloseInfo> {
  const ch = opts.channel ?? (await conn.createChannel());
  let channelError: AmqplibError | undefined;
  let connectionError: Error | undefined;
  const onConnError = (err: Error) => {
    connectionError ??= err;
  };
  const onConnClose = (err?: Error) => {
    connectionError ??= err ?? new Error('connection closed');
  };
  conn.on('error', onConnError);
  conn.on('close', onConnClose);
  ch.on('error', (err: AmqplibError) => {
    channelError ??= err;
  });
  const channelClosed = new Promise<void>((resolve) => ch.once('close', () => resolve()));
  try {
    const outcome = await run(() => action(ch));
    if (!channelError && !connectionError) {
      await run(() => ch.checkExchange('amq.direct')); // ordering barrier, see above
    }
    if (connectionError) {
      assert.fail(`expected a channel error ${code}, but the connection closed: ${connectionError.message}`);
    }
    if (!channelError) {
      assert.fail(`expected a channel error ${code}, but the channel stayed open; action gave ${inspect(outcome)}`);
    }
    await channelClosed;
    const replyText = assertReply('channel', channelError, code, text);
    if (opts.method) {
      const [classId, methodId] = METHOD_IDS[opts.method];
      assert.deepEqual(
        [channelError.classId, channelError.methodId],
        [classId, methodId],
        `channel.close should name the failing method ${opts.method}`,
      );
    }
    if (!outcome.ok && typeof (outcome.error as AmqplibError).code === 'number') {
      assert.equal((outcome.error as AmqplibError).code, code, 'the failed operation rejects with the same code');
    }
    // The error was channel-level: the connection still carries new channels.
    const probe = await conn.createChannel();
    await probe.checkExchange('amq.direct');
    await probe.close();
    assert.equal(connectionError, undefined, 'the connection must survive a channel error');
    return {
      level: 'channel',
      code,
      text: replyText,
      classId: channelError.classId,
      methodId: channelError.methodId,
    };
  } finally {
    conn.off('error', onConnError);
    conn.off('close', onConnClose);
  }
}

/**
 * Opens a connection to `url`, runs `action` on a channel of it and asserts that the broker closes
 * the whole connection with `code` and a reply text matching `text` (no channel.close first).
 */
export async function expectConnectionError(
  url: string,
  action: (ch: Channel, conn: ChannelModel) => unknown,
  code: number,
  text: RegExp,
): Promise<AmqpCloseInfo> {
  const conn = await connect(url);
  let connectionError: AmqplibError | undefined;
  let closed = false;
  let resolveClosed!: () => void;
  const connectionClosed = new Promise<void>((resolve) => (resolveClosed = resolve));
  conn.on('error', (err: AmqplibError) => {
    connectionError ??= err;
  });
  conn.on('close', (err?: AmqplibError) => {
    if (err) connectionError ??= err;
    closed = true;
    resolveClosed();
  });
  const ch = await conn.createChannel();
  let channelError: AmqplibError | undefined;
  ch.on('error', (err: AmqplibError) => {
    channelError ??= err;
  });
  try {
    const outcome = await run(() => action(ch, conn));
    if (!closed && !channelError) {
      await run(() => ch.checkExchange('amq.direct')); // ordering barrier
    }
    if (channelError) {
      assert.fail(`expected a connection error ${code}, but only the channel closed: ${channelError.message}`);
    }
    if (!closed) {
      assert.fail(`expected a connection error ${code}, but the connection stayed open; action gave ${inspect(outcome)}`);
    }
    await connectionClosed;
    assert.ok(connectionError, 'the connection closed without an error');
    const replyText = assertReply('connection', connectionError, code, text);
    await assert.rejects(conn.createChannel(), 'a closed connection opens no channels');
    return { level: 'connection', code, text: replyText };
  } finally {
    if (!closed) await conn.close().catch(() => {});
  }
}

/** `'name'` as a regex source, the way RabbitMQ quotes object names in reply texts. */
export function quoted(name: string): string {
  return `'${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}'`;
}
