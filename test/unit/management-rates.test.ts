// The management API's rate sampler: rates from the last two samples, and history kept for the broker's
// totals always and for other objects only while someone keeps asking for it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HISTORY_MS, RateSampler, historyRanges } from '../../src/management/rates.js';

test('rates come from the last two samples; history is kept for always-kept keys, and for others from the first request until no one asks for HISTORY_MS', (t) => {
  t.mock.timers.enable({ apis: ['Date'], now: 1_000_000_000_000 });
  const totals = {};
  const queue = { n: 0 };
  const sampler = new RateSampler(() => [
    [totals, { publish: queue.n * 2 }],
    [queue, { messages: queue.n }],
  ], 5000, [totals]);
  const tick = (n: number) => {
    t.mock.timers.tick(5000);
    queue.n = n;
    sampler.sample();
  };
  tick(0);
  tick(10);
  assert.equal(sampler.rate(queue, 'messages'), 2, '10 messages in 5 s');

  // the totals were kept from the start; the queue has not been asked for, so it has no past yet
  const range = { age: 60, incr: 5 };
  const totalsDetails = sampler.details(totals, 'publish', range) as { samples: { sample: number }[] };
  assert.deepEqual(totalsDetails.samples.map((s) => s.sample), [20, 0]);
  const first = sampler.details(queue, 'messages', range) as { samples: { sample: number }[] };
  assert.deepEqual(first.samples.map((s) => s.sample), [10], 'the latest sample only');
  tick(20);
  tick(30);
  const later = sampler.details(queue, 'messages', range) as { samples: { sample: number }[]; avg: number; avg_rate: number };
  assert.deepEqual(later.samples.map((s) => s.sample), [30, 20, 10]);
  assert.equal(later.avg, 20);
  assert.equal(later.avg_rate, 2);

  // nobody asks for the queue again: after HISTORY_MS its history is dropped; the totals' is trimmed, not dropped
  for (let i = 0; i < HISTORY_MS / 5000 + 2; i++) tick(30);
  const again = sampler.details(queue, 'messages', range) as { samples: unknown[] };
  assert.equal(again.samples.length, 1, 'history starts over');
  const trimmed = sampler.details(totals, 'publish', { age: 3600, incr: 60 }) as { samples: unknown[] };
  assert.ok(trimmed.samples.length <= Math.ceil(HISTORY_MS / 60_000) + 1, `totals trimmed to ${HISTORY_MS} ms`);
});

test('history ranges follow RabbitMQ: both integers or ignored; age, incr > 0 and at most 500 samples, else an error text', () => {
  assert.deepEqual(historyRanges({ lengths_age: '600', lengths_incr: '5', msg_rates_age: '60', msg_rates_incr: '1' }), {
    lengths: { age: 600, incr: 5 },
    msgRates: { age: 60, incr: 1 },
  });
  assert.deepEqual(historyRanges({ lengths_age: '60' }), {});
  assert.deepEqual(historyRanges({ lengths_age: '6.5', lengths_incr: '5' }), {});
  assert.equal(historyRanges({ lengths_age: '501', lengths_incr: '1' }), 'Invalid range parameters: age 501, incr 1');
  assert.equal(historyRanges({ msg_rates_age: '0', msg_rates_incr: '5' }), 'Invalid range parameters: age 0, incr 5');
});
