// Resource alarms, as RabbitMQ raises them: when free disk space in the data directory falls below a
// limit, or the broker's memory rises above a watermark, every connection that publishes is blocked
// (connection.blocked, and its socket is no longer read) until the alarm clears; consumers go on
// draining, which is how a full disk or memory is survived without losing anything.
import { statfsSync } from 'node:fs';
import { totalmem } from 'node:os';
import type { Logger } from './logger.js';

export interface AlarmSettings {
  /** Directory whose file system is watched; none: no disk alarm. */
  dataDir: string | null;
  /** Bytes of free disk below which the disk alarm goes off (RabbitMQ's default: 50 MB). */
  diskFreeLimit: number;
  /** Fraction of the machine's memory above which the memory alarm goes off (RabbitMQ's default: 0.4). */
  memoryHighWatermark: number;
}

export const DEFAULT_ALARMS: Omit<AlarmSettings, 'dataDir'> = { diskFreeLimit: 50_000_000, memoryHighWatermark: 0.4 };

const CHECK_INTERVAL_MS = 1000;

export interface AlarmListener {
  alarmRaised(reason: string): void;
  alarmCleared(): void;
}

export class ResourceAlarms {
  private disk = false;
  private memory = false;
  /** Readings of the last check, for the management API's node figures. */
  diskFree = -1;
  memoryLimit = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private settings: AlarmSettings,
    private readonly listener: AlarmListener,
    private readonly log: Logger,
  ) {}

  get diskAlarm(): boolean {
    return this.disk;
  }

  get memoryAlarm(): boolean {
    return this.memory;
  }

  get diskFreeLimit(): number {
    return this.settings.diskFreeLimit;
  }

  /** What is low while an alarm is on, in RabbitMQ's words; null when none is. */
  get reason(): string | null {
    if (this.disk) return 'low on disk';
    if (this.memory) return 'low on memory';
    return null;
  }

  start(): void {
    this.check();
    this.timer = setInterval(() => this.check(), CHECK_INTERVAL_MS).unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Changes a limit at run time (like rabbitmqctl set_disk_free_limit) and re-checks at once. */
  configure(change: Partial<Omit<AlarmSettings, 'dataDir'>>): void {
    this.settings = { ...this.settings, ...change };
    this.check();
  }

  check(): void {
    const before = this.reason;
    const { dataDir, diskFreeLimit, memoryHighWatermark } = this.settings;
    if (dataDir) {
      try {
        const st = statfsSync(dataDir);
        const free = st.bavail * st.bsize;
        this.diskFree = free;
        this.disk = free < diskFreeLimit;
        if (this.disk && before !== 'low on disk') {
          this.log.warn(`disk alarm: ${free} bytes free in ${dataDir}, below the limit of ${diskFreeLimit}; publishers are blocked`);
        }
      } catch (err) {
        this.log.warn(`cannot read free disk space of ${dataDir}: ${(err as Error).message}`);
      }
    }
    const rss = process.memoryUsage.rss();
    const limit = memoryHighWatermark * totalmem();
    this.memoryLimit = Math.round(limit);
    this.memory = rss > limit;
    if (this.memory && before !== 'low on memory' && !this.disk) {
      this.log.warn(`memory alarm: ${rss} bytes in use, above the high watermark of ${Math.round(limit)}; publishers are blocked`);
    }
    const after = this.reason;
    if (after && after !== before) this.listener.alarmRaised(after);
    else if (!after && before) {
      this.log.info('resource alarm cleared; publishers are unblocked');
      this.listener.alarmCleared();
    }
  }
}
