// Turning a 404 into a message that names what is missing. One 404 can mean the object or the
// vhost it lives in; asking whether the vhost exists tells which.
import { CtlError, EXIT } from './errors.js';
import { ApiError, type ManagementClient, segment } from './http-client.js';

export const vhostPath = (vhost: string): string => `/api/vhosts/${segment(vhost)}`;
export const userPath = (user: string): string => `/api/users/${segment(user)}`;

export const notFound = (message: string): CtlError => new CtlError(message, EXIT.NOT_FOUND);

export const isNotFound = (err: unknown): err is ApiError => err instanceof ApiError && err.status === 404;

/** "vhost 'v' not found" when the vhost is missing, otherwise `message`. */
export async function missingInVhost(client: ManagementClient, vhost: string, message: string): Promise<CtlError> {
  return (await client.exists(vhostPath(vhost))) ? notFound(message) : notFound(`vhost '${vhost}' not found`);
}

/** Runs `action`; a 404 from it becomes the error `explain` describes. */
export async function explainNotFound<T>(action: Promise<T>, explain: () => CtlError | Promise<CtlError>): Promise<T> {
  try {
    return await action;
  } catch (err) {
    if (isNotFound(err)) throw await explain();
    throw err;
  }
}
