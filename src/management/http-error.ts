// Errors the management API answers with, in RabbitMQ's JSON shape {"error": …, "reason": …}; a few
// answers (401 without credentials, a malformed Authorization header) have no body at all.
import { ReplyCode } from '../amqp/spec.js';
import { AmqpError } from '../broker/errors.js';
import type { Json } from './json-fields.js';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    /** a string, or an Erlang term rendered as JSON (["not_boolean", "yes"]) */
    readonly reason: Json,
    readonly options: { empty?: boolean; challenge?: boolean } = {},
  ) {
    super(typeof reason === 'string' ? reason : JSON.stringify(reason));
  }

  /** No body, as RabbitMQ answers before it knows who is asking. */
  get empty(): boolean {
    return this.options.empty === true;
  }

  /** Send WWW-Authenticate: the credentials are missing or wrong (not merely insufficient). */
  get challenge(): boolean {
    return this.options.challenge === true;
  }
}

export const badRequest = (reason: Json) => new HttpError(400, 'bad_request', reason);
export const notFound = (reason = 'Not Found') => new HttpError(404, 'Object Not Found', reason);
/** A 404 naming what is missing, as RabbitMQ words it for bindings, gets and imports. */
export const notFoundNamed = (reason: string) => new HttpError(404, 'not_found', reason);
/** No credentials at all: an empty 401 with the challenge. */
export const noCredentials = () => new HttpError(401, 'not_authorized', '', { empty: true, challenge: true });
/** Wrong credentials (RabbitMQ spells this one "authorized"). */
export const loginFailed = () => new HttpError(401, 'not_authorized', 'Login failed', { challenge: true });
/** Right credentials, but the user's tags or permissions do not allow it (spelled "authorised"; still 401). */
export const notAuthorised = (reason: string) => new HttpError(401, 'not_authorised', reason);
export const accessRefused = () => notAuthorised('Access refused.');

/**
 * What the broker model refused is a bad request to the API with RabbitMQ's AMQP reply text (without
 * the code) as the reason; a refused access (403) is a 401 "Access refused.", as RabbitMQ answers it.
 */
export function fromModelError(err: unknown): unknown {
  if (err instanceof AmqpError) {
    if (err.code === ReplyCode.AccessRefused) return accessRefused();
    return badRequest(err.text);
  }
  return err;
}

/** The model's error with its AMQP code and name, as RabbitMQ reports errors of publish and get. */
export function withReplyCode(err: unknown): unknown {
  if (err instanceof AmqpError && err.code !== ReplyCode.AccessRefused) return badRequest(`${err.code} ${err.replyText}`);
  return err;
}
