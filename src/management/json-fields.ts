// AMQP field tables and message properties as the management API writes and reads them in JSON.
import { fieldToJson, type Json } from '../amqp/field-json.js';
import type { Field, FieldTable } from '../amqp/field-table.js';
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

/** A header value as RabbitMQ's management API shows a message's headers. */
function headerToJson(f: Field): Json {
  switch (f.type) {
    case 'V':
      return 'undefined'; // Erlang's undefined atom, printed as a string
    case 'x':
      return f.value.toString('utf8'); // a byte array is shown as the string of its bytes
    case 'A':
      return f.value.map(headerToJson);
    case 'F': {
      const out: { [key: string]: Json } = {};
      for (const [k, v] of f.value) out[k] = headerToJson(v);
      return out;
    }
    default:
      return fieldToJson(f);
  }
}

/** A message's properties for POST …/get: snake_case names; none at all is [] (RabbitMQ's empty list). */
export function propertiesToJson(p: BasicProperties): { [key: string]: Json } | Json[] {
  const out: { [key: string]: Json } = {};
  for (const [key, name] of PROPERTY_NAMES) {
    const v = p[key];
    if (v === undefined) continue;
    out[name] = key === 'headers' ? headerToJson({ type: 'F', value: v as FieldTable }) : (v as Json);
  }
  return Object.keys(out).length === 0 ? [] : out;
}

/**
 * Properties of a message published through the API (POST /api/exchanges/{vhost}/{name}/publish).
 * Unknown keys are ignored, as RabbitMQ ignores them; wrongly typed ones are 400 with its terms.
 */
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
      if (typeof x !== 'number' || !Number.isInteger(x) || x < 0) throw badRequest(['not_int', name]);
      (p as Record<string, unknown>)[key] = x;
    } else {
      if (typeof x !== 'string') throw badRequest(['not_string', name]);
      (p as Record<string, unknown>)[key] = x;
    }
  }
  return p;
}
