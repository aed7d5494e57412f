import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { createActor } from 'xstate';
import { type System, silentLogger } from '../../src/index.ts';
import { compilePattern } from '../../src/topic.ts';
import { useScratch } from '../support/scratch.ts';
import { readTables, type StoreRows, type TableContents } from '../support/tables.ts';
import { recorder, recorderMachine, seeded, tally } from './fixtures.ts';

/** The recorder's context for `key` after applying, from scratch, the log's events up to `offset`. */
function replayedContext(events: StoreRows['events'][], key: string, offset: number): unknown {
  const match = compilePattern('inv.*');
  const actor = createActor(recorderMachine, { input: { key } }).start();
  for (const row of events) {
    if (row.seq > offset || row.key !== key || !match(row.topic)) continue;
    actor.send({ ...JSON.parse(row.event), meta: { seq: row.seq, id: row.id, topic: row.topic, key: row.key, time: 0 } });
  }
  return actor.getSnapshot().context;
}

describe('invariant 2: state and offset agree', () => {
  const scratch = useScratch();

  it('every committed checkpoint holds exactly the state of the events up to its offset', async () => {
    const file = scratch.file('agree.db');
    const system = await scratch.start({ db: file, components: [recorder({ maxEvents: 17, maxDelayMs: 0 })], logger: silentLogger });
    // Read the committed CSS from a second connection at many moments while events flow.
    const observations: TableContents[] = [];
    const random = seeded(99);
    const unsubscribe = system.view.subscribe(() => {
      if (random() < 0.15) observations.push(readTables(file));
    });
    for (let round = 0; round < 20; round++) {
      await system.publishMany(
        Array.from({ length: 50 }, (_, i) => ({
          topic: i % 3 === 0 ? 'inv.b' : 'inv.a',
          event: { type: 'add', amount: round * 50 + i },
          key: `k${(round * 7 + i) % 6}`,
        })),
      );
    }
    await system.settled();
    unsubscribe.unsubscribe();
    observations.push(readTables(file));
    expect(observations.length).toBeGreaterThan(5);
    let checked = 0;
    for (const seen of observations) {
      const offset = seen.consumers.find((c) => c.consumer === 'recorder')?.offset ?? 0;
      for (const row of seen.snapshots.filter((s) => s.consumer === 'recorder')) {
        expect(row.seq).toBeLessThanOrEqual(offset);
        expect(JSON.parse(row.snapshot).context).toEqual(replayedContext(seen.events, row.key, offset));
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(20);
  });

  it('restores actors and offsets together after a restart, and carries on exactly where it stopped', async () => {
    const file = scratch.file('restart.db');
    const publish = (s: System, from: number) =>
      s.publishMany(Array.from({ length: 300 }, (_, i) => ({ topic: 'inv.a', event: { type: 'add', amount: from + i }, key: `k${(from + i) % 5}` })));
    let system = await scratch.start({ db: file, components: [recorder({ maxEvents: 40 }), tally()], logger: silentLogger });
    await publish(system, 0);
    await system.settled();
    const before = await Promise.all([0, 1, 2, 3, 4].map((k) => system.query('recorder', `k${k}`)));
    await system.stop();

    system = await scratch.start({ db: file, components: [recorder({ maxEvents: 40 }), tally()], logger: silentLogger });
    const restored = await Promise.all([0, 1, 2, 3, 4].map((k) => system.query('recorder', `k${k}`)));
    expect(restored.map((v) => v.context)).toEqual(before.map((v) => v.context));
    await publish(system, 300);
    await system.settled();
    const { events } = readTables(file);
    for (let k = 0; k < 5; k++) {
      expect((await system.query('recorder', `k${k}`)).context).toEqual(replayedContext(events, `k${k}`, Number.MAX_SAFE_INTEGER));
    }
    expect((await system.query('tally')).context).toMatchObject({ total: 600 });
  });
});

describe('invariant 3: effectively once', () => {
  const scratch = useScratch();

  it('re-processing events after losing checkpoints adds nothing to the log', async () => {
    const file = scratch.file('once.db');
    let system = await scratch.start({ db: file, components: [recorder({ maxEvents: 25 }), tally()], logger: silentLogger });
    await system.publishMany(Array.from({ length: 400 }, (_, i) => ({ topic: 'inv.a', event: { type: 'add', amount: i }, key: `k${i % 8}` })));
    await system.settled();
    await system.stop();
    const first = readTables(file);
    const emitted = first.events.filter((e) => e.topic === 'recorded.add');
    expect(emitted).toHaveLength(400);
    expect(emitted.every((e) => /^recorder\/k\d\/\d+\/0$/.test(e.id))).toBe(true);

    // As if the process had died before any checkpoint: the recorder's CSS is gone, its emits are not.
    const db = new Database(file);
    db.prepare(`UPDATE consumers SET "offset" = 0 WHERE consumer = 'recorder'`).run();
    db.prepare(`DELETE FROM snapshots WHERE consumer = 'recorder'`).run();
    db.close();

    system = await scratch.start({ db: file, components: [recorder({ maxEvents: 25 }), tally()], logger: silentLogger });
    await system.settled();
    const second = readTables(file);
    expect(second.events).toEqual(first.events);
    expect((await system.query('tally')).context).toMatchObject({ total: 400 });
    expect(second.snapshots.filter((s) => s.consumer === 'recorder').map((s) => JSON.parse(s.snapshot).context)).toEqual(
      first.snapshots.filter((s) => s.consumer === 'recorder').map((s) => JSON.parse(s.snapshot).context),
    );
  });

  it('publishing an id again returns its first seq and appends nothing', async () => {
    const system = await scratch.start({ db: scratch.file('idem.db'), components: [recorder()], logger: silentLogger });
    const first = await system.publish('inv.a', { type: 'add', amount: 1 }, { key: 'k1', id: 'order-1' });
    const again = await system.publish('inv.a', { type: 'add', amount: 1 }, { key: 'k1', id: 'order-1' });
    expect(again).toEqual({ seq: first.seq, id: 'order-1', duplicate: true });
    await system.settled();
    expect((await system.query('recorder', 'k1')).context).toMatchObject({ seqs: [first.seq], sum: 1 });
  });
});
