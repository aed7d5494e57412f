import type { NatsConnection } from 'nats';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseNatsTarget } from '../../src/cli/nats-target.ts';
import { buildPage } from '../../src/dashboard/page/build.ts';
import { loadPageAssets } from '../../src/dashboard/page-assets.ts';
import { type System, silentLogger, startSupervisor, startWorker } from '../../src/index.ts';
import { connectTo } from '../../src/operator/nats-target.ts';
import { askWorker } from '../../src/operator/worker-control.ts';
import { type Dashboard, natsSource, serveSource } from '../../src/public/dashboard.ts';
import { type NatsServer, startNatsServer } from '../support/nats-server.ts';
import { TempDir } from '../support/temp-dir.ts';
import { untilView } from '../support/until-view.ts';
import { launchChromium, until } from './browser.ts';
import { ordersComponent } from './orders.ts';
import { payments, paymentsComponent } from './payments.ts';

/** `recq dashboard --nats`: the page of a cluster, a supervisor and a worker in this process over a real nats-server. */
describe('dashboard over NATS, in headless Chromium', () => {
  let nats: NatsServer;
  let files: TempDir;
  let supervisor: System;
  let worker: System;
  let dashboard: Dashboard;
  let browser: Browser;
  let connection: NatsConnection;

  beforeAll(async () => {
    nats = await startNatsServer();
    files = new TempDir();
    const options = { nats: { servers: nats.url, namespace: 'dash' }, leaseTtlMs: 3_000, logger: silentLogger };
    supervisor = await startSupervisor({ ...options, db: files.file('sss.db') });
    worker = await startWorker({ ...options, db: files.file('worker.db'), components: [ordersComponent, paymentsComponent], owner: 'worker-1' });
    const target = parseNatsTarget('dashboard', { nats: nats.url, namespace: 'dash' });
    if (!target) throw new Error('no NATS target');
    connection = await connectTo(target);
    const source = natsSource(connection, target, [ordersComponent, paymentsComponent]);
    const assets = loadPageAssets(await buildPage(`${files.path}/page/`));
    dashboard = await serveSource(source, { port: 0, assets, intervalMs: 100 });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await dashboard?.close();
    await worker?.stop();
    await supervisor?.stop();
    await nats?.stop();
    files?.remove();
  });

  it("shows the cluster's consumers and log, an actor from its worker with its effects and time travel from the log, says what only the worker's file holds, and pauses the consumer", async () => {
    const page = await browser.newPage();
    await page.goto(`${dashboard.url}#component=orders&key=o-1`);
    const row = page.locator('[data-consumer="orders"]');
    await row.locator('[data-testid="host-state"]', { hasText: 'live' }).waitFor();
    await row.getByText('worker-1 · epoch').waitFor();
    await page.locator('.dead-letters', { hasText: 'No dead letters.' }).waitFor();

    await worker.publish('orders.placed', { type: 'place', amount: 4 }, { key: 'o-1' });
    await worker.settled();
    await page.locator('[data-testid="head"]', { hasText: 'head 2' }).waitFor();
    // The events/s chart saw the head move between two samples.
    await page
      .locator('[data-testid="rate"]')
      .filter({ hasNotText: /^0\.0$/ })
      .waitFor();
    await page.locator('[data-state="order.priced"][data-active="true"]').waitFor();
    expect(JSON.parse((await page.locator('[data-testid="context"]').textContent()) ?? '')).toEqual({ total: 8 });
    await page.locator('.actor .gap', { hasText: "Over NATS, pending timers are kept in worker-1's file" }).waitFor();
    // The quote's outcome is an input record in the log, which the supervisor serves.
    const effect = page.locator('[data-effect="quote"]');
    await effect.locator('[data-testid="effect-outcome"]', { hasText: 'done' }).waitFor();
    expect(await effect.locator('.json').textContent()).toBe('{"total":8}');
    expect(await page.locator('.actor .gap').count()).toBe(1);

    // Time travel reads the log from the supervisor too: the place, then the quote's outcome.
    await page.getByRole('button', { name: 'Time travel' }).click();
    const step = page.locator('[data-testid="travel-step"]');
    await step.filter({ hasText: 'Step 2 of 2: after #2' }).filter({ hasText: 'child quote' }).waitFor();
    await page.locator('[data-testid="time-travel"]', { hasText: 'The replay ends where the actor is now.' }).waitFor();
    await page.getByRole('button', { name: 'Previous step' }).click();
    await page.locator('[data-state="order.pricing"][data-active="true"]').waitFor();
    expect(await page.locator('.travel .gap').count()).toBe(0);
    await page.getByRole('button', { name: 'Back to now' }).click();

    await row.getByRole('button', { name: 'Pause' }).click();
    await row.locator('[data-testid="host-state"]', { hasText: 'paused' }).waitFor();
    await untilView(worker, (view) => (view.consumers.orders?.hostState === 'paused' ? true : undefined), 'the consumer paused');
    await row.getByRole('button', { name: 'Resume' }).click();
    await row.locator('[data-testid="host-state"]', { hasText: 'live' }).waitFor();
    await page.close();
  });

  it("lists a consumer's dead letters from the worker that holds its lease, and retries one from its button", async () => {
    payments.failing = true;
    await worker.publish('payments.charged', { type: 'charge', amount: 30 });
    const letter = await until('the charge is parked', () => worker.deadLetters('payments', 'parked')[0]);
    payments.failing = false;
    const page = await browser.newPage();
    await page.goto(dashboard.url);
    const card = page.locator(`.dead-letters [data-letter="${letter.id}"]`);
    await card.getByText('card declined by the test').waitFor();
    await card.getByText(`payments · seq ${letter.seq} · payments.charged`).waitFor();
    expect(await page.locator('.dead-letters .gap').count()).toBe(0);
    await card.getByRole('button', { name: 'event and stack' }).click();
    expect(JSON.parse((await card.locator('pre').first().textContent()) ?? '')).toEqual({ type: 'charge', amount: 30 });
    await card.getByRole('button', { name: 'Retry' }).click();
    await card.getByRole('button', { name: 'Yes, retry' }).click();
    await card.locator('[data-testid="letter-status"]', { hasText: 'retried' }).waitFor();
    expect(worker.deadLetters('payments')[0]).toMatchObject({ id: letter.id, status: 'retried', attempts: 2 });
    expect((await worker.query('payments')).context).toEqual({ charged: 30 });
    await page.close();
  });

  it('answers a dead letter listing for a consumer the worker does not run with the error queries give', async () => {
    const listing = askWorker(connection, 'dash', 'worker-1', { op: 'deadLetters', consumer: 'refunds' });
    await expect(listing).rejects.toMatchObject({
      code: 'UNKNOWN_COMPONENT',
      message: 'Unknown component "refunds". Components in this system: orders, payments.',
    });
    await expect(askWorker(connection, 'dash', 'worker-1', { op: 'query', component: 'refunds' })).rejects.toMatchObject({ code: 'UNKNOWN_COMPONENT' });
  });
});
