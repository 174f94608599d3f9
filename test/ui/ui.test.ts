// The web UI in a real headless Chromium (Debian's, driven by playwright-core): sign in, watch a queue
// fill, get a message, replay a dead letter. The UI and the API it calls come from the management
// listener that managementTarget() gives (an embedded Warren, or WARREN_TEST_MGMT_URL). Another broker
// (RabbitMQ) serves its own UI there, so against it Warren's built UI is served from a local proxy that
// forwards /api to that broker: the same tests then show the UI works on RabbitMQ's API.
//
// Skipped, with the reason, when Chromium is not installed (`apt-get install chromium`) or the broker has
// no management listener. The replay test is skipped when the broker answers 404/405 to POST …/replay:
// the endpoint is Warren's own, and RabbitMQ has none.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import amqp from 'amqplib';
import type { Channel, ChannelModel } from 'amqplib';
import type { Browser, Page } from 'playwright-core';
import { uniqueName } from '../helpers/broker.js';
import { startUiProxy, uiIsBuilt, type UiProxy } from '../helpers/ui-proxy.js';
import { managementTarget, type ManagementTarget } from '../helpers/management.js';

const CHROMIUM = process.env.WARREN_TEST_CHROMIUM || '/usr/bin/chromium';
/** RabbitMQ refreshes queue statistics every 5 s; the UI polls every 5 s too. */
const STATS_WAIT_MS = 25_000;

async function setUp(): Promise<{ target?: ManagementTarget; ui?: string; proxy?: UiProxy; skip?: string }> {
  if (!existsSync(CHROMIUM)) return { skip: `Chromium is not installed at ${CHROMIUM} (apt-get install chromium)` };
  const target = await managementTarget();
  if (!target.base || target.base === 'undefined') {
    await target.close();
    return { skip: 'the broker has no management listener to serve the UI' };
  }
  const overview = (await (await target.request('GET', '/api/overview')).json()) as { product_name?: string };
  if (overview.product_name === 'Warren') return { target, ui: target.base };
  if (!uiIsBuilt()) {
    await target.close();
    return { skip: 'dist/ui is not built (npm run build:ui), and the broker under test does not serve it' };
  }
  const proxy = await startUiProxy(target.base);
  return { target, ui: proxy.base, proxy };
}

const { target, ui, proxy, skip } = await setUp();

/** Polls `check` until it returns a value that is not undefined/false, or fails after `ms`. */
async function eventually<T>(what: string, check: () => Promise<T | undefined | false>, ms = STATS_WAIT_MS): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

const queueHash = (name: string) => `#/queues/%2F/${encodeURIComponent(name)}`;

