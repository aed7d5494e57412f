import { describe, expect, it } from 'vitest';
import { IncompatibleSnapshotError, SnapshotRestoreError, silentLogger } from '../../src/index.ts';
import { useScratch } from '../support/scratch.ts';
import { checkout, checkoutV1, checkoutWithDiscount, checkoutWithoutAwaiting, checkoutWithRenamedCharge, publishAll, run } from './machines.ts';

describe('snapshots that no longer fit the machine', () => {
  const scratch = useScratch();

  it('refuses a snapshot in a state the machine no longer has, naming the state and what to do, while other keys go on', async () => {
    const db = scratch.file('shop.db');
    await run(db, checkout(checkoutV1), [
      ['add', 'c1'],
      ['pay', 'c1'],
      ['add', 'c2'],
    ]);
    const system = await scratch.start({ db, components: [checkout(checkoutWithoutAwaiting)], logger: silentLogger });
    await publishAll(system, [
      ['paid', 'c1'],
      ['add', 'c2'],
    ]);
    expect(await system.query('checkout', 'c2')).toMatchObject({ value: 'cart', context: { items: 2 } });
    const [letter, ...others] = system.deadLetters();
    expect(others).toEqual([]);
    expect(letter).toMatchObject({ key: 'c1', attempts: 1, status: 'parked' });
    expect(letter?.error).toMatch(
      /Component "checkout" key "c1" cannot restore its snapshot in state \{"payment":"awaiting"\}: state "payment.awaiting" no longer exists/,
    );
    expect(letter?.error).toMatch(/Give the component a new version and a migrate\(snapshot, fromVersion\).*or replay the consumer from the log/);
  });

  it('refuses a snapshot that lacks a context field the machine now starts with, naming the field, instead of counting NaN', async () => {
    const db = scratch.file('shop.db');
    await run(db, checkout(checkoutV1), [['add', 'c1']]);
    const system = await scratch.start({ db, components: [checkout(checkoutWithDiscount)], logger: silentLogger });
    await publishAll(system, [
      ['add', 'c1'],
      ['add', 'c2'],
    ]);
    // A new key gets the field from the initial context.
    expect(await system.query('checkout', 'c2')).toMatchObject({ context: { items: 0, discount: 1 } });
    const [letter] = system.deadLetters();
    expect(letter).toMatchObject({ key: 'c1', status: 'parked' });
    expect(letter?.error).toMatch(/key "c1" cannot restore its snapshot in state "cart": context field "discount" is missing/);
  });

  it('refuses a snapshot whose child has no logic in the machine, naming child and logic', async () => {
    const db = scratch.file('shop.db');
    await run(db, checkout(checkoutV1), [['pay', 'c1']]);
    const system = await scratch.start({ db, components: [checkout(checkoutWithRenamedCharge)], logger: silentLogger });
    await publishAll(system, [['paid', 'c1']]);
    const [letter] = system.deadLetters();
    expect(letter?.error).toMatch(/child "charge" has no logic "chargeCard" \(name it in setup\(\{ actors \}\)\)/);
  });

  it('refuses to start a singleton whose snapshot does not fit, with an error that says which', async () => {
    const db = scratch.file('shop.db');
    await run(db, checkout(checkoutV1, { singleton: true }), [['pay', 'c1']]);
    const start = scratch.start({ db, components: [checkout(checkoutWithoutAwaiting, { singleton: true })], logger: silentLogger });
    await expect(start).rejects.toBeInstanceOf(IncompatibleSnapshotError);
    await expect(start).rejects.toBeInstanceOf(SnapshotRestoreError);
    await expect(start).rejects.toMatchObject({
      component: 'checkout',
      key: undefined,
      problems: ['state "payment.awaiting" no longer exists', 'child "charge" has no logic "chargeCard" (name it in setup({ actors }))'],
    });
  });
});
