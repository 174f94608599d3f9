// Policies survive a restart on the same data dir, as RabbitMQ keeps them; a cleared policy stays
// cleared, a replaced one comes back as last set, and they survive the journal's compaction.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { startBroker, type RunningBroker } from '../../src/index.js';
import { parsePolicy, policyToJson } from '../../src/broker/policies.js';
import type { Logger } from '../../src/server/logger.js';

const tmp = mkdtempSync(join(tmpdir(), 'warren-policies-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

function quietLogger(warnings: string[]): Logger {
  return { debug() {}, info() {}, warn: (m) => warnings.push(m), error: (m) => warnings.push(m) };
}

async function withBroker<T>(dataDir: string, f: (b: RunningBroker, warnings: string[]) => T | Promise<T>): Promise<T> {
  const warnings: string[] = [];
  const b = await startBroker({ port: 0, host: '127.0.0.1', dataDir, logger: quietLogger(warnings) });
  try {
    return await f(b, warnings);
  } finally {
    await b.close();
  }
}

const vhostOf = (b: RunningBroker) => b.broker.vhosts.get('/')!;

describe('durable policies', () => {
  test('a set policy survives a restart; a cleared one stays cleared', async () => {
    const dataDir = join(tmp, 'set-clear');
    await withBroker(dataDir, (b) => {
      const vh = vhostOf(b);
      vh.declareQueue('orders.eu', false, true, false, false, new Map(), 0);
      vh.setPolicy(parsePolicy('/', 'ttl', { pattern: '^orders\\.', definition: { 'message-ttl': 60000 }, priority: 2, 'apply-to': 'queues' }));
      vh.setPolicy(parsePolicy('/', 'gone', { pattern: '.*', definition: { 'max-length': 10 } }));
      vh.setPolicy(parsePolicy('/', 'ae', { pattern: '^x$', definition: { 'alternate-exchange': 'unrouted' }, 'apply-to': 'exchanges' }));
      assert.equal(vh.clearPolicy('gone'), true);
      assert.equal(vh.clearPolicy('never-set'), false);
    });
    await withBroker(dataDir, (b, warnings) => {
      const vh = vhostOf(b);
      assert.deepEqual(warnings, []);
      assert.deepEqual(
        vh.policies
          .list()
          .map(policyToJson)
          .sort((a, c) => a.name.localeCompare(c.name)),
        [
          { vhost: '/', name: 'ae', pattern: '^x$', 'apply-to': 'exchanges', definition: { 'alternate-exchange': 'unrouted' }, priority: 0 },
          { vhost: '/', name: 'ttl', pattern: '^orders\\.', 'apply-to': 'queues', definition: { 'message-ttl': 60000 }, priority: 2 },
        ],
      );
      assert.equal(vh.policies.get('gone'), undefined);
      // The recovered queue has the recovered policy.
      assert.equal(vh.queues.get('orders.eu')?.policy?.name, 'ttl');
      // A clear after the restart is kept too.
      assert.equal(vh.clearPolicy('ae'), true);
    });
    await withBroker(dataDir, (b) => {
      assert.deepEqual(
        vhostOf(b)
          .policies.list()
          .map((p) => p.name),
        ['ttl'],
      );
    });
  });

  test('a policy set again comes back as last set', async () => {
    const dataDir = join(tmp, 'replace');
    await withBroker(dataDir, (b) => {
      const vh = vhostOf(b);
      vh.setPolicy(parsePolicy('/', 'lim', { pattern: '^a', definition: { 'max-length': 1 } }));
      vh.setPolicy(parsePolicy('/', 'lim', { pattern: '^b', definition: { 'max-length': 2, overflow: 'reject-publish' }, priority: 9 }));
    });
    await withBroker(dataDir, (b) => {
      const p = vhostOf(b).policies.get('lim');
      assert.deepEqual(p && policyToJson(p), {
        vhost: '/',
        name: 'lim',
        pattern: '^b',
        'apply-to': 'all',
        definition: { 'max-length': 2, overflow: 'reject-publish' },
        priority: 9,
      });
    });
  });

  test('policies survive the compaction of a journal full of superseded records', async () => {
    const dataDir = join(tmp, 'compact');
    await withBroker(dataDir, (b) => {
      const vh = vhostOf(b);
      for (let i = 0; i < 300; i++) {
        vh.setPolicy(parsePolicy('/', 'churn', { pattern: `^q${i}$`, definition: { expires: 1000 + i } }));
        vh.clearPolicy('churn');
      }
      vh.setPolicy(parsePolicy('/', 'kept', { pattern: '^k', definition: { 'queue-mode': 'lazy' } }));
    });
    const journal = join(dataDir, 'definitions.log');
    const before = statSync(journal).size;
    await withBroker(dataDir, (b) => {
      assert.deepEqual(
        vhostOf(b)
          .policies.list()
          .map((p) => p.name),
        ['kept'],
      );
    });
    assert.ok(statSync(journal).size < before / 10, `journal compacted: ${before} -> ${statSync(journal).size} bytes`);
    await withBroker(dataDir, (b) => {
      assert.deepEqual(vhostOf(b).policies.get('kept')?.definition, { 'queue-mode': 'lazy' });
    });
  });
});
