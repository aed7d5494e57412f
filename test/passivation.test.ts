import { describe, expect, it } from 'vitest';
import { defineComponent, SimulatedClock, silentLogger } from '../src/index.ts';
import { recorderMachine } from './invariants/fixtures.ts';
import { useScratch } from './support/scratch.ts';

describe('keyed actors in memory', () => {
  const scratch = useScratch();

  it('passivates idle actors after the configured time and restores them, state intact, on their next event', async () => {
    const clock = new SimulatedClock(0);
    const component = defineComponent({ name: 'recorder', logic: recorderMachine, subscribe: 'inv.*', key: true, passivateAfterMs: 60_000 });
    const s = await scratch.start({ db: scratch.file('passivate.db'), components: [component], clock, logger: silentLogger });
    await s.publishMany(['a', 'b', 'c'].map((key, i) => ({ topic: 'inv.a', event: { type: 'add', amount: i + 1 }, key })));
    await s.settled();
    expect((await s.status()).consumers[0]).toMatchObject({ activeActors: 3, storedActors: 3 });

    // `a` stays busy; `b` and `c` go idle.
    clock.advance(40_000);
    await s.publish('inv.a', { type: 'add', amount: 10 }, { key: 'a' });
    await s.settled();
    clock.advance(30_000);
    expect((await s.status()).consumers[0]).toMatchObject({ activeActors: 1, storedActors: 3 });

    // A passivated actor answers queries from the CSS, and comes back on its next event.
    expect((await s.query('recorder', 'b')).context).toMatchObject({ seqs: [2], sum: 2 });
    const { seq } = await s.publish('inv.a', { type: 'add', amount: 5 }, { key: 'b' });
    await s.settled();
    expect((await s.status()).consumers[0]).toMatchObject({ activeActors: 2 });
    expect((await s.query('recorder', 'b')).context).toMatchObject({ seqs: [2, seq], sum: 7 });
  });
});
