// kill -9 at a random moment: every record the writer saw confirmed durable is there after reopen, in
// order and intact, and the log takes appends again.
import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { SegmentLog } from '../../src/store/segment-log.js';
import { crashRecord } from '../fixtures/segment-log-records.js';

const WRITER = fileURLToPath(new URL('../fixtures/segment-log-writer.ts', import.meta.url));
const ROUNDS = 5;

interface RoundResult {
  maxAcked: number;
  reports: string[];
}

/** Runs the writer for one round and SIGKILLs it some time after its `killAfter`-th acknowledgement. */
function runWriter(dir: string, round: number, killAfter: number, delayMs: number): Promise<RoundResult> {
  return new Promise((resolve, reject) => {
    const child = fork(WRITER, [dir, String(round)], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let maxAcked = -1;
    let acks = 0;
    let killing = false;
    const reports: string[] = [];
    const kill = (): void => {
      if (!killing) {
        killing = true;
        child.kill('SIGKILL');
      }
    };
    const guard = setTimeout(() => {
      kill();
      reject(new Error(`round ${round}: writer gave ${acks} acks in 30 s`));
    }, 30_000);
    child.on('message', (msg: { acked?: number; corruption?: string }) => {
      if (msg.corruption !== undefined) reports.push(msg.corruption);
      if (msg.acked === undefined) return;
      assert.ok(msg.acked > maxAcked, 'acks arrive in order');
      maxAcked = msg.acked;
      if (++acks === killAfter) setTimeout(kill, delayMs);
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(guard);
      if (signal !== 'SIGKILL') reject(new Error(`writer exited on its own: code ${code}, signal ${signal}`));
      else resolve({ maxAcked, reports });
    });
  });
}

test('records confirmed durable survive kill -9 of the writer, round after round', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'warren-seglog-crash-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const counts: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const killAfter = 5 + Math.floor(Math.random() * 200);
    const delay = Math.floor(Math.random() * 40);
    const { maxAcked, reports: childReports } = await runWriter(dir, round, killAfter, delay);
    assert.ok(maxAcked >= 0);

    // Reopen and check every round so far: each is a gap-free, intact prefix of what its writer appended.
    const reports: string[] = [];
    const log = SegmentLog.open({ dir, segmentSize: 256 * 1024, onCorruption: (m) => reports.push(m) });
    const seen: number[] = Array<number>(round + 1).fill(0);
    let lastRound = 0;
    log.scan((type, payload) => {
      assert.ok(type <= round && type >= lastRound, `round ${type} after round ${lastRound}`);
      lastRound = type;
      const n = seen[type]++;
      assert.equal(payload.readUInt32LE(0), type);
      assert.equal(payload.readUInt32LE(4), n, `round ${type}: record ${payload.readUInt32LE(4)} where ${n} was expected`);
      assert.ok(payload.equals(crashRecord(type, n)), `round ${type}: record ${n} damaged`);
    });
    for (let r = 0; r < round; r++) assert.equal(seen[r], counts[r], `round ${r} changed after a later round`);
    counts.push(seen[round]);
    assert.ok(seen[round] > maxAcked, `round ${round}: ${seen[round]} records kept, ${maxAcked} was acknowledged`);
    t.diagnostic(`round ${round}: acked through ${maxAcked}, kept ${seen[round]}, ${log.segments().length} segments, reports: ${[...childReports, ...reports].join('; ') || 'none'}`);
    await log.close();
  }

  // Appendable after the last crash, and what is appended survives a clean reopen.
  const log = SegmentLog.open({ dir, segmentSize: 256 * 1024 });
  log.scan(() => {});
  const ref = log.append(200, Buffer.from('after the crashes'));
  await new Promise<void>((resolve) => log.whenDurable(resolve));
  await log.close();
  const again = SegmentLog.open({ dir, segmentSize: 256 * 1024 });
  let total = 0;
  let last: Buffer | null = null;
  again.scan((type, payload) => {
    total++;
    if (type === 200) last = Buffer.from(payload);
  });
  assert.equal(total, counts.reduce((a, b) => a + b, 0) + 1);
  assert.deepEqual(last, Buffer.from('after the crashes'));
  assert.deepEqual(again.read(ref), Buffer.from('after the crashes'));
  await again.close();
});
