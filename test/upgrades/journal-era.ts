/**
 * The system of `fixtures/journal-era.db`, a file written by the version that kept children's
 * outcomes and timer firings in the CSS journal instead of the log:
 *
 *   node --import tsx test/upgrades/journal-era.ts <dbFile>
 *
 * writes it (run on that version): o-1 paid with its archive timer pending, o-2 paid and
 * archived (its charge and its timer's firing journaled), o-3 charging with its call in flight.
 */
import { type AnyActorRef, assign, fromPromise, setup } from 'xstate';
import { idempotencyKey } from '../../src/actor/idempotency-key.ts';
import { createSystem, defineComponent, SimulatedClock, silentLogger } from '../../src/index.ts';

/** The clock's time when the file was written: a system opening it goes on from there. */
export const WRITTEN_AT = 1_700_000_000_000 + 60_000;
export const ARCHIVE_AFTER_MS = 60_000;

/** A charge that answers at once, except for the keys it holds; calls are counted by idempotency key. */
export class Bank {
  readonly calls: string[] = [];
  readonly #held: (() => void)[] = [];
  constructor(readonly hold: readonly string[] = []) {}

  charge(key: string): Promise<string> {
    this.calls.push(key);
    if (!this.hold.some((held) => key.includes(`/${held}/`))) return Promise.resolve(`receipt for ${key.split('/')[1]}`);
    return new Promise((resolve) => this.#held.push(() => resolve(`late receipt for ${key.split('/')[1]}`)));
  }

  answerHeld(): void {
    for (const answer of this.#held.splice(0)) answer();
  }
}

export const orders = (bank: Bank) =>
  defineComponent({
    name: 'orders',
    subscribe: 'orders.*',
    key: true,
    version: '1',
    checkpoint: { maxDelayMs: 0 },
    logic: setup({
      types: {} as { context: { receipt: string | null }; events: { type: 'place' } },
      actors: { charge: fromPromise(async ({ self }: { self: AnyActorRef }) => bank.charge(idempotencyKey(self) as string)) },
    }).createMachine({
      id: 'order',
      context: { receipt: null },
      initial: 'new',
      states: {
        new: { on: { place: 'charging' } },
        charging: { invoke: { src: 'charge', onDone: { target: 'paid', actions: assign({ receipt: ({ event }) => event.output as string }) } } },
        paid: { after: { [ARCHIVE_AFTER_MS]: 'archived' } },
        archived: {},
      },
    }),
  });

async function write(db: string): Promise<void> {
  const clock = new SimulatedClock(WRITTEN_AT - ARCHIVE_AFTER_MS);
  const bank = new Bank(['o-3']);
  const system = await createSystem({ db, components: [orders(bank)], clock, owner: 'journal-era', logger: silentLogger });
  await system.publish('orders.placed', { type: 'place' }, { key: 'o-2' });
  await system.waitFor('orders', 'o-2', 'paid');
  clock.advance(ARCHIVE_AFTER_MS);
  await system.waitFor('orders', 'o-2', 'archived');
  await system.publish('orders.placed', { type: 'place' }, { key: 'o-1' });
  await system.waitFor('orders', 'o-1', 'paid');
  await system.publish('orders.placed', { type: 'place' }, { key: 'o-3' });
  await system.waitFor('orders', 'o-3', 'charging');
  await system.settled();
  await system.stop();
}

if (process.argv[1]?.endsWith('journal-era.ts') && process.argv[2]) await write(process.argv[2]);
