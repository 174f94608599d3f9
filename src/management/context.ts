// What the management API reads and changes: the broker model, the AMQP listener (connections), and
// the facts about this node it reports.
import type { Broker } from '../broker/broker.js';
import type { AmqpServer } from '../server/server.js';
import type { RateSampler } from './rates.js';

export interface Listener {
  protocol: 'amqp' | 'amqp/ssl' | 'http' | 'https' | 'prometheus';
  ip_address: string;
  port: number;
}

export interface ManagementContext {
  broker: Broker;
  amqp: AmqpServer;
  version: string;
  /** warren@<hostname>, in the place of RabbitMQ's Erlang node name */
  nodeName: string;
  startedAt: number;
  rates: RateSampler;
  listeners: Listener[];
  /** Data directory, for the node's disk figures (null: in memory). */
  dataDir: string | null;
}
