// The parent's side of one worker process: fork it (TypeScript through tsx's loader), send it
// messages, and await its replies. A worker that fails or exits early rejects whatever is awaited.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { FromWorker, ToWorker, WorkerProgress } from './messages.js';

const WORKER_ENTRY = fileURLToPath(new URL('./worker-main.ts', import.meta.url));
const TSX_LOADER = import.meta.resolve('tsx');

type Reply<T extends FromWorker['type']> = Extract<FromWorker, { type: T }>;

export class WorkerHandle {
  private readonly child: ChildProcess;
  private readonly inbox: FromWorker[] = [];
  private waiter: { type: FromWorker['type']; resolve(msg: FromWorker): void; reject(err: Error): void } | null = null;
  private failure: Error | null = null;
  private readonly exited: Promise<void>;
  private rejectFailed: (err: Error) => void = () => {};
  /** Rejects when the worker fails or exits; never resolves. For racing against long waits. */
  readonly failed: Promise<never>;
  /** Counted mode: called with each 'progress' message (which is not queued for next()). */
  onProgress: (progress: WorkerProgress) => void = () => {};

  constructor(readonly name: string) {
    this.child = fork(WORKER_ENTRY, [], {
      execArgv: ['--import', TSX_LOADER],
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.failed = new Promise<never>((_, reject) => (this.rejectFailed = reject));
    this.failed.catch(() => {}); // a failure nobody is racing against is reported through next()
    this.child.on('message', (msg: FromWorker) => {
      if (msg.type === 'progress') this.onProgress(msg);
      else if (msg.type === 'failed') this.fail(new Error(`${name}: ${msg.message}`));
      else if (this.waiter?.type === msg.type) {
        const { resolve } = this.waiter;
        this.waiter = null;
        resolve(msg);
      } else this.inbox.push(msg);
    });
    this.exited = new Promise((resolve) => {
      this.child.on('exit', (code, signal) => {
        this.fail(new Error(`${name} exited (${signal ?? code})`));
        resolve();
      });
    });
  }

  send(msg: ToWorker): void {
    if (this.child.connected) this.child.send(msg);
  }

  /** Resolves with the next message of this type. */
  next<T extends FromWorker['type']>(type: T): Promise<Reply<T>> {
    if (this.failure) return Promise.reject(this.failure);
    const queued = this.inbox.findIndex((m) => m.type === type);
    if (queued >= 0) return Promise.resolve(this.inbox.splice(queued, 1)[0] as Reply<T>);
    return new Promise((resolve, reject) => {
      this.waiter = { type, resolve: (msg) => resolve(msg as Reply<T>), reject };
    });
  }

  /** Asks the worker to close its connections and exit; kills it if it has not after `graceMs`. */
  async stop(graceMs = 3000): Promise<void> {
    this.send({ type: 'stop' });
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  private fail(err: Error): void {
    if (this.failure) return;
    this.failure = err;
    this.rejectFailed(err);
    const waiter = this.waiter;
    this.waiter = null;
    waiter?.reject(err);
  }
}