describe('web UI', { skip }, () => {
  let browser: Browser;
  let page: Page;
  let conn: ChannelModel;
  let ch: Channel;
  const queues: string[] = [];
  const exchanges: string[] = [];
  const fillQueue = uniqueName('ui.fill');

  before(async () => {
    const { chromium } = await import('playwright-core');
    // Chromium's sandbox needs user namespaces that a root CI container does not give.
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
    conn = await amqp.connect(target!.amqpUrl);
    ch = await conn.createChannel();
  });

  after(async () => {
    if (ch) {
      for (const q of queues) await ch.deleteQueue(q).catch(() => {});
      for (const x of exchanges) await ch.deleteExchange(x).catch(() => {});
    }
    await conn?.close().catch(() => {});
    await browser?.close();
    await target?.close();
    await proxy?.close();
  });

  test('signs in with a broker user and shows the overview', async () => {
    await page.goto(`${ui}/`);
    await page.getByLabel('Username').fill('guest');
    await page.getByLabel('Password').fill('guest');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    assert.equal(await page.locator('.user-label').innerText(), 'guest');
  });

  test('refuses a wrong password', async () => {
    const other = await browser.newPage();
    try {
      await other.goto(`${ui}/`);
      await other.getByLabel('Username').fill('guest');
      await other.getByLabel('Password').fill('not-the-password');
      await other.getByRole('button', { name: 'Sign in' }).click();
      await other.getByRole('alert').waitFor();
      assert.match(await other.getByRole('alert').innerText(), /wrong username or password/i);
    } finally {
      await other.close();
    }
  });

  test('shows a queue filling up', async () => {
    queues.push(fillQueue);
    await ch.assertQueue(fillQueue, { durable: false });
    for (let i = 1; i <= 25; i++) ch.sendToQueue(fillQueue, Buffer.from(JSON.stringify({ order: i, item: 'widget' })), { contentType: 'application/json' });

    await page.goto(`${ui}/#/queues`);
    await page.getByLabel('Filter by name').fill(fillQueue);
    const row = page.locator('tr', { has: page.getByRole('link', { name: fillQueue, exact: true }) });
    const ready = await eventually('the queue to show 25 ready messages', async () => (await row.locator('[data-col=ready]').innerText({ timeout: 1000 })).trim() === '25');
    assert.ok(ready);
  });

  test('gets a message and shows its JSON body pretty-printed', async () => {
    await page.getByRole('link', { name: fillQueue, exact: true }).click();
    await page.getByRole('heading', { name: fillQueue }).waitFor();
    await page.getByRole('tab', { name: 'Get messages' }).click();
    await page.locator('input[name=get-count]').fill('1');
    await page.getByRole('button', { name: 'Get messages', exact: true }).click();
    const message = page.getByTestId('message');
    await message.waitFor();
    assert.equal(await message.count(), 1);
    const payload = await message.locator('.message-payload pre').innerText();
    assert.equal(payload, JSON.stringify({ order: 1, item: 'widget' }, null, 2));
    // The default mode puts the message back.
    const check = await ch.checkQueue(fillQueue);
    assert.equal(check.messageCount, 25);
  });

  test('replays a dead-lettered message to its original exchange and routing key', async (t) => {
    const exchange = uniqueName('ui.orders');
    const source = uniqueName('ui.orders.created');
    const deadLetters = `${source}.dlq`;
    exchanges.push(exchange);
    queues.push(source, deadLetters);
    await ch.assertExchange(exchange, 'direct', { durable: false });
    await ch.assertQueue(deadLetters, { durable: false });
    await ch.assertQueue(source, { durable: false, arguments: { 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': deadLetters } });
    await ch.bindQueue(source, exchange, 'order.created');
    const body = JSON.stringify({ order: 42, status: 'failed once' });
    ch.publish(exchange, 'order.created', Buffer.from(body), { contentType: 'application/json' });
    const got = await eventually('the message in the source queue', async () => (await ch.get(source)) || undefined, 5000);
    ch.nack(got, false, false);
    await eventually('the dead letter', async () => (await ch.checkQueue(deadLetters)).messageCount === 1, 5000);

    await page.goto(`${ui}/${queueHash(deadLetters)}`);
    await page.getByRole('heading', { name: deadLetters }).waitFor();
    await page.getByRole('tab', { name: 'Replay dead letters' }).click();
    // The button waits for the queue's statistics to count the message.
    const replay = page.getByRole('button', { name: /^Replay \d+ messages?$/ });
    await eventually('the replay button to be enabled', () => replay.isEnabled());
    await page.locator('input[name=replay-count]').fill('1');
    await replay.click();
    const outcome = page.getByTestId('replay-result').or(page.getByTestId('replay-unsupported'));
    await outcome.waitFor();
    if (await page.getByTestId('replay-unsupported').isVisible()) {
      t.skip('this broker has no replay endpoint (POST /api/queues/{vhost}/{name}/replay answered 404/405): replay needs Warren');
      return;
    }
    assert.equal(await page.getByTestId('replay-result').innerText(), 'Moved 1 message.');
    const back = await eventually('the message back in the source queue', async () => (await ch.get(source, { noAck: true })) || undefined, 5000);
    assert.equal(back.content.toString(), body);
    assert.equal((await ch.checkQueue(deadLetters)).messageCount, 0);
  });
  test("an exchange's page draws its routes to the bound queues, with the binding keys", async () => {
    const exchange = uniqueName('ui.routes');
    const [a, b] = [uniqueName('ui.routes.a'), uniqueName('ui.routes.b')];
    exchanges.push(exchange);
    queues.push(a, b);
    await ch.assertExchange(exchange, 'topic', { durable: false });
    for (const q of [a, b]) await ch.assertQueue(q, { durable: false });
    await ch.bindQueue(a, exchange, 'order.*');
    await ch.bindQueue(b, exchange, 'order.created');

    await page.goto(`${ui}/#/exchanges/%2F/${encodeURIComponent(exchange)}`);
    await page.getByRole('heading', { name: exchange }).waitFor();
    const graph = page.getByRole('img', { name: 'Routing graph' });
    await graph.waitFor();
    const text = await graph.textContent();
    for (const shown of [a, b, 'order.*', 'order.created']) assert.ok(text?.includes(shown), `the graph shows ${shown}: ${text}`);
  });

  test('admin: adds a user with a tag, who can then sign in; deletes it', async () => {
    const name = uniqueName('ui.user');
    try {
      await page.goto(`${ui}/#/admin/users`);
      await page.getByRole('button', { name: 'Add user' }).click();
      const dialog = page.getByRole('dialog', { name: 'Add user' });
      await dialog.getByLabel('Username').fill(name);
      await dialog.getByLabel('Password').fill('ui-secret');
      await dialog.getByRole('button', { name: 'management', exact: true }).click();
      await dialog.getByRole('button', { name: 'Add user', exact: true }).click();
      await page.locator('tr', { hasText: name }).waitFor();
      const user = (await (await target!.request('GET', `/api/users/${encodeURIComponent(name)}`)).json()) as { tags: string[] | string };
      assert.deepEqual([user.tags].flat().join(','), 'management');

      // the new user signs in (a separate browser context has its own session)
      const context = await browser.newContext();
      try {
        const other = await context.newPage();
        await other.goto(`${ui}/`);
        await other.getByLabel('Username').fill(name);
        await other.getByLabel('Password').fill('ui-secret');
        await other.getByRole('button', { name: 'Sign in' }).click();
        await other.getByRole('heading', { name: 'Overview' }).waitFor();
      } finally {
        await context.close();
      }

      await page.locator('tr', { hasText: name }).getByRole('button', { name: 'Delete' }).click();
      await page.getByRole('button', { name: 'Delete user' }).click();
      await page.locator('tr', { hasText: name }).waitFor({ state: 'detached' });
      assert.equal((await target!.request('GET', `/api/users/${encodeURIComponent(name)}`)).status, 404);
    } finally {
      await target!.request('DELETE', `/api/users/${encodeURIComponent(name)}`);
    }
  });
});
