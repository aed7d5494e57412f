import type { AddressInfo } from 'node:net';
import { createWebSocketInspector } from '@statelyai/inspect';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { WAIT_MS } from '../support/child-process.ts';
import { useScratch } from '../support/scratch.ts';
import { counter } from './counters.ts';

/** What @statelyai/inspect sends over its WebSocket, as far as these tests read it. */
interface StatelyMessage {
  type: string;
  sessionId: string;
  name?: string;
  event?: { type: string };
  snapshot?: { value?: unknown; context?: unknown };
}

/** A WebSocket server on a free port of 127.0.0.1 that keeps every message its clients send. */
async function messageSink() {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const messages: StatelyMessage[] = [];
  let changed = () => {};
  server.on('connection', (socket) =>
    socket.on('message', (data) => {
      messages.push(JSON.parse(String(data)) as StatelyMessage);
      changed();
    }),
  );
  /** Resolves once the messages satisfy `done`; fails naming `what` after WAIT_MS. */
  const until = (done: (all: StatelyMessage[]) => boolean, what: string) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${what} within ${WAIT_MS} ms; got ${JSON.stringify(messages.map((m) => m.type))}`)), WAIT_MS);
      changed = () => {
        if (!done(messages)) return;
        clearTimeout(timer);
        resolve();
      };
      changed();
    });
  const close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return { url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}`, messages, until, close };
}

describe("@statelyai/inspect's WebSocket inspector as the inspect option", () => {
  const scratch = useScratch();
  const ends: (() => unknown)[] = [];
  afterEach(async () => {
    for (const end of ends.splice(0).reverse()) await end();
  });

  it("sends each actor's announcement, events and snapshots, under the actor's component/key", async () => {
    const sink = await messageSink();
    ends.push(sink.close);
    const inspector = createWebSocketInspector({ url: sink.url });
    ends.push(() => inspector.stop());
    const system = await scratch.start({ db: scratch.file('ws.db'), components: [counter], inspect: inspector });
    await system.publish('counts.a', { type: 'add', amount: 2 }, { key: 'k1' });
    await system.settled();

    const actorOf = (all: StatelyMessage[]) => all.find((m) => m.type === '@xstate.actor' && m.name === 'counter/k1');
    const counted = (all: StatelyMessage[]) => {
      const actor = actorOf(all);
      return all.find((m) => m.type === '@xstate.snapshot' && m.sessionId === actor?.sessionId && m.event?.type === 'add');
    };
    await sink.until((all) => counted(all) !== undefined, 'snapshot after the add');
    expect(counted(sink.messages)?.snapshot).toMatchObject({ value: 'counted', context: { count: 2 } });
    const session = actorOf(sink.messages)?.sessionId;
    expect(sink.messages.filter((m) => m.sessionId === session && m.type === '@xstate.event').map((m) => m.event?.type)).toEqual(['xstate.init', 'add']);
  });
});
