// Runs a management-api plan: declare many queues over one connection (pipelined, as declare-rate.ts
// does), publish a few messages into some of them, wait until the broker's management HTTP API lists
// every queue and message (RabbitMQ's figures come from stats emitted every 5 s), then time each of
// MANAGEMENT_REQUESTS over one keep-alive connection, in rounds so that noise on the machine falls on
// every request alike; then delete the queues. The broker's memory is read before declaring, with the
// queues in place, and sampled while the requests run.
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { BrokerMonitor } from './broker-monitor.js';
import { RawPipeline } from './clients/raw/raw-pipeline.js';
import { pipelined, type PipelineShape } from './declare-rate.js';
import { MANAGEMENT_REQUESTS, type ManagementApiMeasurements, type ManagementFigure } from './measurements.js';
import { rssBytes } from './proc-stats.js';
import type { BrokerEndpoint } from './run-context.js';
import type { ManagementApiPlan } from './scenario-types.js';
import { elapsedMs, sleep } from './timing.js';

/** RabbitMQ's stats can lag by its collection interval (5 s) and more on a busy node. */
const CATCH_UP_LIMIT_MS = 120_000;
const CATCH_UP_POLL_MS = 250;
/** The unpaged list of 10,000 queues takes seconds on RabbitMQ; far longer means something is wrong. */
const REQUEST_TIMEOUT_MS = 120_000;
/** Before the first reading: a broker the bench just started is still allocating. */
const SETTLE_MS = 1000;
/** The largest page RabbitMQ (and Warren) serve. */
const MAX_PAGE_SIZE = 500;
const MESSAGE_BODY = Buffer.alloc(64, 'x');

export async function runManagementApi(plan: ManagementApiPlan, broker: BrokerEndpoint): Promise<ManagementApiMeasurements> {
  if (!broker.managementUrl) throw new Error('no management API URL for this broker');
  const api = new ManagementClient(broker.managementUrl);
  const rssMb = (): number | null => (broker.pid === null ? null : rssBytes(broker.pid) / 2 ** 20);
  const queue = (i: number): string => `${plan.queuePrefix}${i}`;
  const shape: PipelineShape = { queues: plan.queues, channels: plan.channels, inFlight: plan.inFlight };
  const pipe = await RawPipeline.open(broker.url, plan.channels);
  let declared = 0;
  let deleted = false;
  try {
    await sleep(SETTLE_MS);
    const rssBeforeMb = rssMb();
    await pipelined(pipe, shape, 1, 'declaring', (channel, i) => {
      pipe.declareQueue(channel, queue(i), false);
      declared = i + 1;
    });
    let expectedMessages = 0;
    for (let i = 0; i < plan.queues; i += plan.messagesEvery) {
      const count = ((i / plan.messagesEvery) % plan.maxMessagesPerQueue) + 1;
      for (let k = 0; k < count; k++) pipe.publishTo(1, queue(i), MESSAGE_BODY);
      expectedMessages += count;
    }
    await pipe.roundTrip(1);
    const publishedNs = process.hrtime.bigint();
    await awaitCatchUp(api, plan, expectedMessages);
    const apiCatchUpMs = elapsedMs(publishedNs);
    const rssWithQueuesMb = rssMb();

    const monitor = broker.pid === null ? null : new BrokerMonitor(broker.pid);
    monitor?.start();
    const timed = await timeRequests(api, plan.repetitions).finally(() => monitor?.stop());
    const usage = monitor?.finish() ?? null;

    await pipelined(pipe, shape, 1, 'deleting', (channel, i) => pipe.deleteQueue(channel, queue(i)));
    deleted = true;
    return {
      ...timed.times,
      rssBeforeMb,
      apiCatchUpMs,
      rssWithQueuesMb,
      allQueuesMb: timed.allQueuesBytes / 2 ** 20,
      requestsPeakRssMb: usage ? usage.peakRssBytes / 2 ** 20 : null,
      requestsBrokerCpuCores: usage ? usage.cpuSeconds / usage.windowSeconds : null,
    };
  } finally {
    api.close();
    await pipe.close();
    if (!deleted && declared > 0) await cleanUp(broker.url, shape, plan.queuePrefix, declared);
  }
}

/**
 * Until the API counts at least the plan's queues in its overview and, filtered by this run's prefix,
 * lists all of them with every message published (the top pages sorted by messages hold them all).
 */
async function awaitCatchUp(api: ManagementClient, plan: ManagementApiPlan, expectedMessages: number): Promise<void> {
  const deadline = Date.now() + CATCH_UP_LIMIT_MS;
  const queuesWithMessages = Math.ceil(plan.queues / plan.messagesEvery);
  const pages = Math.ceil(queuesWithMessages / MAX_PAGE_SIZE);
  const prefix = encodeURIComponent(plan.queuePrefix);
  for (;;) {
    const overview = (await api.getJson('/api/overview')) as { object_totals?: { queues?: number } };
    const totalQueues = overview.object_totals?.queues ?? 0;
    let listed = 0;
    let messages = 0;
    if (totalQueues >= plan.queues) {
      for (let page = 1; page <= pages; page++) {
        const path =
          `/api/queues/%2F?page=${page}&page_size=${MAX_PAGE_SIZE}&name=${prefix}&use_regex=false` +
          '&sort=messages&sort_reverse=true&columns=name,messages';
        const body = (await api.getJson(path)) as { filtered_count?: number; items?: { messages?: number }[] };
        listed = body.filtered_count ?? 0;
        for (const item of body.items ?? []) messages += item.messages ?? 0;
      }
      if (listed === plan.queues && messages === expectedMessages) return;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `the management API did not catch up within ${CATCH_UP_LIMIT_MS / 1000} s: overview counts ${totalQueues} queues, ` +
          `${listed} of ${plan.queues} listed, ${messages} of ${expectedMessages} messages`,
      );
    }
    await sleep(CATCH_UP_POLL_MS);
  }
}

