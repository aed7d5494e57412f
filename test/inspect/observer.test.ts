import { describe, expect, it } from 'vitest';
import type { AnyActorRef, InspectionEvent } from 'xstate';
import { InvalidOptionError } from '../../src/index.ts';
import { listeningLogger } from '../support/listening-logger.ts';
import { useScratch } from '../support/scratch.ts';
import { counter, total } from './counters.ts';

/** What an inspector sees of one inspection event, read when it arrives (snapshots move on). */
interface Seen {
  type: string;
  id: string;
  value?: unknown;
  context?: unknown;
  event?: string;
}

function recorder() {
  const seen: Seen[] = [];
  const next = (event: InspectionEvent) => {
    const id = (event.actorRef as AnyActorRef).id;
    if (event.type === '@xstate.actor') {
      const snapshot = event.actorRef.getSnapshot() as unknown as { value: unknown; context: unknown };
      seen.push({ type: event.type, id, value: snapshot.value, context: snapshot.context });
    } else if (event.type === '@xstate.snapshot') {
      const snapshot = event.snapshot as unknown as { value: unknown; context: unknown };
      seen.push({ type: event.type, id, value: snapshot.value, context: snapshot.context, event: event.event.type });
    } else if (event.type === '@xstate.event') seen.push({ type: event.type, id, event: event.event.type });
  };
  return { seen, next, of: (id: string) => seen.filter((s) => s.id === id) };
}

describe('the inspect option', () => {
  const scratch = useScratch();

  it("streams each component actor's events and snapshots under the id component/key (a singleton's under its name)", async () => {
    const inspector = recorder();
    const system = await scratch.start({ db: scratch.file('inspect.db'), components: [counter, total], inspect: inspector.next });
    await system.publish('counts.a', { type: 'add', amount: 2 }, { key: 'k1' });
    await system.settled();

    expect(inspector.of('counter/k1')).toEqual([
      { type: '@xstate.actor', id: 'counter/k1', value: 'idle', context: { count: 0 } },
      { type: '@xstate.event', id: 'counter/k1', event: 'xstate.init' },
      { type: '@xstate.snapshot', id: 'counter/k1', value: 'idle', context: { count: 0 }, event: 'xstate.init' },
      { type: '@xstate.event', id: 'counter/k1', event: 'add' },
      { type: '@xstate.snapshot', id: 'counter/k1', value: 'counted', context: { count: 2 }, event: 'add' },
    ]);
    expect(inspector.of('total').at(-1)).toEqual({ type: '@xstate.snapshot', id: 'total', value: 'counted', context: { count: 2 }, event: 'add' });
    // The event an actor receives is the published one, with the log's meta.
    const received: InspectionEvent[] = [];
    const again = await scratch.start({ db: scratch.file('meta.db'), components: [counter], inspect: (event) => received.push(event) });
    const { seq } = await again.publish('counts.a', { type: 'add', amount: 1 }, { key: 'k2' });
    await again.settled();
    const add = received.find((event) => event.type === '@xstate.event' && event.event.type === 'add');
    expect(add?.type === '@xstate.event' && add.event).toMatchObject({ type: 'add', amount: 1, meta: { seq, topic: 'counts.a', key: 'k2' } });
  });

  it('shows an actor restored from the CSS after a restart with its restored state, before its next event', async () => {
    const db = scratch.file('restart.db');
    let system = await scratch.start({ db, components: [counter, total] });
    await system.publish('counts.a', { type: 'add', amount: 2 }, { key: 'k1' });
    await system.settled();
    await system.stop();

    const inspector = recorder();
    system = await scratch.start({ db, components: [counter, total], inspect: { next: inspector.next } });
    // The singleton is restored at start; the keyed actor when its next event comes.
    expect(inspector.of('total')).toEqual([
      { type: '@xstate.actor', id: 'total', value: 'counted', context: { count: 2 } },
      { type: '@xstate.event', id: 'total', event: 'xstate.init' },
      { type: '@xstate.snapshot', id: 'total', value: 'counted', context: { count: 2 }, event: 'xstate.init' },
    ]);
    expect(inspector.of('counter/k1')).toEqual([]);
    await system.publish('counts.a', { type: 'add', amount: 3 }, { key: 'k1' });
    await system.settled();
    expect(inspector.of('counter/k1')).toEqual([
      { type: '@xstate.actor', id: 'counter/k1', value: 'counted', context: { count: 2 } },
      { type: '@xstate.event', id: 'counter/k1', event: 'xstate.init' },
      { type: '@xstate.snapshot', id: 'counter/k1', value: 'counted', context: { count: 2 }, event: 'xstate.init' },
      { type: '@xstate.event', id: 'counter/k1', event: 'add' },
      { type: '@xstate.snapshot', id: 'counter/k1', value: 'counted', context: { count: 5 }, event: 'add' },
    ]);
  });

  it("takes an inspector's .inspect observer, and an observer that throws fails no event", async () => {
    const inspector = recorder();
    const throwing = {
      inspect: {
        next: (event: InspectionEvent) => {
          inspector.next(event);
          throw new Error('inspector bug');
        },
      },
    };
    const log = listeningLogger();
    const system = await scratch.start({ db: scratch.file('throwing.db'), components: [counter], inspect: throwing, logger: log.logger });
    await system.publish('counts.a', { type: 'add', amount: 4 }, { key: 'k1' });
    await system.settled();
    expect((await system.query('counter', 'k1')).context).toEqual({ count: 4 });
    expect(await system.deadLetters()).toEqual([]);
    expect(inspector.of('counter/k1').at(-1)).toMatchObject({ type: '@xstate.snapshot', context: { count: 4 } });
    expect(log.lines.filter((line) => line.startsWith('the inspect observer failed'))).toHaveLength(1);
  });

  it('refuses an inspect option that is no observer, naming it and what it takes', async () => {
    const start = scratch.start({ db: scratch.file('bad.db'), components: [counter], inspect: { url: 'ws://localhost:8080' } as never });
    await expect(start).rejects.toBeInstanceOf(InvalidOptionError);
    await expect(start).rejects.toThrow(/Invalid option inspect = .*ws:\/\/localhost:8080.*expected an XState inspection observer/);
  });
});
