// One function per management API call the UI makes. Paths and bodies follow RabbitMQ 3.10's API.
import { del, get, post, put, query, request, seg } from './client';
import type {
  Binding,
  Channel,
  Connection,
  Definitions,
  Exchange,
  FetchedMessage,
  MessageProperties,
  Overview,
  Page,
  Permission,
  Policy,
  Queue,
  User,
  Vhost,
  WhoAmI,
} from './types';
import type { Credentials } from './session';

/** `/api/queues` or `/api/queues/{vhost}` when one vhost is chosen. */
const inVhost = (base: string, vhost: string | null) => (vhost === null ? base : `${base}/${seg(vhost)}`);

export const whoami = (credentials?: Credentials) => request<WhoAmI>('GET', '/whoami', { credentials });
/** `history` is a query string asking for past samples (see lib/seed-history). */
export const overview = (history = '', signal?: AbortSignal) => get<Overview>(`/overview${history}`, signal);

// Queues

export interface QueueListParams {
  page: number;
  pageSize: number;
  name: string;
  useRegex: boolean;
  sort: string;
  sortReverse: boolean;
}

export const queuesPage = (vhost: string | null, p: QueueListParams, signal?: AbortSignal) =>
  get<Page<Queue>>(
    inVhost('/queues', vhost) +
      query({
        page: p.page,
        page_size: p.pageSize,
        name: p.name,
        use_regex: p.useRegex,
        sort: p.sort,
        sort_reverse: p.sortReverse,
      }),
    signal,
  );

/**
 * Every queue with only what dead-letter detection needs. `columns` trims RabbitMQ's answer; a broker
 * that ignores it sends whole queue objects, which work the same.
 */
export const queueRouting = (vhost: string | null, signal?: AbortSignal) =>
  get<Queue[]>(inVhost('/queues', vhost) + query({ columns: 'name,vhost,arguments,effective_policy_definition,messages' }), signal);

export const queue = (vhost: string, name: string, history = '', signal?: AbortSignal) =>
  get<Queue>(`/queues/${seg(vhost)}/${seg(name)}${history}`, signal);

export const createQueue = (vhost: string, name: string, body: { durable: boolean; auto_delete: boolean; arguments: Record<string, unknown> }) =>
  put(`/queues/${seg(vhost)}/${seg(name)}`, body);

export const deleteQueue = (vhost: string, name: string) => del(`/queues/${seg(vhost)}/${seg(name)}`);
export const purgeQueue = (vhost: string, name: string) => del(`/queues/${seg(vhost)}/${seg(name)}/contents`);
export const queueBindings = (vhost: string, name: string, signal?: AbortSignal) =>
  get<Binding[]>(`/queues/${seg(vhost)}/${seg(name)}/bindings`, signal);

export type AckMode = 'ack_requeue_true' | 'ack_requeue_false' | 'reject_requeue_true' | 'reject_requeue_false';

export const getMessages = (vhost: string, name: string, count: number, ackmode: AckMode, truncate?: number) =>
  post<FetchedMessage[]>(`/queues/${seg(vhost)}/${seg(name)}/get`, {
    count,
    ackmode,
    encoding: 'auto',
    ...(truncate ? { truncate } : {}),
  });

/** Warren's replay endpoint; RabbitMQ has none (it answers 404 or 405). */
export const replayMessages = (vhost: string, name: string, body: { count: number; exchange?: string; routing_key?: string }) =>
  post<{ moved: number }>(`/queues/${seg(vhost)}/${seg(name)}/replay`, body);

// Exchanges and bindings

export const exchanges = (vhost: string | null, signal?: AbortSignal) => get<Exchange[]>(inVhost('/exchanges', vhost), signal);
export const exchange = (vhost: string, name: string, signal?: AbortSignal) =>
  get<Exchange>(`/exchanges/${seg(vhost)}/${seg(name || 'amq.default')}`, signal);
