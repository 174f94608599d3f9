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
export const notAuthorised = (reason = 'Not_Authorized') => new HttpError(401, 'not_authorized', reason);
export const forbidden = (reason: string) => new HttpError(403, 'not_authorised', reason);

/**
 * What the broker model refused (406 inequivalent arguments, 403 reserved names, 405 locked queues…)
 * is a bad request to the API, with RabbitMQ's AMQP reply text as the reason.
 */
export function fromModelError(err: unknown): unknown {
  if (err instanceof AmqpError) return badRequest(err.text);
  return err;
}
