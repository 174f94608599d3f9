// What a producer or consumer worker needs from an AMQP client. Two implementations exist
// (amqplib and a lean raw-protocol one) so the generator's own cost can be measured and chosen.

export type ClientKind = 'raw' | 'amqplib';

export interface PublisherOptions {
  exchange: string;
  persistent: boolean;
  /** set: put the channel in confirm mode; the caller keeps at most this many publishes unconfirmed */
  confirmWindow?: number;
  /** called as the broker confirms publishes, with counts (not one call per message where the client can batch) */
  onSettled(acked: number, nacked: number): void;
  /** the connection failed after opening (broker closed it, socket error) */
  onFailure(err: Error): void;
}

export interface Publisher {
  /**
   * Sends one message; the body is copied before this returns, so the caller may reuse it.
   * false: the socket's buffer is over its high-water mark; wait for `waitForDrain()` before publishing more.
   */
  publish(routingKey: string, body: Buffer): boolean;
  waitForDrain(): Promise<void>;
  close(): Promise<void>;
}

export interface ConsumerOptions {
  queue: string;
  prefetch: number;
  /** false: the broker considers each message delivered once sent (no acks) */
  manualAck: boolean;
  /** the body may be a view into a network buffer: read it before returning */
  onMessage(body: Buffer, deliveryTag: number): void;
  /** the connection failed after opening (broker closed it, socket error) */
  onFailure(err: Error): void;
}

export interface Consumer {
  ack(deliveryTag: number): void;
  close(): Promise<void>;
}

/** A connection with one channel open that sends nothing more until closed. */
export interface IdleConnection {
  close(): Promise<void>;
}

export interface Client {
  openPublisher(url: string, options: PublisherOptions): Promise<Publisher>;
  openConsumer(url: string, options: ConsumerOptions): Promise<Consumer>;
  /** `onFailure`: the connection failed after opening (broker closed it, socket error) */
  openIdleConnection(url: string, onFailure: (err: Error) => void): Promise<IdleConnection>;
}
