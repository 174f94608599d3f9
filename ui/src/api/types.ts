// The parts of the RabbitMQ-compatible management API's JSON that the UI reads.
// Statistics are optional throughout: a broker may leave out any counter or its `_details` rate.

export interface RateDetails {
  rate: number;
  /** only when the request asked for history (lengths_age / msg_rates_age) */
  samples?: Array<{ sample: number; timestamp: number }>;
}

/** Message counters as in `message_stats`; each `x` may come with `x_details.rate` (per second). */
export type MessageStats = Partial<Record<string, number | RateDetails>>;

export interface WhoAmI {
  name: string;
  tags: string[] | string;
}

export interface QueueTotals {
  messages?: number;
  messages_ready?: number;
  messages_unacknowledged?: number;
  messages_ready_details?: RateDetails;
  messages_unacknowledged_details?: RateDetails;
}

export interface Overview {
  product_name?: string;
  product_version?: string;
  rabbitmq_version?: string;
  management_version?: string;
  cluster_name?: string;
  node?: string;
  message_stats?: MessageStats;
  queue_totals?: QueueTotals;
  object_totals?: {
    connections?: number;
    channels?: number;
    exchanges?: number;
    queues?: number;
    consumers?: number;
  };
  listeners?: Array<{ protocol: string; port: number; ip_address?: string }>;
  exchange_types?: Array<{ name: string; description?: string }>;
}

export type Arguments = Record<string, unknown>;

export interface ConsumerDetail {
  consumer_tag: string;
  channel_details?: { name?: string; connection_name?: string; peer_host?: string; peer_port?: number; user?: string };
  ack_required?: boolean;
  exclusive?: boolean;
  prefetch_count?: number;
  active?: boolean;
  activity_status?: string;
  arguments?: Arguments;
  queue?: { name: string; vhost: string };
}

export interface Queue {
  name: string;
  vhost: string;
  type?: string;
  durable?: boolean;
  auto_delete?: boolean;
  exclusive?: boolean;
  arguments?: Arguments;
  policy?: string | null;
  effective_policy_definition?: Arguments;
  state?: string;
  consumers?: number;
  consumer_utilisation?: number | null;
  consumer_capacity?: number;
  messages?: number;
  messages_ready?: number;
  messages_unacknowledged?: number;
  messages_details?: RateDetails;
  messages_ready_details?: RateDetails;
  messages_unacknowledged_details?: RateDetails;
  message_bytes?: number;
  memory?: number;
  idle_since?: string;
  message_stats?: MessageStats;
  consumer_details?: ConsumerDetail[];
  single_active_consumer_tag?: string | null;
}

/** A page of a paginated listing (`?page=…`). */
export interface Page<T> {
  items: T[];
  page: number;
  page_count: number;
  page_size: number;
  filtered_count: number;
  item_count: number;
  total_count: number;
}

export interface Exchange {
  name: string;
  vhost: string;
  type: string;
  durable?: boolean;
  auto_delete?: boolean;
  internal?: boolean;
  arguments?: Arguments;
  policy?: string | null;
  message_stats?: MessageStats;
}

export interface Binding {
  source: string;
  vhost: string;
  destination: string;
  destination_type: 'queue' | 'exchange';
  routing_key: string;
  arguments?: Arguments;
  properties_key: string;
}

export interface Connection {
  name: string;
  vhost?: string;
  user?: string;
  user_provided_name?: string;
  client_properties?: { product?: string; version?: string; platform?: string; connection_name?: string };
  protocol?: string;
  peer_host?: string;
  peer_port?: number;
  host?: string;
  port?: number;
  state?: string;
  channels?: number;
  ssl?: boolean;
  timeout?: number;
  frame_max?: number;
  connected_at?: number;
  recv_oct?: number;
  send_oct?: number;
  recv_oct_details?: RateDetails;
  send_oct_details?: RateDetails;
}

export interface Channel {
  name: string;
  number?: number;
  vhost?: string;
  user?: string;
  connection_details?: { name?: string; peer_host?: string; peer_port?: number };
  state?: string;
  confirm?: boolean;
  transactional?: boolean;
  prefetch_count?: number;
  global_prefetch_count?: number;
  consumer_count?: number;
  messages_unacknowledged?: number;
  messages_unconfirmed?: number;
  message_stats?: MessageStats;
}

export interface User {
  name: string;
  tags: string[] | string;
  /** sent back unchanged to keep the password when only the tags are edited */
  password_hash?: string;
  hashing_algorithm?: string;
  limits?: Record<string, number>;
}

export interface Vhost {
  name: string;
  description?: string;
  tags?: string[] | string;
  messages?: number;
  messages_ready?: number;
  messages_unacknowledged?: number;
  message_stats?: MessageStats;
  tracing?: boolean;
}

export interface Permission {
  user: string;
  vhost: string;
  configure: string;
  write: string;
  read: string;
}

export interface Policy {
  name: string;
  vhost: string;
  pattern: string;
  'apply-to': string;
  priority: number;
  definition: Record<string, unknown>;
}

export interface MessageProperties {
  content_type?: string;
  content_encoding?: string;
  delivery_mode?: number;
  priority?: number;
  correlation_id?: string;
  reply_to?: string;
  expiration?: string;
  message_id?: string;
  timestamp?: number;
  type?: string;
  user_id?: string;
  app_id?: string;
  headers?: Record<string, unknown>;
}

/** One message from POST /api/queues/{vhost}/{name}/get. */
export interface FetchedMessage {
  payload: string;
  payload_encoding: 'string' | 'base64';
  payload_bytes: number;
  redelivered: boolean;
  exchange: string;
  routing_key: string;
  message_count: number;
  properties: MessageProperties | unknown[];
}

/** One entry of a dead-lettered message's `x-death` header. */
export interface DeathEntry {
  count?: number;
  reason?: string;
  queue?: string;
  exchange?: string;
  'routing-keys'?: string[];
  time?: number;
}

/** A `GET /api/definitions` document; the UI passes it through without looking inside much. */
export interface Definitions {
  users?: unknown[];
  vhosts?: unknown[];
  permissions?: unknown[];
  policies?: unknown[];
  queues?: unknown[];
  exchanges?: unknown[];
  bindings?: unknown[];
  [key: string]: unknown;
}