type RequestTimes = Pick<ManagementApiMeasurements, `${ManagementFigure}Ms` | `${ManagementFigure}MaxMs`>;

/**
 * One untimed round (which also checks each answer and says what it held), then `repetitions` timed
 * rounds of every request in turn; each request's median and slowest time.
 */
async function timeRequests(api: ManagementClient, repetitions: number): Promise<{ times: RequestTimes; allQueuesBytes: number }> {
  const figures = Object.keys(MANAGEMENT_REQUESTS) as ManagementFigure[];
  const samples = new Map<ManagementFigure, number[]>(figures.map((f) => [f, []]));
  let allQueuesBytes = 0;
  const seen: string[] = [];
  for (let round = 0; round <= repetitions; round++) {
    for (const figure of figures) {
      const { ms, body } = await api.get(MANAGEMENT_REQUESTS[figure].path);
      if (figure === 'allQueues') allQueuesBytes = body.length;
      if (round === 0) seen.push(`${figure} ${describeAnswer(JSON.parse(body.toString('utf8')) as unknown)}`);
      else samples.get(figure)!.push(ms);
    }
  }
  console.log(`  management API answers: ${seen.join('; ')}`);
  const times = {} as RequestTimes;
  for (const figure of figures) {
    const sorted = samples.get(figure)!.sort((a, b) => a - b);
    const mid = sorted.length >> 1;
    times[`${figure}Ms`] = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
    times[`${figure}MaxMs`] = sorted[sorted.length - 1]!;
  }
  return { times, allQueuesBytes };
}

/** What an answer held, for the log: a page's counts, a list's length, the overview's queue count. */
function describeAnswer(json: unknown): string {
  if (Array.isArray(json)) return `${json.length} items`;
  const o = json as { items?: unknown[]; filtered_count?: number; total_count?: number; object_totals?: { queues?: number } };
  if (Array.isArray(o.items)) return `${o.items.length} items of ${o.filtered_count} filtered, ${o.total_count} total`;
  if (o.object_totals) return `${o.object_totals.queues} queues`;
  return 'an object';
}

/** After a failed run: delete what may have been declared, on a fresh connection, so the broker is left clean. */
async function cleanUp(url: string, shape: PipelineShape, queuePrefix: string, declared: number): Promise<void> {
  try {
    const pipe = await RawPipeline.open(url, shape.channels);
    try {
      await pipelined(pipe, { ...shape, queues: declared }, 1, 'cleanup', (channel, i) => pipe.deleteQueue(channel, `${queuePrefix}${i}`));
    } finally {
      await pipe.close();
    }
  } catch (err) {
    console.error(`  cleanup failed: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/**
 * GETs against one management API over one keep-alive connection, as a browser tab would make them.
 * Credentials come from the base URL (guest/guest when it has none) and go in a Basic header.
 */
class ManagementClient {
  private readonly base: URL;
  private readonly authorization: string;
  private readonly agent: HttpAgent;
  private readonly request: typeof httpRequest;

  constructor(baseUrl: string) {
    this.base = new URL(baseUrl);
    const user = decodeURIComponent(this.base.username) || 'guest';
    const password = decodeURIComponent(this.base.password) || 'guest';
    this.authorization = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
    const https = this.base.protocol === 'https:';
    this.agent = https ? new HttpsAgent({ keepAlive: true, maxSockets: 1 }) : new HttpAgent({ keepAlive: true, maxSockets: 1 });
    this.request = https ? httpsRequest : httpRequest;
  }

  /** Timed from sending the request to the last byte of the answer; any status but 200 fails. */
  get(path: string): Promise<{ ms: number; body: Buffer }> {
    const prefix = this.base.pathname.replace(/\/$/, '');
    return new Promise((resolve, reject) => {
      const startedNs = process.hrtime.bigint();
      const req = this.request(
        {
          protocol: this.base.protocol,
          hostname: this.base.hostname,
          port: this.base.port,
          path: `${prefix}${path}`,
          headers: { authorization: this.authorization, accept: 'application/json' },
          agent: this.agent,
          timeout: REQUEST_TIMEOUT_MS,
        },
        (res: IncomingMessage) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('error', reject);
          res.on('end', () => {
            const ms = elapsedMs(startedNs);
            const body = Buffer.concat(chunks);
            if (res.statusCode !== 200) reject(new Error(`GET ${path}: ${res.statusCode} ${body.toString('utf8', 0, 200)}`));
            else resolve({ ms, body });
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error(`GET ${path}: no answer in ${REQUEST_TIMEOUT_MS / 1000} s`)));
      req.on('error', reject);
      req.end();
    });
  }

  async getJson(path: string): Promise<unknown> {
    return JSON.parse((await this.get(path)).body.toString('utf8')) as unknown;
  }

  close(): void {
    this.agent.destroy();
  }
}
