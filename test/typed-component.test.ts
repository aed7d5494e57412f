import { describe, expect, expectTypeOf, it } from 'vitest';
import { assign, setup } from 'xstate';
import { defineComponent, UnknownKeyError } from '../src/index.ts';
import { useScratch } from './support/scratch.ts';

const account = setup({
  types: {} as {
    context: { balance: number };
    events: { type: 'deposit'; amount: number } | { type: 'close' };
  },
}).createMachine({
  context: { balance: 0 },
  initial: 'open',
  states: {
    open: {
      on: {
        deposit: { actions: assign({ balance: ({ context, event }) => context.balance + event.amount }) },
        close: 'closed',
      },
    },
    closed: {},
  },
});

const accounts = defineComponent({ name: 'accounts', logic: account, subscribe: 'accounts.commands', key: true });

describe('typed component handle', () => {
  const scratch = useScratch();

  it("publishes the machine's events and reads its context and state with their types", async () => {
    const system = await scratch.start({ db: scratch.file(), components: [accounts] });
    const alice = system.component(accounts);
    await alice.publish('accounts.commands', { type: 'deposit', amount: 70 }, { key: 'alice' });
    await alice.publish('accounts.commands', { type: 'close' }, { key: 'alice' });
    await system.settled();

    const view = await alice.query('alice');
    expectTypeOf(view.context).toEqualTypeOf<{ balance: number }>();
    expect(view.context.balance).toBe(70);
    expect(view.value).toBe('closed');
    await expect(alice.query('bob')).rejects.toBeInstanceOf(UnknownKeyError);
  });

  it('does not compile a publish of an event the machine does not accept', () => {
    // Type checks only (npm run typecheck); never called.
    const typed = async (system: Awaited<ReturnType<typeof scratch.start>>) => {
      const handle = system.component(accounts);
      // @ts-expect-error: 'withdraw' is not an event of the account machine
      await handle.publish('accounts.commands', { type: 'withdraw', amount: 1 });
      // @ts-expect-error: a deposit needs an amount
      await handle.publish('accounts.commands', { type: 'deposit' });
      // The untyped path stays open.
      await system.publish('accounts.commands', { type: 'withdraw', amount: 1 });
    };
    expect(typeof typed).toBe('function');
  });
});
