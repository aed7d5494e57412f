import { describe, expect, it } from 'vitest';
import { IncompatibleSnapshotError, silentLogger, VersionMismatchError } from '../../src/index.ts';
import { useScratch } from '../support/scratch.ts';
import { readTables } from '../support/tables.ts';
import { checkout, checkoutV1, checkoutWithDiscount, publishAll, run } from './machines.ts';

type Stored = { context: Record<string, unknown> };

describe('an explicit version bump with migrate', () => {
  const scratch = useScratch();

  it('upgrades each snapshot with migrate(snapshot, fromVersion) and goes on from it under the new version', async () => {
    const db = scratch.file('shop.db');
    await run(db, checkout(checkoutV1, { version: '1' }), [
      ['add', 'c1'],
      ['add', 'c1'],
      ['add', 'c1'],
    ]);
    const seen: string[] = [];
    const v2 = checkout(checkoutWithDiscount, {
      version: '2',
      migrate: (snapshot, fromVersion) => {
        seen.push(fromVersion);
        const old = snapshot as Stored;
        return { ...old, context: { ...old.context, discount: 0 } };
      },
    });
    const system = await scratch.start({ db, components: [v2], logger: silentLogger });
    await publishAll(system, [['add', 'c1']]);
    expect(await system.query('checkout', 'c1')).toMatchObject({ context: { items: 4, discount: 0 } });
    expect(seen).toEqual(['1']);
    await system.stop();
    expect(readTables(db, { snapshots: ['version'] }).snapshots).toEqual([{ version: '2' }]);
  });

  it('migrates snapshots of a component that had no version ("auto") when it gets one', async () => {
    const db = scratch.file('shop.db');
    await run(db, checkout(checkoutV1), [['add', 'c1']]);
    const seen: string[] = [];
    const v2 = checkout(checkoutWithDiscount, {
      version: '2',
      migrate: (snapshot, fromVersion) => {
        seen.push(fromVersion);
        return { ...(snapshot as Stored), context: { ...(snapshot as Stored).context, discount: 0 } };
      },
    });
    const system = await scratch.start({ db, components: [v2], logger: silentLogger });
    await publishAll(system, [['add', 'c1']]);
    expect(await system.query('checkout', 'c1')).toMatchObject({ context: { items: 2, discount: 0 } });
    expect(seen).toEqual(['auto']);
  });

  it('refuses a migrated snapshot that does not fit the new machine, naming what migrate got wrong', async () => {
    const db = scratch.file('shop.db');
    await run(db, checkout(checkoutV1, { version: '1', singleton: true }), [['add', 'c1']]);
    // Forgets the new field, and moves the snapshot into a state that does not exist.
    const v2 = checkout(checkoutWithDiscount, { version: '2', singleton: true, migrate: (snapshot) => ({ ...(snapshot as Stored), value: 'basket' }) });
    const start = scratch.start({ db, components: [v2], logger: silentLogger });
    await expect(start).rejects.toBeInstanceOf(IncompatibleSnapshotError);
    await expect(start).rejects.toMatchObject({ migratedFrom: '1', version: '2' });
    await expect(start).rejects.toThrow(
      /cannot restore its snapshot in state "basket": migrate\(snapshot, "1"\) returned a snapshot that does not fit logic version "2": state "basket" no longer exists; context field "discount" is missing/,
    );
  });

  it('refuses to start on a snapshot of another version when there is no migrate, naming both versions', async () => {
    const db = scratch.file('shop.db');
    await run(db, checkout(checkoutV1, { version: '1' }), [['add', 'c1']]);
    const start = scratch.start({ db, components: [checkout(checkoutV1, { version: '2' })], logger: silentLogger });
    await expect(start).rejects.toBeInstanceOf(VersionMismatchError);
    await expect(start).rejects.toThrow(/has a snapshot of logic version "1", but the current version is "2"/);
  });

  it('refuses to start on snapshots of a named version once the version is dropped, as for any version change without migrate', async () => {
    const db = scratch.file('shop.db');
    await run(db, checkout(checkoutV1, { version: '1' }), [['add', 'c1']]);
    const start = scratch.start({ db, components: [checkout(checkoutV1)], logger: silentLogger });
    await expect(start).rejects.toBeInstanceOf(VersionMismatchError);
    await expect(start).rejects.toThrow(/Component "checkout" has a snapshot of logic version "1", but the current version is "auto"/);
  });
});
