// A small client for the RabbitMQ-compatible management HTTP API (/api/...), on Node's fetch.
// Transport failures, timeouts, authentication refusals and server faults become CtlErrors here;
// 400 and 404 become ApiErrors, because only the command knows what was missing or invalid.
import { describeReason } from './api-reason.js';
import { CtlError, EXIT } from './errors.js';

export interface ConnectionSettings {
  /** Root of the management listener, without credentials and without a trailing slash. */
  baseUrl: string;
  user: string;
  password: string;
  timeoutMs: number;
}

/** A 4xx answer other than 401/403, left for the command to explain. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    /** The body's `reason`, made readable (or the body itself when it is not RabbitMQ's JSON shape). */
    readonly reason: string,
    readonly method: string,
    readonly path: string,
  ) {
    super(`${method} ${path}: ${status} ${reason}`);
    this.name = 'ApiError';
  }
}

/** Path segment encoding: vhost "/" is "%2F", as RabbitMQ's paths expect. */
export const segment = (name: string): string => encodeURIComponent(name);

interface ErrorBody {
  error?: unknown;
  reason?: unknown;
}

export class ManagementClient {
  private readonly authorization: string;

  constructor(readonly settings: ConnectionSettings) {
    this.authorization = `Basic ${Buffer.from(`${settings.user}:${settings.password}`).toString('base64')}`;
  }

  get<T = unknown>(path: string): Promise<T> {
    return this.request('GET', path) as Promise<T>;
  }

  async put(path: string, body?: unknown): Promise<void> {
    await this.request('PUT', path, body);
  }

  async post(path: string, body?: unknown): Promise<void> {
    await this.request('POST', path, body);
  }

  async delete(path: string): Promise<void> {
    await this.request('DELETE', path);
  }

  /** GET that answers false on 404 instead of failing: "does this object exist?". */
  async exists(path: string): Promise<boolean> {
    try {
      await this.request('GET', path);
      return true;
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) return false;
      throw err;
    }
  }

  /** Sends one request; resolves with the parsed JSON body (undefined when there is none). */
  async request(method: string, path: string, body?: unknown): Promise<unknown> {
    const { baseUrl, timeoutMs } = this.settings;
    const url = `${baseUrl}${path}`;
    let response: Response;
    let text: string;
    try {
      response = await fetch(url, {
        method,
        headers: {
          authorization: this.authorization,
          // No "accept: application/json": RabbitMQ answers 406 instead of 404 to a DELETE of
          // /api/queues/V/Q/contents for a missing queue when it is sent.
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
      text = await response.text();
    } catch (err) {
      throw this.transportError(err);
    }
    if (response.ok) return parseBody(text, method, path, response.status);
    throw this.statusError(response.status, text, method, path);
  }

  private transportError(err: unknown): CtlError {
    const e = err as Error & { cause?: { code?: string; message?: string } };
    if (e.name === 'TimeoutError' || e.name === 'AbortError') {
      return new CtlError(
        `no answer from the management API at ${this.settings.baseUrl} within ${this.settings.timeoutMs / 1000} s (see --timeout)`,
        EXIT.TEMP_FAIL,
      );
    }
    const cause = e.cause;
    let detail = cause?.code ? `${cause.code}${cause.message ? ` (${cause.message})` : ''}` : (cause?.message ?? e.message);
    // An AMQP port answers the HTTP request with its protocol header, which fetch cannot parse.
    if (cause?.code?.startsWith('HPE_')) detail += '; is this an HTTP port? the management API usually listens on 15672';
    return new CtlError(`cannot reach the management API at ${this.settings.baseUrl}: ${detail}`, EXIT.UNAVAILABLE);
  }

  private statusError(status: number, text: string, method: string, path: string): Error {
    const reason = reasonOf(text) || `HTTP ${status}`;
    const { baseUrl, user } = this.settings;
    if (status === 401 || status === 403) {
      // RabbitMQ answers 401 both for bad credentials ("Login failed") and for a user whose tags do
      // not allow the request ("Not administrator user"); the reason tells them apart.
      if (status === 401 && /login failed/i.test(reason)) {
        return new CtlError(`authentication failed: the management API at ${baseUrl} refused user '${user}' (wrong user name or password)`, EXIT.NO_PERM);
      }
      return new CtlError(`user '${user}' is not allowed to ${method} ${path} at ${baseUrl}: ${reason}`, EXIT.NO_PERM);
    }
    if (status === 503) return new CtlError(`the management API at ${baseUrl} is unavailable: ${reason}`, EXIT.UNAVAILABLE);
    if (status >= 500) return new CtlError(`the management API at ${baseUrl} failed on ${method} ${path}: ${status} ${reason}`, EXIT.SOFTWARE);
    return new ApiError(status, reason, method, path);
  }
}

function parseBody(text: string, method: string, path: string, status: number): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw new CtlError(`the management API answered ${method} ${path} (${status}) with a body that is not JSON: ${text.slice(0, 120)}`, EXIT.SOFTWARE);
  }
}

function reasonOf(text: string): string {
  try {
    const body = JSON.parse(text) as ErrorBody;
    if (body && typeof body === 'object' && ('reason' in body || 'error' in body)) {
      return describeReason(body.reason ?? body.error);
    }
  } catch {
    // not JSON: show the start of the text
  }
  return text.trim().slice(0, 200);
}
