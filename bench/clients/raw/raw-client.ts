// The lean client: hand-written framing, one connection and one channel per publisher or consumer.
import type { Client } from '../client.js';
import { RawConnection } from './raw-connection.js';
import { RawConsumer } from './raw-consumer.js';
import { RawPublisher } from './raw-publisher.js';

export const rawClient: Client = {
  openPublisher: (url, options) => RawPublisher.open(url, options),
  openConsumer: (url, options) => RawConsumer.open(url, options),
  openIdleConnection: async (url, onFailure) => {
    const conn = await RawConnection.open(url);
    conn.onFailure = onFailure;
    return conn;
  },
};
