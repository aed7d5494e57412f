import { describe, expect, it } from 'vitest';
import { assign, fromPromise, setup } from 'xstate';
import { defineComponent, silentLogger, WaitTimeoutError } from '../src/index.ts';
import { useScratch } from './support/scratch.ts';

/** A payment whose charge is an invoked promise the test settles when it wants. */
function payments(charges: Map<string, () => void>) {
  const machine = setup({
    types: {} as { context: { key: string; tries: number }; events: { type: 'pay' }; input: { key: string } },
    actors: {
      charge: fromPromise<void, { key: string }>(({ input }) => new Promise<void>((resolve) => charges.set(input.key, resolve))),
    },
  }).createMachine({
    context: ({ input }) => ({ key: input.key, tries: 0 }),
    initial: 'idle',
    states: {
      idle: { on: { pay: { target: 'paying', actions: assign({ tries: ({ context }) => context.tries + 1 }) } } },
      paying: {
        initial: 'charging',
        states: { charging: { invoke: { src: 'charge', input: ({ context }) => ({ key: context.key }), onDone: '#payment.paid' } } },
      },
      paid: {},
    },
    id: 'payment',
  });
  return defineComponent({ name: 'payment', logic: machine, subscribe: 'pay.*', key: true, input: (key) => ({ key: key as string }) });
}

describe('waitFor', () => {
  const scratch = useScratch();
  const start = (charges: Map<string, () => void>) => scratch.start({ db: scratch.file('wait.db'), components: [payments(charges)], logger: silentLogger });

  it('resolves once an invoked child finishing takes the actor to the awaited state, which settled() does not wait for', async () => {
    const charges = new Map<string, () => void>();
    const system = await start(charges);
    await system.publish('pay.now', { type: 'pay' }, { key: 'o-1' });
    await system.settled();
    expect((await system.query('payment', 'o-1')).value).toEqual({ paying: 'charging' });

    const paid = system.waitFor('payment', 'o-1', 'paid', { timeoutMs: 10_000 });
    const nested = system.waitFor('payment', 'o-1', { paying: 'charging' });
    expect((await nested).value).toEqual({ paying: 'charging' });
    charges.get('o-1')?.();
    const view = await paid;
    expect(view).toMatchObject({ component: 'payment', key: 'o-1', value: 'paid', context: { tries: 1 } });
  });

  it('waits for an actor that does not exist yet, and takes a predicate on its view', async () => {
    const system = await start(new Map());
    const started = system.waitFor('payment', 'o-2', (view) => (view.context as { tries: number }).tries === 1);
    await system.publish('pay.now', { type: 'pay' }, { key: 'o-2' });
    expect((await started).value).toEqual({ paying: 'charging' });
  });

  it('rejects with a WaitTimeoutError naming the awaited state and where the actor is', async () => {
    const system = await start(new Map());
    await system.publish('pay.now', { type: 'pay' }, { key: 'o-3' });
    await system.settled();
    const waited = system.waitFor('payment', 'o-3', 'refunded', { timeoutMs: 40 });
    await expect(waited).rejects.toBeInstanceOf(WaitTimeoutError);
    await expect(waited).rejects.toThrow(/component payment key "o-3" did not reach state "refunded" within 40 ms \(it is in \{"paying":"charging"\}\)/);
    await expect(system.waitFor('nobody', undefined, 'x')).rejects.toThrow(/Unknown component "nobody"/);
  });
});
