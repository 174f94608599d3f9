// The columns each list command can show. A column is a field of the objects the management API
// returns (`messages_ready`, or a dotted path into a nested one: `client_properties.connection_name`),
// or one of rabbitmqctl's names for data the API spells differently (bindings' `source_name`,
// consumers' `queue_name`), so both rabbitmqctl's column lists and the API's field names work.
import { UsageError } from './errors.js';

export type Row = Record<string, unknown>;

interface DerivedColumn {
  /** The API fields it is computed from (asked for with ?columns=). */
  from: readonly string[];
  value(row: Row): unknown;
}

export interface ColumnSet {
  /** Columns shown when none are named: rabbitmqctl's defaults. */
  defaults: readonly string[];
  /** Top-level fields RabbitMQ 3.10's API returns for these objects. */
  fields: readonly string[];
  derived?: Readonly<Record<string, DerivedColumn>>;
}

const objectField = (row: Row, key: string): Row | undefined => {
  const value = row[key];
  return value && typeof value === 'object' ? (value as Row) : undefined;
};

export const QUEUE_COLUMNS: ColumnSet = {
  defaults: ['name', 'messages'],
  fields: [
    'arguments', 'auto_delete', 'backing_queue_status', 'consumer_capacity', 'consumer_utilisation', 'consumers',
    'durable', 'effective_policy_definition', 'exclusive', 'exclusive_consumer_tag', 'garbage_collection',
    'head_message_timestamp', 'idle_since', 'leader', 'members', 'memory', 'message_bytes', 'message_bytes_paged_out',
    'message_bytes_persistent', 'message_bytes_ram', 'message_bytes_ready', 'message_bytes_unacknowledged',
    'message_stats', 'messages', 'messages_details', 'messages_paged_out', 'messages_persistent', 'messages_ram',
    'messages_ready', 'messages_ready_details', 'messages_ready_ram', 'messages_unacknowledged',
    'messages_unacknowledged_details', 'messages_unacknowledged_ram', 'name', 'node', 'online', 'open_files',
    'operator_policy', 'owner_pid_details', 'policy', 'recoverable_slaves', 'reductions', 'reductions_details',
    'single_active_consumer_tag', 'slave_nodes', 'state', 'synchronised_slave_nodes', 'type', 'vhost',
  ],
};

export const EXCHANGE_COLUMNS: ColumnSet = {
  defaults: ['name', 'type'],
  fields: ['arguments', 'auto_delete', 'durable', 'internal', 'message_stats', 'name', 'policy', 'type', 'user_who_performed_action', 'vhost'],
};

export const BINDING_COLUMNS: ColumnSet = {
  defaults: ['source_name', 'source_kind', 'destination_name', 'destination_kind', 'routing_key', 'arguments'],
  fields: ['arguments', 'destination', 'destination_type', 'properties_key', 'routing_key', 'source', 'vhost'],
  derived: {
    source_name: { from: ['source'], value: (row) => row.source },
    // Binding sources are always exchanges; the API does not say so, rabbitmqctl does.
    source_kind: { from: [], value: () => 'exchange' },
    destination_name: { from: ['destination'], value: (row) => row.destination },
    destination_kind: { from: ['destination_type'], value: (row) => row.destination_type },
  },
};

export const CONNECTION_COLUMNS: ColumnSet = {
  defaults: ['user', 'peer_host', 'peer_port', 'state'],
  fields: [
    'auth_mechanism', 'channel_max', 'channels', 'client_properties', 'connected_at', 'frame_max', 'garbage_collection',
    'host', 'name', 'node', 'peer_cert_issuer', 'peer_cert_subject', 'peer_cert_validity', 'peer_host', 'peer_port',
    'port', 'protocol', 'recv_cnt', 'recv_oct', 'recv_oct_details', 'reductions', 'reductions_details', 'send_cnt',
    'send_oct', 'send_oct_details', 'send_pend', 'ssl', 'ssl_cipher', 'ssl_hash', 'ssl_key_exchange', 'ssl_protocol',
    'state', 'timeout', 'type', 'user', 'user_provided_name', 'user_who_performed_action', 'vhost',
  ],
};

