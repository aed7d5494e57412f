import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { serveInspector } from '../../src/inspect/local-inspector.ts';
import { WAIT_MS } from '../support/child-process.ts';
import { useScratch } from '../support/scratch.ts';
import { counter } from './counters.ts';

interface StatelyMessage {
  type: string;
  sessionId: string;
  name?: string;
  event?: { type: string };
  snapshot?: { value?: unknown; context?: unknown };
}

/** Connects to `url` and collects its messages; `until` waits (bounded) for one that matches. */
async function watch(url: string, headers: Record<string, string> = {}) {
  const socket = new WebSocket(url, { headers });
  const messages: StatelyMessage[] = [];
  let changed = () => {};
  socket.on('message', (data) => {
    messages.push(JSON.parse(String(data)) as StatelyMessage);
    changed();
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  const until = (found: (m: StatelyMessage) => boolean, what: string) =>
    new Promise<StatelyMessage>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${what} within ${WAIT_MS} ms`)), WAIT_MS);
      changed = () => {
        const match = messages.find(found);
        if (!match) return;
        clearTimeout(timer);
        resolve(match);
      };
      changed();
    });
  return { messages, until, close: () => socket.close() };
}

describe('serveInspector, what --inspect runs', () => {
  const scratch = useScratch();
  const ends: (() => unknown)[] = [];
  afterEach(async () => {
    for (const end of ends.splice(0).reverse()) await end();
  });

  it('serves the events of actors that ran before a client connected, then the new ones, on ws:// at its page address', async () => {
    const inspector = serveInspector({ port: 0 });
    ends.push(() => inspector.close());
    const url = await inspector.url;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const system = await scratch.start({ db: scratch.file('local.db'), components: [counter], inspect: inspector });
    await system.publish('counts.a', { type: 'add', amount: 2 }, { key: 'k1' });
    await system.settled();

    const client = await watch(url.replace('http', 'ws'));
    ends.push(client.close);
    const actor = await client.until((m) => m.type === '@xstate.actor' && m.name === 'counter/k1', 'announcement of counter/k1');
    await client.until((m) => m.sessionId === actor.sessionId && m.type === '@xstate.snapshot' && m.event?.type === 'add', 'snapshot after the first add');
    await system.publish('counts.a', { type: 'add', amount: 3 }, { key: 'k1' });
    const later = await client.until(
      (m) => m.sessionId === actor.sessionId && m.type === '@xstate.snapshot' && (m.snapshot?.context as { count?: number })?.count === 5,
      'snapshot after the second add',
    );
    expect(later.snapshot).toMatchObject({ value: 'counted', context: { count: 5 } });
  });

  it('serves its page, which feeds the Stately inspector and lists the events, only to loopback names and its own origin', async () => {
    const inspector = serveInspector({ port: 0 });
    ends.push(() => inspector.close());
    const url = await inspector.url;
    const page = await fetch(url);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('src="https://stately.ai/inspect"');
    expect(html).toContain("new WebSocket('ws://' + location.host + '/')");

    const port = new URL(url).port;
    await expect(watch(url.replace('http', 'ws'), { origin: 'http://evil.example' })).rejects.toThrow(/403|401|Unexpected server response/);
    await expect(watch(url.replace('http', 'ws'), { host: `rebound.example:${port}` })).rejects.toThrow(/403|401|Unexpected server response/);
    const own = await watch(url.replace('http', 'ws'), { origin: `http://127.0.0.1:${port}` });
    own.close();
  });

  it('rejects its url, naming the port, when the port is taken', async () => {
    const first = serveInspector({ port: 0 });
    ends.push(() => first.close());
    const port = Number(new URL(await first.url).port);
    const second = serveInspector({ port });
    ends.push(() => second.close());
    await expect(second.url).rejects.toThrow(new RegExp(`EADDRINUSE.*${port}`));
  });
});
