// Command-line options of `npm run bench`.
import { parseArgs } from 'node:util';
import type { ClientKind } from './clients/client.js';

export interface CliOptions {
  durationMs: number;
  warmupMs: number;
  /** runs per scenario and broker; undefined: 2 when comparing, else 1 */
  rounds: number | undefined;
  scenarios: string[];
  backlogCount: number;
  url: string | undefined;
  pid: number | null;
  against: string | undefined;
  againstPid: number | null;
  /** base URL of the --against broker's management API (management-api scenarios skip it without) */
  againstManagement: string | undefined;
  nullBroker: boolean;
  client: ClientKind;
  jsonFile: string | undefined;
  list: boolean;
  help: boolean;
}

const DEFAULT_BACKLOG_COUNT = 1_000_000;

export const USAGE = `Usage: npm run bench -- [options]

Brokers (default: an embedded Warren, started in a child process of its own)
  --url URL            benchmark only this running broker instead
  --pid PID            its OS pid, for CPU and RSS figures
  --null               benchmark the null broker: relays each publish straight to a consumer (no queue,
                       acks ignored, prefetch not enforced) or discards it: the generator's own ceiling
  --against URL        also run every scenario on this broker, alternating with the first (A B A B)
  --against-pid PID    its OS pid
  --against-management URL
                       its management HTTP API, e.g. http://guest:guest@127.0.0.1:15673 (credentials
                       default to guest/guest); without it management-10k-queues skips that broker

Runs
  --scenario NAME      run only this scenario (repeat, or separate names with commas);
                       heavy scenarios (see --list) run only when named
  --backlog-count N    messages published by the heavy scenarios (default 1000000)
  --duration S         measured seconds per run (default 10)
  --warmup S           unmeasured seconds before each measurement (default 1)
  --rounds N           runs per scenario and broker, summarised by their median
                       (default 2 with --against, else 1; heavy scenarios default to 1)
  --client raw|amqplib load-generator client (default raw: a lean hand-written AMQP client)
  --json FILE          also write every run's figures to FILE
  --list               list the scenarios and exit
`;

export function parseCli(argv: string[]): CliOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      duration: { type: 'string' },
      warmup: { type: 'string' },
      rounds: { type: 'string' },
      scenario: { type: 'string', multiple: true },
      'backlog-count': { type: 'string' },
      url: { type: 'string' },
      pid: { type: 'string' },
      against: { type: 'string' },
      'against-pid': { type: 'string' },
      'against-management': { type: 'string' },
      null: { type: 'boolean' },
      client: { type: 'string' },
      json: { type: 'string' },
      list: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const client = values.client ?? 'raw';
  if (client !== 'raw' && client !== 'amqplib') throw new Error(`--client must be raw or amqplib, not ${client}`);
  if (values.url && values.null) throw new Error('--url and --null both name the broker to measure; give one');
  if (values['against-management'] && !values.against) throw new Error('--against-management is the management API of the --against broker; give --against too');
  return {
    durationMs: seconds(values.duration, 10, '--duration'),
    warmupMs: seconds(values.warmup, 1, '--warmup'),
    rounds: values.rounds === undefined ? undefined : positiveInt(values.rounds, '--rounds'),
    scenarios: (values.scenario ?? []).flatMap((s) => s.split(',')).filter(Boolean),
    backlogCount: values['backlog-count'] === undefined ? DEFAULT_BACKLOG_COUNT : positiveInt(values['backlog-count'], '--backlog-count'),
    url: values.url,
    pid: values.pid === undefined ? null : positiveInt(values.pid, '--pid'),
    against: values.against,
    againstPid: values['against-pid'] === undefined ? null : positiveInt(values['against-pid'], '--against-pid'),
    againstManagement: values['against-management'] === undefined ? undefined : httpUrl(values['against-management'], '--against-management'),
    nullBroker: values.null ?? false,
    client,
    jsonFile: values.json,
    list: values.list ?? false,
    help: values.help ?? false,
  };
}

function seconds(text: string | undefined, fallback: number, flag: string): number {
  const value = text === undefined ? fallback : Number(text);
  if (!(value >= 0)) throw new Error(`${flag} needs a number of seconds, not ${text}`);
  return Math.round(value * 1000);
}

function positiveInt(text: string, flag: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${flag} needs a positive integer, not ${text}`);
  return value;
}

function httpUrl(text: string, flag: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error(`${flag} needs a URL such as http://guest:guest@127.0.0.1:15673, not ${text}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`${flag} needs an http: or https: URL, not ${text}`);
  return text;
}
