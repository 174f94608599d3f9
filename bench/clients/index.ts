import type { Client, ClientKind } from './client.js';
import { amqplibClient } from './amqplib-client.js';
import { rawClient } from './raw/raw-client.js';

export function clientFor(kind: ClientKind): Client {
  return kind === 'raw' ? rawClient : amqplibClient;
}
