import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/index.ts';
import { useScratch } from '../support/scratch.ts';
import { readTables } from '../support/tables.ts';
import { checkout, checkoutV1, checkoutWithCancel, publishAll, run } from './machines.ts';

describe('edits that old snapshots still fit', () => {
  const scratch = useScratch();

  it('restores snapshots of the machine before a transition and a state were added, and takes the new transition', async () => {
    const db = scratch.file('shop.db');
    await run(db, checkout(checkoutV1), [
      ['add', 'c1'],
      ['add', 'c2'],
      ['pay', 'c2'],
    ]);
    const system = await scratch.start({ db, components: [checkout(checkoutWithCancel)], logger: silentLogger });
    expect(await system.query('checkout', 'c1')).toMatchObject({ value: 'cart', context: { items: 1 } });
    expect(await system.query('checkout', 'c2')).toMatchObject({ value: { payment: 'awaiting' } });
    await publishAll(system, [
      ['add', 'c1'],
      ['cancel', 'c1'],
      ['cancel', 'c2'],
    ]);
    // The new code counts two per add, from the restored count.
    expect(await system.query('checkout', 'c1')).toMatchObject({ value: 'cancelled', context: { items: 3 } });
    expect(await system.query('checkout', 'c2')).toMatchObject({ value: 'cancelled' });
    expect(system.deadLetters()).toEqual([]);
  });

  it('stores "auto" as the version of a component without one, so an edit does not change what is stored', async () => {
    const db = scratch.file('shop.db');
    await run(db, checkout(checkoutV1), [['add', 'c1']]);
    await run(db, checkout(checkoutWithCancel), [['add', 'c1']]);
    const { snapshots, consumers } = readTables(db, { snapshots: ['key', 'version'], consumers: ['version'] });
    expect(snapshots).toEqual([{ key: 'c1', version: 'auto' }]);
    expect(consumers).toEqual([{ version: 'auto' }]);
  });

  it('reads snapshots stored under the old default hash version as "auto" ones', async () => {
    const db = scratch.file('shop.db');
    await run(db, checkout(checkoutV1), [
      ['add', 'c1'],
      ['pay', 'c1'],
    ]);
    // What earlier releases wrote: a hash of the machine definition.
    const sqlite = new Database(db);
    sqlite.prepare(`UPDATE snapshots SET version = '3f9c0a1b2d4e'`).run();
    sqlite.prepare(`UPDATE consumers SET version = '3f9c0a1b2d4e'`).run();
    sqlite.close();
    const system = await scratch.start({ db, components: [checkout(checkoutWithCancel)], logger: silentLogger });
    await publishAll(system, [['cancel', 'c1']]);
    expect(await system.query('checkout', 'c1')).toMatchObject({ value: 'cancelled', context: { items: 1 } });
    expect(system.deadLetters()).toEqual([]);
  });
});
