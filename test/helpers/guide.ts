// Small pieces shared by the guide tests (test/guide): collecting deliveries without sleeping, and reading
// the vhost out of the broker URL for error texts that name it.
import type { Channel, ConsumeMessage } from 'amqplib';

export function vhostOf(url: string): string {
  const path = new URL(url).pathname;
  return path.length > 1 ? decodeURIComponent(path.slice(1)) : '/';
}

/** Deliveries to one consumer, with a way to await the n-th. */
export class Inbox {
  readonly messages: ConsumeMessage[] = [];
  private waiters: Array<{ count: number; resolve: () => void }> = [];

  readonly onMessage = (msg: ConsumeMessage | null): void => {
    if (!msg) return;
    this.messages.push(msg);
    this.waiters = this.waiters.filter((w) => {
      if (this.messages.length >= w.count) {
        w.resolve();
        return false;
      }
      return true;
    });
  };

  /** Resolves once `count` messages have arrived in total. */
  async waitFor(count: number): Promise<ConsumeMessage[]> {
    if (this.messages.length < count) {
      await new Promise<void>((resolve) => this.waiters.push({ count, resolve }));
    }
    return this.messages.slice(0, count);
  }

  bodies(): string[] {
    return this.messages.map((m) => m.content.toString());
  }
}

/** Consumes `queue` on `ch` (manual acks) into a fresh Inbox. */
export async function consumeInto(ch: Channel, queue: string): Promise<Inbox> {
  const inbox = new Inbox();
  await ch.consume(queue, inbox.onMessage);
  return inbox;
}

/** Resolves with the error the server closes the channel with (listening also keeps it from being thrown). */
export function channelError(ch: Channel): Promise<Error> {
  return new Promise((resolve) => {
    ch.once('error', (err: Error) => resolve(err));
  });
}
