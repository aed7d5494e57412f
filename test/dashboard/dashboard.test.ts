import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { REVIEW_DEADLINE_MS } from '../../examples/statechart/document.machine.ts';
import { documents } from '../../examples/statechart/run.ts';
import { buildPage } from '../../src/dashboard/page/build.ts';
import { loadPageAssets, type PageAssets } from '../../src/dashboard/page-assets.ts';
import { SimulatedClock, type System, type SystemOptions } from '../../src/index.ts';
import { type Dashboard, serveDashboard } from '../../src/public/dashboard.ts';
import { useScratch } from '../support/scratch.ts';
import { TempDir } from '../support/temp-dir.ts';
import { launchChromium, until } from './browser.ts';
import { ordersComponent, quotes } from './orders.ts';
import { payments, paymentsComponent } from './payments.ts';

/** A lease as long as the simulated clock may jump: no renewal falls due on the way. */
const DAY_MS = 24 * 60 * 60 * 1000;

describe('dashboard in headless Chromium', () => {
  const scratch = useScratch();
  const pageDir = new TempDir();
  let assets: PageAssets;
  let browser: Browser;

  beforeAll(async () => {
    assets = loadPageAssets(await buildPage(`${pageDir.path}/`));
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    pageDir.remove();
  });

  async function open(options: Pick<SystemOptions, 'clock' | 'leaseTtlMs'> = {}): Promise<{ system: System; dashboard: Dashboard; page: Page }> {
    payments.failing = true;
    const db = scratch.file('dashboard.db');
    const components = [documents, paymentsComponent, ordersComponent];
    const system = await scratch.start({ db, components, ...options });
    const dashboard = await serveDashboard(system, { port: 0, components, db, assets, intervalMs: 100 });
    const page = await browser.newPage();
    closers.push(async () => {
      await page.close();
      await dashboard.close();
    });
    return { system, dashboard, page };
  }
  // Registered after useScratch, so each test's page and dashboard close before its system stops.
  const closers: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const close of closers.splice(0)) await close().catch(() => {});
  });

  it("shows a running system's consumers, live", async () => {
    const { system, dashboard, page } = await open();
    await page.goto(dashboard.url);
    await page.locator('[data-consumer="documents"] [data-testid="host-state"]', { hasText: 'live' }).waitFor();
    await page.locator('[data-consumer="payments"]').waitFor();
    await system.publish('documents.commands', { type: 'submit', amount: 10 }, { key: 'doc-1' });
    await page.locator('[data-testid="head"]', { hasText: 'head 1' }).waitFor();
    await page.locator('.tail td', { hasText: 'doc-1' }).first().waitFor();
    // The events/s chart covers the last minutes, read back from the log, and sees the event arrive.
    await page.locator('.rate-figures', { hasText: /over 2\d\d s/ }).waitFor();
    await page
      .locator('[data-testid="rate"]')
      .filter({ hasNotText: /^0\.0$/ })
      .waitFor();
  });

  it('retries a dead letter from its button, after a confirmation, and shows it retried', async () => {
    const { system, dashboard, page } = await open();
    await system.publish('payments.charged', { type: 'charge', amount: 30 });
    const letter = await until('the charge is parked', () => system.deadLetters('payments', 'parked')[0]);
    payments.failing = false;
    await page.goto(dashboard.url);
    const card = page.locator(`[data-letter="${letter.id}"]`);
    await card.getByRole('button', { name: 'Retry' }).click();
    await card.getByRole('button', { name: 'Yes, retry' }).click();
    await card.locator('[data-testid="letter-status"]', { hasText: 'retried' }).waitFor();
    expect(system.deadLetters('payments')[0]?.status).toBe('retried');
    expect((await system.query('payments')).context).toEqual({ charged: 30 });
  });

  it('highlights the states an actor is in, and follows its events', async () => {
    const { system, dashboard, page } = await open();
    await system.publish('documents.commands', { type: 'submit', amount: 20_000 }, { key: 'doc-7' });
    await system.settled();
    await page.goto(`${dashboard.url}#component=documents&key=doc-7`);
    const state = (id: string, active: boolean) => page.locator(`[data-state="${id}"][data-active="${active}"]`);
    await state('document.review.legal.pending', true).waitFor();
    await state('document.review.finance.pending', true).waitFor();
    await state('document.draft', false).waitFor();

    await system.publish('documents.commands', { type: 'approve', region: 'legal', reviewer: 'ann' }, { key: 'doc-7' });
    await state('document.review.legal.approved', true).waitFor();
    await state('document.review.legal.pending', false).waitFor();
    await state('document.review.finance.pending', true).waitFor();
    // Deep history and timers: the two 48 h deadlines were pending once the document was submitted.
    await page.locator('.timeline li', { hasText: 'approve' }).waitFor();
  });

  it("shows an actor's child outcome as the input record the log holds, and steps through its events and records to the state after each", async () => {
    const { system, dashboard, page } = await open();
    await system.publish('orders.placed', { type: 'place', amount: 10 }, { key: 'o-1' });
    await until('the quote is taken in', async () => ((await system.query('orders', 'o-1')).value === 'priced' ? true : undefined));
    await system.publish('orders.shipped', { type: 'ship' }, { key: 'o-1' });
    await system.settled();
    await page.goto(`${dashboard.url}#component=orders&key=o-1`);
    const state = (id: string) => page.locator(`[data-state="${id}"][data-active="true"]`);
    await state('order.shipped').waitFor();
    // The quote's outcome is record #2, on $input.orders, between the two events.
    const effect = page.locator('[data-effect="quote"]');
    await effect.locator('[data-testid="effect-outcome"]', { hasText: 'done' }).waitFor();
    expect(await effect.locator('td.num').textContent()).toBe('2');
    expect(await effect.locator('.json').textContent()).toBe('{"total":20}');
    const record = page.locator('.timeline li.input[data-seq="2"]');
    await record.getByText('input').first().waitFor();
    expect(await record.locator('.input-record').textContent()).toContain('child quote 0.order.pricing done');
    expect(await page.locator('.timeline li').count()).toBe(3);
    // The log panel marks it as an input record, and can hide it.
    const tail = page.locator('.tail tr.input', { hasText: 'child quote' });
    await tail.getByText('$input.orders').waitFor();
    await page.getByLabel('input records').uncheck();
    await tail.waitFor({ state: 'detached' });
    await page.locator('.tail td', { hasText: 'orders.shipped' }).waitFor();

    await page.getByRole('button', { name: 'Time travel' }).click();
    const step = page.locator('[data-testid="travel-step"]');
    await step.filter({ hasText: 'Step 3 of 3' }).waitFor();
    await page.getByRole('button', { name: 'Previous step' }).click();
    await step.filter({ hasText: 'Step 2 of 3: after #2' }).filter({ hasText: 'child quote' }).filter({ hasText: 'done' }).waitFor();
    await state('order.priced').waitFor();
    expect(await page.locator('[data-state="order.shipped"]').getAttribute('data-active')).toBe('false');
    expect(JSON.parse((await page.locator('[data-testid="context"]').textContent()) ?? '')).toEqual({ total: 20 });
    await page.getByRole('button', { name: 'Previous step' }).click();
    await step.filter({ hasText: 'Step 1 of 3: after #1' }).filter({ hasText: 'place' }).waitFor();
    await state('order.pricing').waitFor();
    expect(JSON.parse((await page.locator('[data-testid="context"]').textContent()) ?? '')).toEqual({ total: 0 });
    await page.getByRole('button', { name: 'Previous step' }).click();
    await step.filter({ hasText: 'Step 0 of 3' }).waitFor();
    await state('order.open').waitFor();

    await page.locator('.timeline li.input[data-seq="2"] button').click();
    await step.filter({ hasText: 'Step 2 of 3' }).waitFor();
    await page.getByRole('button', { name: 'Next step' }).click();
    await state('order.shipped').waitFor();
    await page.locator('[data-testid="time-travel"]', { hasText: 'The replay ends where the actor is now.' }).waitFor();
    expect(await page.locator('.travel .gap').count()).toBe(0);
  });

  it('replays a child whose outcome is not in the log as pending, and says so', async () => {
    const { system, dashboard, page } = await open();
    quotes.held = true;
    try {
      await system.publish('orders.placed', { type: 'place', amount: 3 }, { key: 'o-2' });
      await system.settled();
      await page.goto(`${dashboard.url}#component=orders&key=o-2`);
      await page.locator('[data-state="order.pricing"][data-active="true"]').waitFor();
      await page.locator('.actor', { hasText: 'None in the recent log' }).waitFor();
      await page.getByRole('button', { name: 'Time travel' }).click();
      await page.locator('[data-testid="travel-step"]', { hasText: 'Step 1 of 1' }).waitFor();
      await page.locator('.travel .gap', { hasText: 'Child quote (0.order.pricing) is pending at the end: its outcome is not in the log yet.' }).waitFor();
      await page.locator('[data-testid="time-travel"]', { hasText: 'The replay ends where the actor is now.' }).waitFor();
    } finally {
      quotes.held = false;
    }
  });

  it("shows a timer's firing from the log, and time travel takes it in at its seq", async () => {
    const clock = new SimulatedClock(Date.UTC(2026, 0, 5, 9));
    const { system, dashboard, page } = await open({ clock, leaseTtlMs: DAY_MS });
    await system.publish('documents.commands', { type: 'submit', amount: 100 }, { key: 'doc-9' });
    await system.publish('documents.commands', { type: 'approve', region: 'legal', reviewer: 'ann' }, { key: 'doc-9' });
    await system.settled();
    clock.advance(REVIEW_DEADLINE_MS);
    await system.waitFor('documents', 'doc-9', (v) => JSON.stringify(v.value).includes('escalated'), { timeoutMs: 10_000 });
    await system.settled();
    await page.goto(`${dashboard.url}#component=documents&key=doc-9`);
    await page.locator('[data-state="document.review.finance.escalated"][data-active="true"]').waitFor();
    // Only finance's deadline fired: legal's was cancelled when it was approved.
    const fired = page.locator('[data-effect="xstate.after.reviewDeadline.document.review.finance.pending"]');
    await fired.locator('[data-testid="effect-outcome"]', { hasText: 'fired' }).waitFor();
    expect(await fired.locator('td', { hasText: 'timer' }).textContent()).toBe('timer after reviewDeadline in review.finance.pending');
    expect(await page.locator('.effects tbody tr').count()).toBe(1);
    await page.locator('.timeline li.input', { hasText: 'timer after reviewDeadline in review.finance.pending fired' }).waitFor();

    await page.getByRole('button', { name: 'Time travel' }).click();
    const step = page.locator('[data-testid="travel-step"]');
    await step.filter({ hasText: 'Step 3 of 3' }).filter({ hasText: 'timer after reviewDeadline in review.finance.pending' }).waitFor();
    expect(JSON.parse((await page.locator('[data-testid="context"]').textContent()) ?? '')).toMatchObject({ escalations: 1, approvals: ['ann'] });
    await page.getByRole('button', { name: 'Previous step' }).click();
    await page.locator('[data-state="document.review.finance.pending"][data-active="true"]').waitFor();
    await page.locator('.travel .gap', { hasText: 'pending at the end' }).waitFor({ state: 'detached' });
  });

  it('refuses cross-origin writes and bad requests with the typed error, changing nothing', async () => {
    const { system, dashboard, page } = await open();
    await system.publish('payments.charged', { type: 'charge', amount: 5 });
    const letter = await until('the charge is parked', () => system.deadLetters('payments', 'parked')[0]);
    payments.failing = false;
    const retry = `${dashboard.url}api/dead-letters/${letter.id}/retry`;

    // A page of another origin tries both ways: a simple POST (its Origin is refused) and one
    // with the write header (its preflight is refused, so the POST is never sent).
    const other = await serveOtherSite();
    try {
      await page.goto(other.url);
      const outcomes = await page.evaluate(async (url) => {
        const simple = await fetch(url, { method: 'POST', mode: 'no-cors' }).then(
          () => 'sent',
          () => 'failed',
        );
        const withHeader = await fetch(url, { method: 'POST', headers: { 'x-recq-dashboard': '1' } }).then(
          (r) => `status ${r.status}`,
          () => 'blocked',
        );
        return { simple, withHeader };
      }, retry);
      expect(outcomes.withHeader).toBe('blocked');
    } finally {
      other.server.close();
    }
    const fromOtherSite = await fetch(retry, { method: 'POST', headers: { origin: 'http://evil.example', 'x-recq-dashboard': '1' } });
    expect(fromOtherSite.status).toBe(403);
    expect(((await fromOtherSite.json()) as { error: { code: string } }).error.code).toBe('DASHBOARD_FORBIDDEN');
    const withoutHeader = await fetch(retry, { method: 'POST' });
    expect(withoutHeader.status).toBe(400);
    // A name rebound to 127.0.0.1 reaches the dashboard with its own Host (fetch cannot set Host).
    expect(await postWithHost(retry, 'attacker.example')).toBe(403);
    expect(system.deadLetters('payments')[0]).toMatchObject({ id: letter.id, status: 'parked', attempts: letter.attempts });

    const gone = await fetch(`${dashboard.url}api/dead-letters/999/retry`, { method: 'POST', headers: { 'x-recq-dashboard': '1' } });
    expect(gone.status).toBe(409);
    expect(((await gone.json()) as { error: { message: string } }).error.message).toBe('Cannot retry dead letter 999: there is no dead letter 999.');
    const unknown = await fetch(`${dashboard.url}api/consumers/nobody/pause`, { method: 'POST', headers: { 'x-recq-dashboard': '1' } });
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { error: { code: string } }).error.code).toBe('UNKNOWN_COMPONENT');
    const replayOfNobody = await fetch(`${dashboard.url}api/replay?component=nobody`);
    expect(replayOfNobody.status).toBe(404);
    expect(((await replayOfNobody.json()) as { error: { code: string } }).error.code).toBe('UNKNOWN_COMPONENT');
    const replayWithoutKey = await fetch(`${dashboard.url}api/replay?component=orders`);
    expect(replayWithoutKey.status).toBe(400);
    expect(((await replayWithoutKey.json()) as { error: { message: string } }).error.message).toBe(
      'Component orders is keyed: give the key of the actor to replay.',
    );
    expect((await system.status()).consumers.map((c) => c.hostState)).toEqual(['live', 'live', 'live']);

    await expect(serveDashboard(system, { port: 0, host: '0.0.0.0', assets })).rejects.toMatchObject({ code: 'DASHBOARD_NEEDS_TOKEN' });
  });
});

/** Another origin on loopback: a blank page whose scripts try to reach the dashboard. */
async function serveOtherSite(): Promise<{ server: Server; url: string }> {
  const server = createServer((_request, response) => {
    response.writeHead(200, { 'Content-Type': 'text/html' });
    response.end('<!doctype html><title>other site</title>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` };
}

/** A POST with the write header and the given `Host`, as a page on a rebound host name sends it; resolves with the status. */
function postWithHost(url: string, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const sent = request(url, { method: 'POST', headers: { host, 'x-recq-dashboard': '1' } }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    sent.on('error', reject);
    sent.end();
  });
}
