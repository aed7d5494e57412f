import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DocumentEvent, REVIEW_DEADLINE_MS } from '../../examples/statechart/document.machine.ts';
import { documents } from '../../examples/statechart/run.ts';
import { buildPage } from '../../src/dashboard/page/build.ts';
import { loadPageAssets } from '../../src/dashboard/page-assets.ts';
import { serveDashboard } from '../../src/dashboard/serve-dashboard.ts';
import { createSystem, defineComponent, SimulatedClock, silentLogger } from '../../src/index.ts';
import { launchChromium, until } from './browser.ts';

/**
 * The README's picture: the statechart example's documents in several states (the clock moved
 * past their review deadlines), a parked dead letter, and a published document opened in the
 * actor view, one step back in its history: just after its finance deadline fired.
 *
 * node --import tsx test/dashboard/screenshot.ts docs/dashboard.png
 */
const out = process.argv[2] ?? 'docs/dashboard.png';
const dir = mkdtempSync(join(tmpdir(), 'recq-dashboard-shot-'));
const db = join(dir, 'documents.db');
const notifier = defineComponent({
  name: 'notifier',
  logic: (await import('xstate')).setup({}).createMachine({
    on: {
      'document.published': {
        actions: () => {
          throw new Error('mail relay refused the connection (ECONNREFUSED 10.0.0.7:25)');
        },
      },
    },
  }),
  subscribe: 'document.published',
  retry: { maxAttempts: 1 },
});
const clock = new SimulatedClock(Date.UTC(2026, 0, 5, 9));
// A lease longer than the clock's jump, so no renewal falls due on the way.
const system = await createSystem({ db, components: [documents, notifier], logger: silentLogger, clock, leaseTtlMs: 3 * REVIEW_DEADLINE_MS });
const assets = loadPageAssets(await buildPage(`${dir}/page/`));
const dashboard = await serveDashboard(system, { port: 0, components: [documents, notifier], db, assets, intervalMs: 250 });
const browser = await launchChromium();
try {
  const send = (key: string, event: DocumentEvent) => system.component(documents).publish('documents.commands', event, { key });
  await send('contract-7', { type: 'submit', amount: 25_000 });
  await send('contract-7', { type: 'approve', region: 'legal', reviewer: 'ann' });
  await send('memo-2', { type: 'submit', amount: 300 });
  await send('memo-2', { type: 'approve', region: 'legal', reviewer: 'ann' });
  await send('offer-9', { type: 'submit', amount: 900 });
  await send('offer-9', { type: 'reject', region: 'finance', reviewer: 'bob', reason: 'price too low' });
  await system.settled();
  clock.advance(REVIEW_DEADLINE_MS);
  await system.waitFor('documents', 'memo-2', (v) => JSON.stringify(v.value).includes('escalated'));
  await send('memo-2', { type: 'approve', region: 'finance', reviewer: 'bob' });
  await send('note-4', { type: 'submit', amount: 50 });
  await system.settled();
  await until('the notifier parks the published memo', () => system.deadLetters('notifier', 'parked')[0]);
  const page = await browser.newPage({ viewport: { width: 1440, height: 1100 } });
  await page.goto(`${dashboard.url}#component=documents&key=memo-2`);
  await page.locator('[data-state="document.published"][data-active="true"]').waitFor();
  await page.locator('[data-letter]').first().waitFor();
  await page.locator('.timers li').first().waitFor();
  await page.locator('.effects [data-testid="effect-outcome"]').first().waitFor();
  // One step back in time: its finance deadline just fired, legal approved.
  await page.getByRole('button', { name: 'Time travel' }).click();
  await page.getByRole('button', { name: 'Previous step' }).click();
  await page.locator('[data-state="document.review.finance.escalated"][data-active="true"]').waitFor();
  await page.screenshot({ path: out, fullPage: true });
  console.log(`wrote ${out}`);
} finally {
  await browser.close();
  await dashboard.close();
  await system.stop();
  rmSync(dir, { recursive: true, force: true });
}
