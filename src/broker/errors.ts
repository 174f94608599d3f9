// Errors the model raises, carrying the AMQP reply code. Whether one closes the channel or the whole
// connection follows from its code, as the spec marks each code soft or hard.
import { HARD_ERRORS, REPLY_NAMES, ReplyCode } from '../amqp/spec.js';

export class AmqpError extends Error {
  constructor(
    readonly code: number,
    /** Without the "NOT_FOUND - " prefix; replyText adds it. */
    readonly text: string,
    /** The method the error is about, when not the one being handled (set by content-frame errors). */
    public methodId?: number,
  ) {
    super(text);
  }

  get hard(): boolean {
    return HARD_ERRORS.has(this.code);
  }

  /** The reply text as RabbitMQ sends it: "NOT_FOUND - no queue 'q' in vhost '/'". */
  get replyText(): string {
    const text = `${REPLY_NAMES[this.code] ?? 'INTERNAL_ERROR'} - ${this.text}`;
    // A reply text is a short string: RabbitMQ cuts long ones to 252 bytes and "...".
    if (Buffer.byteLength(text) <= 255) return text;
    return Buffer.from(text).subarray(0, 252).toString('utf8').replace(/\uFFFD$/, '') + '...';
  }
}

const q = (s: string) => `'${s}'`;

export const notFound = (what: string) => new AmqpError(ReplyCode.NotFound, what);
export const noQueue = (name: string, vhost: string) => notFound(`no queue ${q(name)} in vhost ${q(vhost)}`);
export const noExchange = (name: string, vhost: string) => notFound(`no exchange ${q(name)} in vhost ${q(vhost)}`);
export const precondition = (text: string) => new AmqpError(ReplyCode.PreconditionFailed, text);
export const accessRefused = (text: string) => new AmqpError(ReplyCode.AccessRefused, text);
export const resourceLocked = (text: string) => new AmqpError(ReplyCode.ResourceLocked, text);
export const notAllowed = (text: string) => new AmqpError(ReplyCode.NotAllowed, text);
export const notImplemented = (text: string) => new AmqpError(ReplyCode.NotImplemented, text);
export const commandInvalid = (text: string) => new AmqpError(ReplyCode.CommandInvalid, text);
export const channelError = (text: string) => new AmqpError(ReplyCode.ChannelError, text);
export const unexpectedFrame = (text: string, methodId = 0) => new AmqpError(ReplyCode.UnexpectedFrame, text, methodId);
export const frameError = (text: string) => new AmqpError(ReplyCode.FrameError, text);
export const internalError = (text: string) => new AmqpError(ReplyCode.InternalError, text);

/**
 * Where RabbitMQ's channel process crashes (a plugin or parser fault), the connection is closed with a
 * bare "INTERNAL_ERROR" and class/method 0. Warren answers the same inputs the same way.
 */
export class ChannelCrash extends AmqpError {
  constructor() {
    super(ReplyCode.InternalError, 'INTERNAL_ERROR', 0);
  }

  override get replyText(): string {
    return 'INTERNAL_ERROR';
  }
}
