// AMQP field tables and message properties as the management API writes and reads them in JSON.
import { tableToJson, type Json } from '../amqp/field-json.js';
import type { FieldTable } from '../amqp/field-table.js';
import type { BasicProperties } from '../amqp/spec.js';
import { tableOfJson } from '../broker/definitions-import.js';
import { badRequest } from './http-error.js';

export { tableToJson, type Json } from '../amqp/field-json.js';

/** JSON arguments for declaring (queues, exchanges, bindings), typed as RabbitMQ types them. */
export function argumentsFromJson(v: unknown): FieldTable {
  if (v === undefined || v === null || v === '') return new Map();
  if (typeof v !== 'object' || Array.isArray(v)) throw badRequest(`arguments must be a JSON object, not ${JSON.stringify(v)}`);
  try {
    return tableOfJson(v as { [key: string]: unknown });
  } catch (err) {
    throw badRequest((err as Error).message);
  }
}

const PROPERTY_NAMES: [keyof BasicProperties, string][] = [
  ['contentType', 'content_type'],
  ['contentEncoding', 'content_encoding'],
  ['headers', 'headers'],
  ['deliveryMode', 'delivery_mode'],
  ['priority', 'priority'],
  ['correlationId', 'correlation_id'],
  ['replyTo', 'reply_to'],
  ['expiration', 'expiration'],
  ['messageId', 'message_id'],
  ['timestamp', 'timestamp'],
  ['type', 'type'],
  ['userId', 'user_id'],
  ['appId', 'app_id'],
];

export function propertiesToJson(p: BasicProperties): { [key: string]: Json } {
  const out: { [key: string]: Json } = {};
  for (const [key, name] of PROPERTY_NAMES) {
    const v = p[key];
    if (v === undefined) continue;
    out[name] = key === 'headers' ? tableToJson(v as FieldTable) : (v as Json);
  }
  return out;
}

/** Properties of a message published through the API (POST /api/exchanges/{vhost}/{name}/publish). */
export function propertiesFromJson(v: unknown): BasicProperties {
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw badRequest('properties must be a JSON object');
  const o = v as { [key: string]: unknown };
  const p: BasicProperties = {};
  for (const [key, name] of PROPERTY_NAMES) {
    const x = o[name];
    if (x === undefined || x === null) continue;
    if (key === 'headers') p.headers = argumentsFromJson(x);
    else if (key === 'deliveryMode' || key === 'priority' || key === 'timestamp') {
      if (typeof x !== 'number' || !Number.isInteger(x) || x < 0) throw badRequest(`property ${name} must be a non-negative integer, not ${JSON.stringify(x)}`);
      (p as Record<string, unknown>)[key] = x;
    } else {
      if (typeof x !== 'string') throw badRequest(`property ${name} must be a string, not ${JSON.stringify(x)}`);
      (p as Record<string, unknown>)[key] = x;
    }
  }
  const unknown = Object.keys(o).filter((k) => !PROPERTY_NAMES.some(([, n]) => n === k));
  if (unknown.length > 0) throw badRequest(`unknown properties: ${unknown.join(', ')}`);
  return p;
}
