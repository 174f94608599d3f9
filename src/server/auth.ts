// SASL mechanisms RabbitMQ offers by default: PLAIN ("\0user\0password") and AMQPLAIN (a field
// table without its length prefix, holding LOGIN and PASSWORD).
import { Reader } from '../amqp/codec.js';
import { stringOf } from '../amqp/field-table.js';

export const MECHANISMS = 'PLAIN AMQPLAIN';

export interface Credentials {
  username: string;
  password: string;
}

/** Parses a start-ok response; undefined when the mechanism is known but the response malformed. */
export function parseCredentials(mechanism: string, response: Buffer): Credentials | undefined {
  if (mechanism === 'PLAIN') {
    const parts = response.toString('utf8').split('\0');
    if (parts.length !== 3) return undefined;
    return { username: parts[1], password: parts[2] };
  }
  if (mechanism === 'AMQPLAIN') {
    const framed = Buffer.allocUnsafe(4 + response.length);
    framed.writeUInt32BE(response.length, 0);
    response.copy(framed, 4);
    try {
      const t = new Reader().reset(framed, 0, framed.length).table();
      const username = stringOf(t.get('LOGIN'));
      const password = stringOf(t.get('PASSWORD'));
      if (username === undefined || password === undefined) return undefined;
      return { username, password };
    } catch {
      return undefined;
    }
  }
  return undefined;
}

export function isKnownMechanism(mechanism: string): boolean {
  return mechanism === 'PLAIN' || mechanism === 'AMQPLAIN';
}
