// The `warren` command: help, settings from flags and environment, the ready line, and a clean
// shutdown on SIGTERM/SIGINT that closes clients with 320 CONNECTION_FORCED.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import amqp from 'amqplib';
import { connectionClosed } from '../helpers/amqp-expect.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const NODE_ARGS = ['--import', 'tsx', MAIN];

function warren(args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [...NODE_ARGS, ...args], { encoding: 'utf8', env: { ...process.env, ...env } });
}

interface Server {
  child: ChildProcess;
  port: number;
  readyLine: string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts `warren server` and resolves once it has logged that it is ready. */
function startServer(args: string[], env: Record<string, string> = {}): Promise<Server> {
  const child = spawn(process.execPath, [...NODE_ARGS, 'server', ...args], {
    // free management and Prometheus ports, so servers of parallel tests do not compete for 15672 and 15692
    env: { ...process.env, WARREN_MANAGEMENT_PORT: '0', WARREN_PROMETHEUS_PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return new Promise((resolve, reject) => {
    let err = '';
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (s: string) => {
      err += s;
      const line = err.split('\n').find((l) => l.includes('ready to accept'));
      const m = line && /:(\d+) \(/.exec(line);
      if (line && m) resolve({ child, port: Number(m[1]), readyLine: line, exited });
    });
    child.on('exit', (code) => reject(new Error(`warren exited with ${code} before it was ready:\n${err}`)));
  });
}

const tmp = mkdtempSync(join(tmpdir(), 'warren-cli-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

describe('warren command', () => {
  test('--help lists the server options', () => {
    const r = warren(['--help']);
    assert.equal(r.status, 0);
    for (const opt of ['server', '--port', '--host', '--data-dir', 'WARREN_PORT']) assert.match(r.stdout, new RegExp(opt));
  });

  test('an unknown command is an error that shows the usage', () => {
    const r = warren(['frobnicate']);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /unknown command 'frobnicate'/);
  });

  test('an invalid port is refused with a message saying what is wrong', () => {
    const r = warren(['server', '--port', 'eighty']);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /invalid port 'eighty'/);
  });

  test('server logs one ready line with its address and creates the data dir', async () => {
    const dataDir = join(tmp, 'flags', 'data');
    const s = await startServer(['--port', '0', '--host', '127.0.0.1', '--data-dir', dataDir]);
    try {
      assert.match(s.readyLine, /ready to accept AMQP connections on 127\.0\.0\.1:\d+/);
      assert.ok(existsSync(dataDir));
      const conn = await amqp.connect(`amqp://guest:guest@127.0.0.1:${s.port}`);
      await conn.close();
    } finally {
      s.child.kill('SIGKILL');
      await s.exited;
    }
  });

  test('settings come from WARREN_* environment variables too', async () => {
    const dataDir = join(tmp, 'env', 'data');
    const s = await startServer([], { WARREN_PORT: '0', WARREN_HOST: '127.0.0.1', WARREN_DATA_DIR: dataDir });
    try {
      assert.match(s.readyLine, /on 127\.0\.0\.1:\d+/);
      assert.ok(existsSync(dataDir));
    } finally {
      s.child.kill('SIGKILL');
      await s.exited;
    }
  });

  test('a config file gives settings; the environment beats it and a flag beats both', async () => {
    const dir = join(tmp, 'config');
    mkdirSync(dir, { recursive: true });
    const conf = join(dir, 'warren.conf');
    writeFileSync(conf, `# a Warren config file\nport = 0\nhost = 127.0.0.1\ndata-dir = ${join(dir, 'from-file')}\nlog-format = json   # for the shipper\nno-management = true\n`);
    // data-dir: the file says from-file, the environment from-env, the flag from-flag
    const s = await startServer(['--config', conf, '--data-dir', join(dir, 'from-flag')], { WARREN_DATA_DIR: join(dir, 'from-env') });
    try {
      const ready = JSON.parse(s.readyLine) as { level: string; msg: string };
      assert.equal(ready.level, 'info');
      assert.match(ready.msg, /ready to accept AMQP connections on 127\.0\.0\.1:\d+/);
      assert.doesNotMatch(ready.msg, /management/, 'no-management = true in the file');
      assert.ok(existsSync(join(dir, 'from-flag')));
      assert.ok(!existsSync(join(dir, 'from-env')) && !existsSync(join(dir, 'from-file')));
    } finally {
      s.child.kill('SIGKILL');
      await s.exited;
    }
    const e = await startServer(['--config', conf], { WARREN_DATA_DIR: join(dir, 'from-env') });
    try {
      assert.ok(existsSync(join(dir, 'from-env')));
    } finally {
      e.child.kill('SIGKILL');
      await e.exited;
    }
  });

  test('a bad config file or value stops the server with a message naming the line or the source', () => {
    const conf = join(tmp, 'bad.conf');
    writeFileSync(conf, 'port = 0\nprot = 5672\n');
    let r = warren(['server', '--config', conf]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /bad\.conf:2: unknown setting 'prot'/);
    writeFileSync(conf, 'port = 0\nlog-level = loud\n');
    r = warren(['server', '--config', conf]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /invalid log-level 'loud' \(.*bad\.conf\): expected debug \| info \| warn \| error/);
    r = warren(['server', '--config', join(tmp, 'missing.conf')]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /cannot read config file .*missing\.conf/);
    r = warren(['server', '--port', '0', '--tls-cert', join(tmp, 'nope.pem')]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /TLS needs both tls-cert and tls-key/);
  });

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    test(`${signal} closes clients with 320 CONNECTION_FORCED and exits 0`, async () => {
      const s = await startServer(['--port', '0', '--host', '127.0.0.1', '--data-dir', join(tmp, signal)]);
      const conn = await amqp.connect(`amqp://guest:guest@127.0.0.1:${s.port}`);
      conn.on('error', () => {}); // the 320 close is reported as an error too
      const closed = connectionClosed(conn);
      s.child.kill(signal);
      const close = await closed;
      assert.equal(close.code, 320);
      assert.match(close.text, /^CONNECTION_FORCED - /);
      assert.deepEqual(await s.exited, { code: 0, signal: null });
    });
  }
});
