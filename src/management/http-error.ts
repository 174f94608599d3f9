// Errors the management API answers with, in RabbitMQ's JSON shape {"error": …, "reason": …}.
import { AmqpError } from '../broker/errors.js';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    readonly reason: string,
  ) {
    super(reason);
  }
}

export const badRequest = (reason: string) => new HttpError(400, 'bad_request', reason);
export const notFound = (reason = 'Not Found') => new HttpError(404, 'Object Not Found', reason);
/** Missing or wrong credentials (RabbitMQ spells this one "authorized"). */
export const loginFailed = (reason = 'Login failed') => new HttpError(401, 'not_authorized', reason);
/** Right credentials, but the user's tags or permissions do not allow it (spelled "authorised"; still 401). */
export const notAuthorised = (reason: string) => new HttpError(401, 'not_authorised', reason);

/**
 * What the broker model refused (406 inequivalent arguments, 403 reserved names, 405 locked queues…)
 * is a bad request to the API, with RabbitMQ's AMQP reply text as the reason.
 */
export function fromModelError(err: unknown): unknown {
  if (err instanceof AmqpError) return badRequest(err.text);
  return err;
}
