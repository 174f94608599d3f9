// Runs `warren ctl` as a real child process against the management API of managementTarget(), and
// checks its exit code and output. Used by test/cli/ctl*.test.ts.
//
// Each child costs most of a second of CPU (tsx), so the ctl tests are split over two files (one
// file must finish within the runner's per-file timeout) and their suites run side by side.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { ChannelModel } from 'amqplib';
import { sleep } from './amqp-expect.js';
import { managementTarget, type ManagementTarget } from './management.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

/** warren ctl's exit codes (docs/cli.md). */
export const EXIT = { OK: 0, USAGE: 64, DATA: 65, NO_INPUT: 66, NOT_FOUND: 67, UNAVAILABLE: 69, SOFTWARE: 70, CANT_CREATE: 73, TEMP_FAIL: 75, NO_PERM: 77 };

/** Prefix of every name a test makes: several runs can share one broker. */
export const ID = `ctl-${process.pid}`;
export const NO_VHOST = `${ID}-no-such-vhost`;
export const NOBODY = `${ID}-nobody`;

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

let current: ManagementTarget | undefined;
let scratch: string | undefined;
const cleanupPaths: string[] = [];
const connections: ChannelModel[] = [];

/** Sets up the broker before the file's tests and removes what they made after them. */
export function useCtlTarget(): void {
  before(async () => {
    current = await managementTarget();
  });
  after(async () => {
    for (const conn of connections) await conn.close().catch(() => {});
    if (current) for (const path of cleanupPaths) await current.request('DELETE', path).catch(() => {});
    await current?.close();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });
}

export function target(): ManagementTarget {
  assert.ok(current, 'useCtlTarget() sets the target up before the tests');
  return current;
}

/** A directory for the files of this test file, removed at the end. */
export function tmp(): string {
  scratch ??= mkdtempSync(join(tmpdir(), 'warren-ctl-'));
  return scratch;
}

/** DELETE this API path at the end, whatever happens. */
export function cleanup(...paths: string[]): void {
  cleanupPaths.push(...paths);
}

/** Close this AMQP connection at the end. */
export function track(conn: ChannelModel): ChannelModel {
  connections.push(conn);
  return conn;
}

export const enc = encodeURIComponent;
export const queuePath = (name: string, vhost = '/'): string => `/api/queues/${enc(vhost)}/${enc(name)}`;

/** Runs `warren ARGS`, pointed at the test broker as guest (env overrides win). */
export function warren(args: string[], env: Record<string, string | undefined> = {}, input?: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], {
      env: { ...process.env, WARREN_MGMT_URL: target().base, WARREN_MGMT_USER: 'guest', WARREN_MGMT_PASSWORD: 'guest', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input ?? '');
  });
}

export const ctl = (args: string[], env: Record<string, string | undefined> = {}, input?: string): Promise<Run> =>
  warren(['ctl', ...args], env, input);

export function expectExit(run: Run, code: number, stderrPattern?: RegExp): void {
  const shown = `exit ${run.code}\nstdout: ${run.stdout}\nstderr: ${run.stderr}`;
  assert.equal(run.code, code, shown);
  if (stderrPattern) assert.match(run.stderr, stderrPattern, shown);
}

/** `warren ctl ARGS --format json`, which must succeed: its parsed stdout. */
export async function ctlJson<T = Record<string, unknown>[]>(args: string[]): Promise<T> {
  const run = await ctl([...args, '--format', 'json']);
  expectExit(run, EXIT.OK);
  assert.equal(run.stderr, '', 'JSON mode prints no informational lines');
  return JSON.parse(run.stdout) as T;
}

/**
 * Waits until the management API shows what `ready` looks for: RabbitMQ's statistics (message
 * counts, connections, consumers, a queue's policy) reach it only every few seconds. Polling the
 * API here, rather than the command, keeps each command to one run.
 */
export async function untilApi(what: string, ready: () => Promise<boolean>, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await ready())) {
    if (Date.now() > deadline) throw new Error(`the management API did not show ${what} within ${ms} ms`);
    await sleep(500);
  }
}

export const rowWith = <T extends Record<string, unknown>>(rows: T[], key: string, value: unknown): T | undefined =>
  rows.find((row) => row[key] === value);

/** `text` as a literal inside a RegExp. */
export const esc = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The management API's JSON for a path, as guest (status 200 checked). */
export async function apiGet<T = Record<string, unknown>>(path: string): Promise<T> {
  const res = await target().request('GET', path);
  assert.equal(res.status, 200, `GET ${path}`);
  return (await res.json()) as T;
}

export const apiList = (path: string): Promise<Record<string, unknown>[]> => apiGet<Record<string, unknown>[]>(path);

export async function apiPut(path: string, body?: unknown): Promise<void> {
  const res = await target().request('PUT', path, body);
  assert.ok(res.status === 201 || res.status === 204, `PUT ${path}: ${res.status} ${await res.text()}`);
}

/** Listens on an ephemeral loopback port: the port. */
export async function listen(server: { listen(port: number, host: string, cb: () => void): unknown; address(): unknown }): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

/** One suite: its tests in order (the suites of a file run side by side). */
export function suite(name: string, body: () => void): void {
  describe(name, { concurrency: 1 }, body);
}
