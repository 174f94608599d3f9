// fetch() for the management API: Basic auth from the session, JSON in and out, errors as ApiError.
// Paths are relative ("api/…") so the UI works wherever the management listener mounts it.
import { basicAuthorization, loadCredentials, type Credentials } from './session';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    /** the API's own `reason` (or `error`) when it sent JSON */
    readonly reason: string,
  ) {
    super(reason || `HTTP ${status}`);
  }
}

/** Called when the API answers 401 to a signed-in request: the credentials no longer work. */
let onUnauthorized: () => void = () => {};
export function setUnauthorizedHandler(handler: () => void): void {
  onUnauthorized = handler;
}

export interface RequestOptions {
  body?: unknown;
  headers?: Record<string, string>;
  /** credentials to use instead of the session's (the login check) */
  credentials?: Credentials;
  signal?: AbortSignal;
}

async function errorFrom(res: Response): Promise<ApiError> {
  let reason = res.statusText;
  try {
    const text = await res.text();
    if (text) {
      try {
        const json = JSON.parse(text) as { reason?: unknown; error?: unknown };
        reason = String(json.reason ?? json.error ?? text);
      } catch {
        reason = text.slice(0, 300);
      }
    }
  } catch {
    // keep the status text
  }
  return new ApiError(res.status, reason);
}

export async function request<T = unknown>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
  const credentials = options.credentials ?? loadCredentials();
  const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
  // Always sending Authorization keeps browsers from opening their own Basic-auth prompt on a 401.
  headers.authorization = credentials ? basicAuthorization(credentials) : 'Basic Og==';
  let body: string | undefined;
  if (options.body !== undefined) {
    headers['content-type'] = 'application/json';
    body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
  }
  const res = await fetch(`api${path}`, { method, headers, body, credentials: 'omit', signal: options.signal });
  if (!res.ok) {
    const error = await errorFrom(res);
    if (res.status === 401 && !options.credentials) onUnauthorized();
    throw error;
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

export const get = <T>(path: string, signal?: AbortSignal) => request<T>('GET', path, { signal });
export const put = (path: string, body: unknown) => request('PUT', path, { body });
export const post = <T = unknown>(path: string, body: unknown) => request<T>('POST', path, { body });
export const del = (path: string, headers?: Record<string, string>) => request('DELETE', path, { headers });

/** One path segment: vhost `/` becomes `%2F`, as the API expects. */
export const seg = (value: string) => encodeURIComponent(value);

/** A query string from the defined values. */
export function query(params: Record<string, string | number | boolean | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== '') search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}
