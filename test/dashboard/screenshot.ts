import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DocumentEvent } from '../../examples/statechart/document.machine.ts';
import { documents } from '../../examples/statechart/run.ts';
import { buildPage } from '../../src/dashboard/page/build.ts';
import { loadPageAssets } from '../../src/dashboard/page-assets.ts';
import { serveDashboard } from '../../src/dashboard/serve-dashboard.ts';
import { createSystem, defineComponent, silentLogger } from '../../src/index.ts';
import { launchChromium, until } from './browser.ts';

/**
 * The README's picture: the statechart example's documents in several states, a parked dead
 * letter, and one document under review opened in the actor view, one step back in its history.
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
const system = await createSystem({ db, components: [documents, notifier], logger: silentLogger });
const assets = loadPageAssets(await buildPage(`${dir}/page/`));
const dashboard = await serveDashboard(system, { port: 0, components: [documents, notifier], db, assets, intervalMs: 250 });
const browser = await launchChromium();
try {
  const send = (key: string, event: DocumentEvent) => system.component(documents).publish('documents.commands', event, { key });
  await send('contract-7', { type: 'submit', amount: 25_000 });
  await send('contract-7', { type: 'approve', region: 'legal', reviewer: 'ann' });
  await send('memo-2', { type: 'submit', amount: 300 });
  await send('memo-2', { type: 'approve', region: 'legal', reviewer: 'ann' });
  await send('memo-2', { type: 'approve', region: 'finance', reviewer: 'bob' });
  await send('offer-9', { type: 'submit', amount: 900 });
  await send('offer-9', { type: 'reject', region: 'finance', reviewer: 'bob', reason: 'price too low' });
  await send('note-4', { type: 'submit', amount: 50 });
  await system.settled();
  await until('the notifier parks the published memo', () => system.deadLetters('notifier', 'parked')[0]);
  const page = await browser.newPage({ viewport: { width: 1440, height: 1100 } });
  await page.goto(`${dashboard.url}#component=documents&key=contract-7`);
  await page.locator('[data-state="document.review.legal.approved"][data-active="true"]').waitFor();
  await page.locator('[data-letter]').first().waitFor();
  await page.locator('.timers li').first().waitFor();
  // One step back in time: the document just submitted, both reviews pending.
  await page.getByRole('button', { name: 'Time travel' }).click();
  await page.getByRole('button', { name: 'Previous event' }).click();
  await page.locator('[data-state="document.review.legal.pending"][data-active="true"]').waitFor();
  await page.screenshot({ path: out, fullPage: true });
  console.log(`wrote ${out}`);
} finally {
  await browser.close();
  await dashboard.close();
  await system.stop();
  rmSync(dir, { recursive: true, force: true });
}