export const CONSUMER_COLUMNS: ColumnSet = {
  defaults: ['queue_name', 'channel_pid', 'consumer_tag', 'ack_required', 'prefetch_count', 'active', 'activity_status', 'arguments'],
  fields: ['ack_required', 'active', 'activity_status', 'arguments', 'channel_details', 'consumer_tag', 'consumer_timeout', 'exclusive', 'prefetch_count', 'queue'],
  derived: {
    queue_name: { from: ['queue'], value: (row) => objectField(row, 'queue')?.name },
    // rabbitmqctl shows the channel's Erlang pid; the API names the channel instead.
    channel_pid: { from: ['channel_details'], value: (row) => objectField(row, 'channel_details')?.name },
  },
};

export const USER_COLUMNS: ColumnSet = {
  defaults: ['user', 'tags'],
  fields: ['hashing_algorithm', 'limits', 'name', 'password_hash', 'tags'],
  derived: { user: { from: ['name'], value: (row) => row.name } },
};

export const VHOST_COLUMNS: ColumnSet = {
  defaults: ['name'],
  fields: [
    'cluster_state', 'default_queue_type', 'description', 'message_stats', 'messages', 'messages_details',
    'messages_ready', 'messages_ready_details', 'messages_unacknowledged', 'messages_unacknowledged_details',
    'metadata', 'name', 'recv_oct', 'recv_oct_details', 'send_oct', 'send_oct_details', 'tags', 'tracing',
  ],
};

export const PERMISSION_COLUMNS: ColumnSet = {
  defaults: ['user', 'configure', 'write', 'read'],
  fields: ['configure', 'read', 'user', 'vhost', 'write'],
};

export const USER_PERMISSION_COLUMNS: ColumnSet = { ...PERMISSION_COLUMNS, defaults: ['vhost', 'configure', 'write', 'read'] };

export const POLICY_COLUMNS: ColumnSet = {
  defaults: ['vhost', 'name', 'pattern', 'apply-to', 'definition', 'priority'],
  fields: ['apply-to', 'definition', 'name', 'pattern', 'priority', 'vhost'],
};

const topField = (column: string): string => column.split('.')[0]!;

/** The value of one column in one API object (undefined when the object lacks it). */
export function columnValue(set: ColumnSet, row: Row, column: string): unknown {
  const derived = set.derived?.[column];
  if (derived) return derived.value(row);
  if (column in row) return row[column];
  let value: unknown = row;
  for (const key of column.split('.')) {
    if (!value || typeof value !== 'object' || Array.isArray(value) || !(key in value)) return undefined;
    value = (value as Row)[key];
  }
  return value;
}

/** The API fields to ask for with ?columns= so the broker sends only what is shown. */
export function apiFields(set: ColumnSet, columns: readonly string[]): string[] {
  const fields = new Set<string>();
  for (const column of columns) {
    for (const field of set.derived?.[column]?.from ?? [topField(column)]) fields.add(field);
  }
  return [...fields];
}

/**
 * Refuses columns that are neither known nor present in any returned object. A broker may return
 * more fields than this list knows; those are accepted as soon as one object carries them.
 */
export function checkColumns(set: ColumnSet, columns: readonly string[], rows: readonly Row[], command: string): void {
  const unknown = columns.filter(
    (column) =>
      !set.derived?.[column] && !set.fields.includes(topField(column)) && !rows.some((row) => topField(column) in row),
  );
  if (unknown.length > 0) {
    const s = unknown.length > 1 ? 's' : '';
    throw new UsageError(`unknown column${s} ${unknown.map((c) => `'${c}'`).join(', ')} for ${command} (the known columns are listed below)`, command);
  }
}

export function knownColumns(set: ColumnSet): string[] {
  return [...new Set([...set.fields, ...Object.keys(set.derived ?? {})])].sort();
}
