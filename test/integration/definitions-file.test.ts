// A definitions file in RabbitMQ's format (test/fixtures/rabbitmq-3.10-definitions.json is a real
// GET /api/definitions export of RabbitMQ 3.10.8) loaded at start: startBroker({ definitions }) and
// `warren server --definitions`. Exchanges, queues, bindings and policies come in; users, permissions
// and parameters are ignored; a bad file stops the start with a message naming what is wrong.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import amqp, { type ChannelModel } from 'amqplib';
import { Broker } from '../../src/broker/broker.js';
import { DefinitionsError, importDefinitions } from '../../src/broker/definitions-import.js';
import { policyToJson } from '../../src/broker/policies.js';
import { startBroker } from '../../src/index.js';
import type { Logger } from '../../src/server/logger.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/rabbitmq-3.10-definitions.json', import.meta.url));
const EXPORT = JSON.parse(readFileSync(FIXTURE, 'utf8')) as Record<string, unknown>;
const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

const tmp = mkdtempSync(join(tmpdir(), 'warren-defs-file-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

let fileNo = 0;
function writeDefs(json: unknown): string {
  const path = join(tmp, `defs-${++fileNo}.json`);
  writeFileSync(path, typeof json === 'string' ? json : JSON.stringify(json));
  return path;
}

/** The export with one section changed. */
function withSection(key: string, value: unknown[]): Record<string, unknown> {
  return { ...EXPORT, [key]: value };
}

async function exists(conn: ChannelModel, kind: 'queue' | 'exchange', name: string): Promise<boolean> {
  const ch = await conn.createChannel();
  ch.on('error', () => {});
  try {
    if (kind === 'queue') await ch.checkQueue(name);
    else await ch.checkExchange(name);
    await ch.close();
    return true;
  } catch {
    return false;
  }
}

/** What the fixture defines is there and routes. */
async function checkImported(url: string): Promise<void> {
  const conn = await amqp.connect(url);
  try {
    for (const x of ['wdef.x', 'wdef.ae']) assert.equal(await exists(conn, 'exchange', x), true, x);
    for (const q of ['wdef.q', 'wdef.q2']) assert.equal(await exists(conn, 'queue', q), true, q);
    const ch = await conn.createConfirmChannel();
    // The declared properties and arguments are the exported ones: an equivalent redeclare is accepted.
    await ch.assertQueue('wdef.q', {
      durable: true,
      arguments: { 'x-max-length': 10, 'x-message-ttl': 60000, 'x-queue-mode': 'lazy', 'x-single-active-consumer': true },
    });
    await ch.assertExchange('wdef.x', 'topic', { durable: true, arguments: { 'alternate-exchange': 'wdef.ae' } });
    await ch.assertExchange('wdef.ae', 'fanout', { durable: true });
    // wdef.x routes a.* to wdef.q, and everything on to wdef.ae (an exchange-to-exchange binding).
    const tap = (await ch.assertQueue('', { exclusive: true })).queue;
    await ch.bindQueue(tap, 'wdef.ae', '');
    ch.publish('wdef.x', 'a.b', Buffer.from('hello'));
    await ch.waitForConfirms();
    const m = await ch.get('wdef.q', { noAck: true });
    assert.ok(m && m.content.toString() === 'hello', 'routed by the a.* binding');
    const t = await ch.get(tap, { noAck: true });
    assert.ok(t && t.content.toString() === 'hello', 'routed by the exchange-to-exchange binding');
    await ch.purgeQueue('wdef.q');
  } finally {
    await conn.close();
  }
}

const EXPORTED_POLICY = {
  vhost: '/',
  name: 'wdef.p',
  pattern: '^wdef\\.q2$',
  'apply-to': 'queues',
  definition: { 'max-length': 5, overflow: 'reject-publish' },
  priority: 3,
};

function logger(warnings: string[]): Logger {
  return { debug() {}, info() {}, warn: (m) => warnings.push(m), error: (m) => warnings.push(m) };
}

describe('importDefinitions', () => {
  test('imports the vhosts, users, permissions, exchanges, queues, bindings and policies of a RabbitMQ export and counts them', () => {
    const broker = new Broker();
    const warnings: string[] = [];
    assert.deepEqual(importDefinitions(broker, EXPORT, logger(warnings)), {
      vhosts: 1,
      users: 1,
      permissions: 1,
      exchanges: 2,
      queues: 2,
      bindings: 2,
      policies: 1,
    });
    assert.deepEqual(warnings, []);
    const vh = broker.vhosts.get('/')!;
    const p = vh.policies.get('wdef.p');
    assert.deepEqual(p && policyToJson(p), EXPORTED_POLICY);
    assert.equal(vh.queues.get('wdef.q2')?.policy?.name, 'wdef.p');
    assert.equal(vh.queues.get('wdef.q')?.durable, true);
    assert.equal(vh.exchanges.get('wdef.x')?.type, 'topic');
  });

  test('JSON arguments get the types RabbitMQ gives them: long, longstr, bool, double, array, table (keys sorted)', () => {
    const broker = new Broker();
    importDefinitions(
      broker,
      withSection('queues', [
        {
          name: 'typed',
          vhost: '/',
          durable: true,
          auto_delete: false,
          arguments: { 'x-message-ttl': 1000, 'x-queue-mode': 'lazy', 'x-single-active-consumer': false, 'x-a': 1.5, 'x-b': [1, 'x'], 'x-c': { z: 1, a: true } },
        },
      ]),
    );
    const args = broker.vhosts.get('/')!.queues.get('typed')!.args;
    assert.deepEqual([...args.keys()], ['x-a', 'x-b', 'x-c', 'x-message-ttl', 'x-queue-mode', 'x-single-active-consumer']);
    assert.deepEqual(args.get('x-message-ttl'), { type: 'l', value: 1000n });
    assert.deepEqual(args.get('x-queue-mode'), { type: 'S', value: 'lazy' });
    assert.deepEqual(args.get('x-single-active-consumer'), { type: 't', value: false });
    assert.deepEqual(args.get('x-a'), { type: 'd', value: 1.5 });
    assert.deepEqual(args.get('x-b'), { type: 'A', value: [{ type: 'l', value: 1n }, { type: 'S', value: 'x' }] });
    assert.deepEqual(args.get('x-c'), {
      type: 'F',
      value: new Map([
        ['a', { type: 't', value: true }],
        ['z', { type: 'l', value: 1n }],
      ]),
    });
  });

  test('existing objects are left as they are, amq.* ones skipped, dangling bindings skipped with a warning', () => {
    const broker = new Broker();
    const vh = broker.vhosts.get('/')!;
    vh.declareQueue('wdef.q', false, false, false, true, new Map(), 0); // differs from the file: kept, as RabbitMQ does
    const warnings: string[] = [];
    const n = importDefinitions(
      broker,
      {
        queues: [...(EXPORT.queues as unknown[]), { name: 'amq.reserved', vhost: '/', durable: true, auto_delete: false, arguments: {} }],
        exchanges: [...(EXPORT.exchanges as unknown[]), { name: 'amq.direct', vhost: '/', type: 'direct', durable: true, auto_delete: false, internal: false, arguments: {} }],
        bindings: [...(EXPORT.bindings as unknown[]), { source: 'wdef.x', vhost: '/', destination: 'nowhere', destination_type: 'queue', routing_key: 'k', arguments: {} }],
      },
      logger(warnings),
    );
    assert.deepEqual(n, { vhosts: 0, users: 0, permissions: 0, exchanges: 2, queues: 2, bindings: 2, policies: 0 });
    assert.equal(vh.queues.get('wdef.q')?.durable, false);
    assert.equal(vh.queues.has('amq.reserved'), false);
    assert.equal(warnings.length, 2, warnings.join('\n'));
    assert.match(warnings[0], /skipping queue 'amq\.reserved' in vhost '\/'/);
    assert.match(warnings[1], /skipping binding of queue 'nowhere' to exchange 'wdef\.x' .*: no queue 'nowhere'/);
  });

  test('vhosts the file lists are created, with their objects; users log in with the passwords RabbitMQ hashed', async () => {
    const broker = new Broker();
    importDefinitions(broker, {
      vhosts: [{ name: 'staging', description: 'pre-production', tags: 'a,b', default_queue_type: 'quorum' }],
      users: [{ name: 'ops', password_hash: (EXPORT.users as { password_hash: string }[])[0].password_hash, hashing_algorithm: 'rabbit_password_hashing_sha256', tags: 'monitoring' }],
      permissions: [{ user: 'ops', vhost: 'staging', configure: '^ops\\.', write: '.*', read: '.*' }],
      queues: [{ name: 'sq', vhost: 'staging', durable: true, auto_delete: false, arguments: {} }],
    });
    const vh = broker.vhosts.get('staging')!;
    assert.ok(vh.queues.has('sq'));
    assert.deepEqual(vh.metadata, { description: 'pre-production', tags: ['a', 'b'], defaultQueueType: 'quorum', tracing: false });
    assert.deepEqual(broker.users.get('ops')!.tags, ['monitoring']);
    assert.ok(broker.authenticate('ops', 'guest'), 'the hash is of "guest": same password as on RabbitMQ');
    assert.equal(broker.authenticate('ops', 'wrong'), undefined);
    assert.deepEqual(broker.permission('staging', 'ops'), { user: 'ops', vhost: 'staging', configure: '^ops\\.', write: '.*', read: '.*' });
  });

  test('objects without a vhost (a per-vhost export) go to /', () => {
    const broker = new Broker();
    importDefinitions(broker, { queues: [{ name: 'plain', durable: true, auto_delete: false, arguments: {} }] });
    assert.ok(broker.vhosts.get('/')!.queues.has('plain'));
  });

  test('bad input is refused with a message naming the object, and nothing is applied', () => {
    const cases: [unknown, RegExp][] = [
      [[1], /definitions must be a JSON object/],
      [{ queues: {} }, /'queues' must be an array/],
      [{ queues: [{ name: 'q', vhost: 'other', durable: true }] }, /^queue 'q': vhost 'other' does not exist \(Warren has '\/'\)/],
      [{ permissions: [{ user: 'nobody', vhost: '/', configure: '.*', write: '.*', read: '.*' }] }, /^permissions of user 'nobody' in vhost '\/': no user 'nobody'/],
      [{ permissions: [{ user: 'guest', vhost: '/', configure: '(', write: '.*', read: '.*' }] }, /^permissions of user 'guest' in vhost '\/': configure is not a valid regular expression/],
      [{ users: [{ name: 'u', password_hash: 'abc', hashing_algorithm: 'rabbit_password_hashing_sha1' }] }, /^user 'u': hashing_algorithm must be rabbit_password_hashing_sha256, /],
      [{ users: [{ name: 'u', password_hash: 'YWJj', tags: '' }] }, /^user 'u': password_hash is not a salted hash in base64/],
      [{ queues: [{ vhost: '/', durable: true }] }, /^queues\[0\]: name must be a string, not nothing/],
      [{ queues: [{ name: 'q', durable: 'yes' }] }, /^queue 'q' in vhost '\/': durable must be true or false, not "yes"/],
      [{ queues: [{ name: 'q', arguments: { 'x-max-length': null } }] }, /^queue 'q' in vhost '\/': argument 'x-max-length': null is not allowed in arguments/],
      [{ exchanges: [{ name: 'x', vhost: '/' }] }, /^exchange 'x' in vhost '\/': type must be a string, not nothing/],
      [{ bindings: [{ source: 'a', destination: 'b', destination_type: 'queu' }] }, /^bindings\[0\] \(from 'a' to 'b'\): destination_type must be "queue" or "exchange", not "queu"/],
      [
        { policies: [{ vhost: '/', name: 'bad', pattern: '^x', definition: { foo: 1 } }] },
        /^policy 'bad' in vhost '\/': Validation failed\n\n\[\{<<"foo">>,1\}\] are not recognised policy settings/,
      ],
      [{ queues: [{ name: 'ok', durable: true }], policies: [{ name: 'p', pattern: '(', definition: { expires: 1 } }] }, /^policy 'p' in vhost '\/': .*pattern should be regular expression/s],
    ];
    for (const [json, re] of cases) {
      const broker = new Broker();
      assert.throws(
        () => importDefinitions(broker, json),
        (e: unknown) => e instanceof DefinitionsError && re.test(e.message),
        `${JSON.stringify(json)} should fail with ${re}`,
      );
      assert.equal(broker.vhosts.get('/')!.queues.size, 0, 'nothing applied');
    }
  });

  test('an object the broker refuses is named with the broker\'s reason', () => {
    const broker = new Broker();
    assert.throws(
      () => importDefinitions(broker, { queues: [{ name: 'q', durable: true, arguments: { 'x-message-ttl': 'abc' } }] }),
      /^DefinitionsError: could not import queue 'q' in vhost '\/': PRECONDITION_FAILED - invalid arg 'x-message-ttl'/,
    );
    assert.throws(
      () => importDefinitions(broker, { exchanges: [{ name: 'x', type: 'nosuchtype', durable: true }] }),
      /could not import exchange 'x' in vhost '\/': COMMAND_INVALID - unknown exchange type 'nosuchtype'/,
    );
  });
});

describe('startBroker({ definitions })', () => {
  test('loads the file before listening: objects exist, route, and the policy is in place', async () => {
    const b = await startBroker({ port: 0, host: '127.0.0.1', definitions: FIXTURE });
    try {
      await checkImported(b.url);
      const p = b.broker.vhosts.get('/')!.policies.get('wdef.p');
      assert.deepEqual(p && policyToJson(p), EXPORTED_POLICY);
      // the export's guest (RabbitMQ's hash of "guest") replaced Warren's own, and still logs in
      assert.deepEqual([...b.broker.users.keys()], ['guest']);
      assert.equal(b.broker.users.get('guest')!.passwordHash, (EXPORT.users as { password_hash: string }[])[0].password_hash);
    } finally {
      await b.close();
    }
  });

  test('with a data dir, imported durable objects and the policy persist; loading again at restart keeps them', async () => {
    const dataDir = join(tmp, 'persist');
    const first = await startBroker({ port: 0, host: '127.0.0.1', dataDir, definitions: FIXTURE });
    await first.close();
    const second = await startBroker({ port: 0, host: '127.0.0.1', dataDir });
    try {
      await checkImported(second.url);
      assert.ok(second.broker.vhosts.get('/')!.policies.get('wdef.p'));
    } finally {
      await second.close();
    }
    const third = await startBroker({ port: 0, host: '127.0.0.1', dataDir, definitions: FIXTURE });
    try {
      await checkImported(third.url);
    } finally {
      await third.close();
    }
  });

  test('a missing, malformed or invalid file rejects with a clear message', async () => {
    const missing = join(tmp, 'no-such-file.json');
    const cases: [string, RegExp][] = [
      [missing, /^could not load definitions from .*no-such-file\.json: ENOENT/],
      [writeDefs('{"queues": ['), /^could not load definitions from .*: not valid JSON: /],
      [
        writeDefs(withSection('policies', [{ vhost: '/', name: 'p', pattern: '^a', definition: { 'message-ttl': -1 } }])),
        /^could not load definitions from .*: policy 'p' in vhost '\/': Validation failed\n\n-1 is not a valid message TTL/,
      ],
      [writeDefs(withSection('permissions', [{ user: 'ghost', vhost: '/', configure: '', write: '', read: '' }])), /no user 'ghost'/],
    ];
    for (const [path, re] of cases) {
      await assert.rejects(startBroker({ port: 0, host: '127.0.0.1', definitions: path }), (e: unknown) => e instanceof DefinitionsError && re.test(e.message), path);
    }
    // A failed start leaves the data dir usable.
    const dataDir = join(tmp, 'failed-start');
    await assert.rejects(startBroker({ port: 0, host: '127.0.0.1', dataDir, definitions: missing }), DefinitionsError);
    const b = await startBroker({ port: 0, host: '127.0.0.1', dataDir });
    await b.close();
  });
});

describe('warren server --definitions', () => {
  function run(args: string[], env: Record<string, string> = {}) {
    return spawnSync(process.execPath, ['--import', 'tsx', MAIN, ...args], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 60000 });
  }

  test('--help mentions the option and its variable', () => {
    const r = run(['--help']);
    assert.equal(r.status, 0);
    assert.match(r.stdout, /--definitions <file>/);
    assert.match(r.stdout, /WARREN_DEFINITIONS/);
  });

  for (const how of ['flag', 'env'] as const) {
    test(`loads the file (${how === 'flag' ? '--definitions' : 'WARREN_DEFINITIONS'})`, async () => {
      const dataDir = join(tmp, `cli-${how}`);
      const args = ['server', '--port', '0', '--management-port', '0', '--prometheus-port', '0', '--host', '127.0.0.1', '--data-dir', dataDir, ...(how === 'flag' ? ['--definitions', FIXTURE] : [])];
      const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], {
        env: { ...process.env, ...(how === 'env' ? { WARREN_DEFINITIONS: FIXTURE } : {}) },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      const exited = new Promise((resolve) => child.on('exit', resolve));
      try {
        const port = await new Promise<number>((resolve, reject) => {
          let err = '';
          child.stderr!.setEncoding('utf8');
          child.stderr!.on('data', (s: string) => {
            err += s;
            const m = /ready to accept AMQP connections on .*:(\d+) \(/.exec(err);
            if (m) resolve(Number(m[1]));
          });
          child.on('exit', (code) => reject(new Error(`warren exited with ${code} before it was ready:\n${err}`)));
        });
        await checkImported(`amqp://guest:guest@127.0.0.1:${port}`);
      } finally {
        child.kill('SIGKILL');
        await exited;
      }
    });
  }

  test('a bad file stops the server with the reason and exit code 1', () => {
    const bad = writeDefs(withSection('bindings', [{ source: 'x', destination: 'y', destination_type: 'nope' }]));
    const r = run(['server', '--port', '0', '--management-port', '0', '--prometheus-port', '0', '--host', '127.0.0.1', '--data-dir', join(tmp, 'cli-bad')], { WARREN_DEFINITIONS: bad });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /^warren: could not load definitions from .*: bindings\[0\] \(from 'x' to 'y'\): destination_type must be "queue" or "exchange", not "nope"\n$/);
  });
});
