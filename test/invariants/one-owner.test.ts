import { describe, expect, it } from 'vitest';
import { createSystem, LeaseHeldError, SimulatedClock, StaleEpochError, silentLogger } from '../../src/index.ts';
import { useScratch } from '../support/scratch.ts';
import { readTables } from '../support/tables.ts';
import { recorder } from './fixtures.ts';

/**
 * What an owner commits: the log, offsets, snapshots and dead letters. A host's own bookkeeping
 * (its host state, lease, timestamps) is left out, since a fenced host still records that it is fenced.
 */
const COMMITTED = {
  events: ['seq', 'id', 'topic', 'key', 'event'],
  consumers: ['consumer', 'offset'],
  snapshots: ['consumer', 'key', 'seq', 'snapshot'],
  dead_letters: ['consumer', 'seq', 'error'],
} as const;

describe('invariant 6: one owner', () => {
  const scratch = useScratch();

  it('refuses a second system on the same file while the first holds the lease, naming the owner', async () => {
    const file = scratch.file('owner.db');
    const clock = new SimulatedClock(1_000);
    await scratch.start({ db: file, components: [recorder()], clock, owner: 'first', logger: silentLogger });
    const second = createSystem({ db: file, components: [recorder()], clock, owner: 'second', logger: silentLogger });
    await expect(second).rejects.toBeInstanceOf(LeaseHeldError);
    await expect(second).rejects.toThrow(/owned by first/);
  });

  it('lets a new owner take over after the lease expires, and refuses every write of the old one', async () => {
    const file = scratch.file('takeover.db');
    const oldClock = new SimulatedClock(0);
    const old = await scratch.start({ db: file, components: [recorder()], clock: oldClock, owner: 'old', leaseTtlMs: 10_000, logger: silentLogger });
    await old.publish('inv.a', { type: 'add', amount: 1 }, { key: 'k1' });
    await old.settled();

    // The old owner stalls (its clock stops); the new one sees the lease expired.
    const fresh = await scratch.start({ db: file, components: [recorder()], clock: new SimulatedClock(60_000), owner: 'new', logger: silentLogger });
    const before = readTables(file, COMMITTED);

    await expect(old.publish('inv.a', { type: 'add', amount: 100 }, { key: 'k1' })).rejects.toBeInstanceOf(StaleEpochError);
    expect(readTables(file, COMMITTED)).toEqual(before);

    await fresh.publish('inv.a', { type: 'add', amount: 2 }, { key: 'k1' });
    await fresh.settled();
    const after = readTables(file, COMMITTED);
    expect(after.events.map((e) => [e.seq, e.topic])).toEqual([
      [1, 'inv.a'],
      [2, 'recorded.add'],
      [3, 'inv.a'],
      [4, 'recorded.add'],
    ]);
    expect((await fresh.query('recorder', 'k1')).context).toMatchObject({ seqs: [1, 3], sum: 3 });
  });

  it('fences a host whose consumer lease was taken over: its checkpoint is refused, nothing it did is written, and it comes back as a standby', async () => {
    const file = scratch.file('fence.db');
    const clock = new SimulatedClock(0);
    const events: string[] = [];
    const system = await scratch.start({
      db: file,
      components: [recorder({ maxEvents: 1_000_000, maxDelayMs: 1_000_000 })],
      clock,
      owner: 'a',
      logger: { info: () => {}, warn: (m) => events.push(m), error: (m) => events.push(m) },
    });
    await system.publish('inv.a', { type: 'add', amount: 1 }, { key: 'k1' });
    // Processed in memory, not yet checkpointed: now someone else takes the consumer's lease.
    await new Promise((resolve) => setImmediate(resolve));
    const Database = (await import('better-sqlite3')).default;
    const db = new Database(file);
    db.prepare(`UPDATE leases SET epoch = epoch + 1, owner = 'b' WHERE resource = 'consumer:recorder'`).run();
    db.close();
    const before = readTables(file, COMMITTED);
    // Settling asks the host to commit what it applied: the commit is refused, and the host gives the consumer up.
    const settled = system.settled();
    for (let i = 0; i < 200 && !events.some((line) => line.includes('gave its consumer up')); i++) await new Promise((resolve) => setImmediate(resolve));
    expect(readTables(file, COMMITTED).consumers).toEqual(before.consumers);
    expect(readTables(file, COMMITTED).snapshots).toEqual(before.snapshots);
    expect(events.join('\n')).toMatch(/gave its consumer up \(Write to "consumer:recorder" with epoch 1 refused/);
    // It starts again after the first restart delay, and stands by while b holds the consumer.
    for (let i = 0; i < 20 && (await system.status()).consumers[0]?.hostState !== 'standby'; i++) {
      clock.advance(100);
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect((await system.status()).consumers[0]).toMatchObject({ hostState: 'standby' });
    await settled;
  });
});
