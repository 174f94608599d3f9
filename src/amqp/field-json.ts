// AMQP field tables as JSON, the way RabbitMQ's management API and definitions files render them:
// integers as numbers, strings as strings (bytes that are not UTF-8 as base64), nested tables as
// objects, arrays as arrays.
import type { Field, FieldTable } from './field-table.js';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export function tableToJson(t: FieldTable): { [key: string]: Json } {
  const out: { [key: string]: Json } = {};
  for (const [k, f] of t) out[k] = fieldToJson(f);
  return out;
}

export function fieldToJson(f: Field): Json {
  switch (f.type) {
    case 'l':
      return Number(f.value);
    case 'S':
      return typeof f.value === 'string' ? f.value : f.value.toString('base64');
    case 'x':
      return f.value.toString('base64');
    case 'A':
      return f.value.map(fieldToJson);
    case 'F':
      return tableToJson(f.value);
    case 'D':
      return f.value.value / 10 ** f.value.scale;
    case 'V':
      return null;
    default:
      return f.value;
  }
}
