// Clients that are not Node: pika (Python) and librabbitmq's amqp-tools (C), from Debian's packages.
// .ci/run installs them; where they are missing the tests are skipped and say so.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { testBroker, uniqueName, type TestBroker } from '../helpers/broker.js';

const run = promisify(execFile);
// Debian's interpreter, which sees python3-pika (a pyenv python3 first on PATH would not).
const PYTHON = '/usr/bin/python3';
const hasPika = existsSync(PYTHON) && (await run(PYTHON, ['-c', 'import pika']).then(() => true, () => false));
const hasAmqpTools = existsSync('/usr/bin/amqp-publish') && existsSync('/usr/bin/amqp-get');

describe('clients from Debian', () => {
  let broker: TestBroker;
  before(async () => {
    broker = await testBroker();
  });
  after(async () => {
    await broker.close();
  });

  test('pika declares, publishes with confirms, gets, consumes and acks', { skip: !hasPika && 'python3-pika is not installed' }, async () => {
    const script = fileURLToPath(new URL('./pika_smoke.py', import.meta.url));
    const { stdout } = await run(PYTHON, [script, broker.url, uniqueName('pika')], { timeout: 60_000 });
    assert.equal(stdout.trim(), 'OK');
  });

  test('pika: a rejected and an expired message reach the dead-letter queue with their x-death', { skip: !hasPika && 'python3-pika is not installed' }, async () => {
    const script = fileURLToPath(new URL('./pika_dead_letter.py', import.meta.url));
    const { stdout } = await run(PYTHON, [script, broker.url, uniqueName('pika-dlx')], { timeout: 60_000 });
    assert.equal(stdout.trim(), 'OK');
  });

  test('amqp-tools publish and get a message through the default exchange', { skip: !hasAmqpTools && 'amqp-tools is not installed' }, async () => {
    const q = uniqueName('amqp-tools');
    await run('amqp-declare-queue', ['--url', broker.url, '-q', q], { timeout: 30_000 });
    await run('amqp-publish', ['--url', broker.url, '-r', q, '-p', '-C', 'text/plain', '-b', 'hello from C'], { timeout: 30_000 });
    const { stdout } = await run('amqp-get', ['--url', broker.url, '-q', q], { timeout: 30_000 });
    assert.equal(stdout, 'hello from C');
    await run('amqp-delete-queue', ['--url', broker.url, '-q', q], { timeout: 30_000 });
  });
});