export const createExchange = (
  vhost: string,
  name: string,
  body: { type: string; durable: boolean; auto_delete: boolean; internal: boolean; arguments: Record<string, unknown> },
) => put(`/exchanges/${seg(vhost)}/${seg(name)}`, body);
export const deleteExchange = (vhost: string, name: string) => del(`/exchanges/${seg(vhost)}/${seg(name)}`);

export const bindings = (vhost: string | null, signal?: AbortSignal) => get<Binding[]>(inVhost('/bindings', vhost), signal);

export const bind = (vhost: string, source: string, type: 'queue' | 'exchange', destination: string, routingKey: string, args: Record<string, unknown>) =>
  post(`/bindings/${seg(vhost)}/e/${seg(source)}/${type === 'queue' ? 'q' : 'e'}/${seg(destination)}`, {
    routing_key: routingKey,
    arguments: args,
  });

export const unbind = (b: Binding) =>
  del(
    `/bindings/${seg(b.vhost)}/e/${seg(b.source)}/${b.destination_type === 'queue' ? 'q' : 'e'}/${seg(b.destination)}/${seg(b.properties_key)}`,
  );

export const publish = (
  vhost: string,
  exchangeName: string,
  body: { routing_key: string; payload: string; payload_encoding: 'string' | 'base64'; properties: MessageProperties },
) => post<{ routed: boolean }>(`/exchanges/${seg(vhost)}/${seg(exchangeName || 'amq.default')}/publish`, body);

// Connections and channels

export const connections = (vhost: string | null, signal?: AbortSignal) =>
  get<Connection[]>(vhost === null ? '/connections' : `/vhosts/${seg(vhost)}/connections`, signal);
export const closeConnection = (name: string, reason: string) =>
  del(`/connections/${seg(name)}`, { 'x-reason': reason });
export const channels = (vhost: string | null, signal?: AbortSignal) =>
  get<Channel[]>(vhost === null ? '/channels' : `/vhosts/${seg(vhost)}/channels`, signal);

// Users, vhosts, permissions, policies

export const users = (signal?: AbortSignal) => get<User[]>('/users', signal);
/** A PUT without password or password_hash leaves the user unable to sign in, so edits send the hash back. */
export const saveUser = (name: string, body: { password: string; tags: string } | { password_hash: string; hashing_algorithm?: string; tags: string }) =>
  put(`/users/${seg(name)}`, body);
export const deleteUser = (name: string) => del(`/users/${seg(name)}`);

export const vhosts = (signal?: AbortSignal) => get<Vhost[]>('/vhosts', signal);
export const saveVhost = (name: string, body: { description: string; tags: string }) => put(`/vhosts/${seg(name)}`, body);
export const deleteVhost = (name: string) => del(`/vhosts/${seg(name)}`);

export const permissions = (signal?: AbortSignal) => get<Permission[]>('/permissions', signal);
export const setPermission = (vhost: string, user: string, body: { configure: string; write: string; read: string }) =>
  put(`/permissions/${seg(vhost)}/${seg(user)}`, body);
export const clearPermission = (vhost: string, user: string) => del(`/permissions/${seg(vhost)}/${seg(user)}`);

export const policies = (signal?: AbortSignal) => get<Policy[]>('/policies', signal);
export const savePolicy = (p: Policy) =>
  put(`/policies/${seg(p.vhost)}/${seg(p.name)}`, {
    pattern: p.pattern,
    definition: p.definition,
    priority: p.priority,
    'apply-to': p['apply-to'],
  });
export const deletePolicy = (vhost: string, name: string) => del(`/policies/${seg(vhost)}/${seg(name)}`);

// Definitions

export const exportDefinitions = (vhost: string | null) => get<Definitions>(inVhost('/definitions', vhost));
export const importDefinitions = (vhost: string | null, definitions: Definitions | string) =>
  post(inVhost('/definitions', vhost), definitions);
