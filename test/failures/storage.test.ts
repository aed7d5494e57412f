import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { createSystem, SimulatedClock, StorageError } from '../../src/index.ts';
import { recorder } from '../invariants/fixtures.ts';
import { useScratch } from '../support/scratch.ts';
import { readTables } from '../support/tables.ts';
import { untilHostState, untilView } from '../support/until-view.ts';
import { listeningLogger } from './fixtures.ts';

describe('SQLite failures', () => {
  const scratch = useScratch();
  let blocker: Database.Database | undefined;
  afterEach(() => {
    blocker?.close();
    blocker = undefined;
  });

  it('refuses appends with a typed error while the database is locked, and accepts them once it is free', async () => {
    const system = await scratch.start({ db: scratch.file('locked.db'), components: [recorder()], busyTimeoutMs: 20, logger: listeningLogger().logger });
    blocker = new Database(scratch.file('locked.db'));
    blocker.exec('BEGIN IMMEDIATE');
    const refused = system.publish('inv.a', { type: 'add', amount: 1 }, { key: 'k1' });
    await expect(refused).rejects.toBeInstanceOf(StorageError);
    await expect(refused).rejects.toThrow(/SQLite failed to append events to the log \(SQLITE_BUSY\).*Nothing from this operation was committed/);
    blocker.exec('ROLLBACK');
    expect(readTables(scratch.file('locked.db')).events).toHaveLength(0);
    const { seq } = await system.publish('inv.a', { type: 'add', amount: 2 }, { key: 'k1' });
    expect(seq).toBe(1);
    await system.settled();
    expect((await system.query('recorder', 'k1')).context).toMatchObject({ seqs: [1], sum: 2 });
  });

  it('never advances an offset when a checkpoint fails, and resumes once the cause is gone', async () => {
    const clock = new SimulatedClock(0);
    const system = await scratch.start({
      db: scratch.file('checkpoint.db'),
      components: [recorder({ maxDelayMs: 1_000 })],
      clock,
      busyTimeoutMs: 20,
      restart: { initialDelayMs: 1_000, maxDelayMs: 1_000, maxRestarts: 10, windowMs: 60_000 },
      logger: listeningLogger().logger,
    });
    await system.publish('inv.a', { type: 'add', amount: 1 }, { key: 'k1' });
    await system.settled();
    await system.publish('inv.a', { type: 'add', amount: 2 }, { key: 'k1' });
    // Applied in memory; its checkpoint is due when the clock reaches the commit delay.
    const head = await system.head();
    await untilView(system, (view) => (view.consumers.recorder?.offset === head ? true : undefined), `the recorder applying seq ${head}`);
    blocker = new Database(scratch.file('checkpoint.db'));
    blocker.exec('BEGIN IMMEDIATE');
    clock.advance(1_000);
    await untilHostState(system, 'recorder', 'failed');
    expect((await system.status()).consumers[0]).toMatchObject({
      hostState: 'failed',
      restarts: 1,
      lastError: expect.stringMatching(/^SQLite failed to checkpoint consumer recorder \(SQLITE_BUSY\)/),
    });
    blocker.exec('ROLLBACK');
    // Seq 2 is the recorder's own emitted event, which it does not consume.
    expect(readTables(scratch.file('checkpoint.db')).consumers[0]?.offset).toBe(1);
    clock.advance(1_000);
    await system.settled();
    expect(readTables(scratch.file('checkpoint.db')).consumers[0]?.offset).toBe(3);
    expect((await system.query('recorder', 'k1')).context).toMatchObject({ seqs: [1, 3], sum: 3 });
  });
});

describe('a damaged or foreign database file', () => {
  const scratch = useScratch();

  it('is refused with a typed error naming the file, and left as it was', async () => {
    const file = scratch.file('not-a-db.db');
    const { writeFileSync, readFileSync } = await import('node:fs');
    writeFileSync(file, 'this is not SQLite, just text that happens to be long enough to look like a header '.repeat(20));
    const before = readFileSync(file);
    const start = createSystem({ db: file, components: [recorder()], logger: listeningLogger().logger });
    await expect(start).rejects.toBeInstanceOf(StorageError);
    await expect(start).rejects.toThrow(/SQLite failed to open ".*not-a-db\.db" \(SQLITE_NOTADB\): file is not a database\. Check the path/);
    expect(readFileSync(file)).toEqual(before);
  });
});
