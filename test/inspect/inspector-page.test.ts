import type { Browser } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { serveInspector } from '../../src/inspect/local-inspector.ts';
import { launchChromium } from '../dashboard/browser.ts';
import { useScratch } from '../support/scratch.ts';
import { counter } from './counters.ts';

describe("the --inspect page, with the Stately inspector's site out of reach", () => {
  const scratch = useScratch();
  let browser: Browser;
  const ends: (() => unknown)[] = [];
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(() => browser?.close());
  afterEach(async () => {
    for (const end of ends.splice(0).reverse()) await end();
  });

  it('lists each actor by component/key with its events and snapshots, those before the page opened included', async () => {
    const inspector = serveInspector({ port: 0 });
    ends.push(() => inspector.close());
    const system = await scratch.start({ db: scratch.file('page.db'), components: [counter], inspect: inspector });
    await system.publish('counts.a', { type: 'add', amount: 2 }, { key: 'k1' });
    await system.settled();

    const page = await browser.newPage();
    ends.push(() => page.close());
    // As offline: nothing but the inspector's own address answers.
    const url = await inspector.url;
    const origin = new URL(url).origin;
    await page.route('**/*', (route) => (new URL(route.request().url()).origin === origin ? route.continue() : route.abort()));
    await page.goto(url);
    const first = page.locator('#list p', { hasText: 'counter/k1 snapshot {"value":"counted","context":{"count":2}}' });
    await first.waitFor();

    await system.publish('counts.a', { type: 'add', amount: 3 }, { key: 'k1' });
    await page.locator('#list p', { hasText: 'counter/k1 snapshot {"value":"counted","context":{"count":5}}' }).waitFor();
    const events = await page.locator('#list p', { hasText: 'counter/k1 event' }).allTextContents();
    expect(events.map((line) => JSON.parse(line.slice(line.indexOf('{'))).type)).toEqual(['xstate.init', 'add', 'add']);
  });
});
