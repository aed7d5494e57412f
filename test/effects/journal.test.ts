import { afterEach, describe, expect, it } from 'vitest';
import { type AnyActorRef, assign, emit, fromPromise, setup } from 'xstate';
import { idempotencyKey } from '../../src/actor/idempotency-key.ts';
import { defineComponent, silentLogger } from '../../src/index.ts';
import { closeTestSystems, type TestSystem, testSystem } from '../../src/public/testing.ts';
import { untilActor } from './until-actor.ts';

/** A stand-in for a paid service: counts its calls, by idempotency key, and answers when told to. */
class CountedService {
  readonly calls: (string | undefined)[] = [];
  #answers: { resolve: (value: string) => void; reject: (error: Error) => void }[] = [];
  #auto: 'resolve' | 'reject' | undefined;

  constructor(auto?: 'resolve' | 'reject') {
    this.#auto = auto;
  }

  call(amount: number, key: string | undefined): Promise<string> {
    this.calls.push(key);
    if (this.#auto === 'resolve') return Promise.resolve(`receipt-${amount}-${this.calls.length}`);
    if (this.#auto === 'reject') return Promise.reject(new Error(`card declined (call ${this.calls.length})`));
    return new Promise((resolve, reject) => this.#answers.push({ resolve, reject }));
  }

  /** Answers the latest call. */
  answer(value: string): void {
    this.#answers.at(-1)?.resolve(value);
  }
}

const payments = (service: CountedService) =>
  defineComponent({
    name: 'payments',
    subscribe: 'payments.*',
    key: true,
    checkpoint: { maxDelayMs: 0 },
    logic: setup({
      types: {} as {
        context: { receipt: string | null; error: string | null; applied: number; notes?: number[] };
        events: { type: 'pay'; amount: number } | { type: 'note' };
      },
      actors: {
        charge: fromPromise(async ({ input, self }: { input: { amount: number }; self: AnyActorRef }) => service.call(input.amount, idempotencyKey(self))),
      },
    }).createMachine({
      id: 'payment',
      context: { receipt: null, error: null, applied: 0 },
      initial: 'idle',
      states: {
        idle: { on: { pay: 'charging' } },
        charging: {
          on: {
            note: { actions: assign({ notes: ({ context, event }) => [...(context.notes ?? []), (event as unknown as { meta: { seq: number } }).meta.seq] }) },
          },
          invoke: {
            src: 'charge',
            input: ({ event }) => ({ amount: (event as { amount: number }).amount }),
            onDone: {
              target: 'paid',
              actions: [
                assign({ receipt: ({ event }) => event.output as string, applied: ({ context }) => context.applied + 1 }),
                emit(({ event }) => ({ type: 'payment.charged', receipt: event.output as string })),
              ],
            },
            onError: {
              target: 'declined',
              actions: assign({ error: ({ event }) => (event.error as Error).message, applied: ({ context }) => context.applied + 1 }),
            },
          },
        },
        paid: {},
        declined: {},
      },
    }),
  });

const view = async (t: TestSystem) => {
  const { value, context } = await t.query('payments', 'p-1');
  return { value, context };
};

/** The consumer's input records in the log: what its children did, as the actor took it in. */
const inputRecords = async (t: TestSystem) => (await t.events('$input.payments')).map(({ seq, id, key, event }) => ({ seq, id, key, event }));

describe('invoked children: their outcomes are input records in the log, taken in once and reused', () => {
  afterEach(closeTestSystems);

  it('does not call the service again after a restart or a replay, and the actor sees the recorded output', async () => {
    const service = new CountedService('resolve');
    const t = await testSystem({ components: [payments(service)], logger: silentLogger });
    await t.publish('payments.requested', { type: 'pay', amount: 30 }, { key: 'p-1' });
    await untilActor(t, 'payments', 'p-1', (a) => a.value === 'paid');
    const paid = await view(t);
    expect(paid).toEqual({ value: 'paid', context: { receipt: 'receipt-30-1', error: null, applied: 1 } });
    expect(service.calls).toEqual(['payments/p-1/1/invoke/0.payment.charging/0']);
    const child = 'payments/p-1/1/invoke/0.payment.charging/0';
    expect(await inputRecords(t)).toEqual([
      { seq: 2, id: `${child}/done`, key: 'p-1', event: { type: 'recq.child.done', child, outcome: 'done', value: '"receipt-30-1"' } },
    ]);
    const logBefore = await t.events();

    await t.restart();
    expect(await view(t)).toEqual(paid);
    await t.restart({ crash: true });
    expect(await view(t)).toEqual(paid);

    await t.system.replay('payments', { from: 1 });
    await t.settled();
    expect(await view(t)).toEqual(paid);
    expect(service.calls).toHaveLength(1);
    // The replayed outcome emitted what it emitted the first time, under the same id: the log gained nothing.
    expect(await t.events()).toEqual(logBefore);
    expect(logBefore.find((e) => e.topic === 'payment.charged')?.id).toBe('payments/p-1/1/invoke/0.payment.charging/0/done/0');
  });

  it('records an error outcome and replays it as an error, without calling again', async () => {
    const service = new CountedService('reject');
    const t = await testSystem({ components: [payments(service)], logger: silentLogger });
    await t.publish('payments.requested', { type: 'pay', amount: 40 }, { key: 'p-1' });
    await untilActor(t, 'payments', 'p-1', (a) => a.value === 'declined');
    const declined = await view(t);
    expect(declined).toEqual({ value: 'declined', context: { receipt: null, error: 'card declined (call 1)', applied: 1 } });
    expect((await inputRecords(t)).map((record) => (record.event as { outcome?: string }).outcome)).toEqual(['error']);

    await t.system.replay('payments', { from: 1 });
    await t.settled();
    expect(await view(t)).toEqual(declined);
    await t.restart({ crash: true });
    expect(await view(t)).toEqual(declined);
    expect(service.calls).toHaveLength(1);
  });

  it('calls a child in flight at a crash again with the same idempotency key, and applies its outcome once', async () => {
    const service = new CountedService();
    const t = await testSystem({ components: [payments(service)], logger: silentLogger });
    await t.publish('payments.requested', { type: 'pay', amount: 50 }, { key: 'p-1' });
    expect(await view(t)).toMatchObject({ value: 'charging' });
    expect(service.calls).toHaveLength(1);

    await t.restart({ crash: true });
    // Restored at start (it has a child in flight), and the child runs again under its key.
    expect(service.calls).toHaveLength(2);
    expect(service.calls[1]).toBe(service.calls[0]);
    service.answer('receipt-late');
    await untilActor(t, 'payments', 'p-1', (a) => a.value === 'paid');
    expect(await view(t)).toEqual({ value: 'paid', context: { receipt: 'receipt-late', error: null, applied: 1 } });
    expect((await t.events('payment.charged')).map((e) => e.event)).toEqual([{ type: 'payment.charged', receipt: 'receipt-late' }]);

    await t.restart();
    expect(await view(t)).toEqual({ value: 'paid', context: { receipt: 'receipt-late', error: null, applied: 1 } });
    expect(service.calls).toHaveLength(2);
  });

  it('replays from seq 1 to exactly the same state, with no new log entries, for several keys and events', async () => {
    const service = new CountedService('resolve');
    const t = await testSystem({ components: [payments(service)], logger: silentLogger });
    for (const key of ['a', 'b', 'c']) await t.publish('payments.requested', { type: 'pay', amount: key.charCodeAt(0) }, { key });
    for (const key of ['a', 'b', 'c']) await untilActor(t, 'payments', key, (a) => a.value === 'paid');
    const before = await Promise.all(['a', 'b', 'c'].map((key) => t.query('payments', key)));
    const logBefore = await t.events();
    await t.system.replay('payments', { from: 1 });
    await t.settled();
    expect(await Promise.all(['a', 'b', 'c'].map((key) => t.query('payments', key)))).toEqual(before);
    expect(await t.events()).toEqual(logBefore);
    expect(service.calls).toHaveLength(3);
  });

  it('replays an outcome at the point of history where it first arrived, after the events that came before it', async () => {
    const service = new CountedService();
    const t = await testSystem({ components: [payments(service)], logger: silentLogger });
    await t.publish('payments.requested', { type: 'pay', amount: 60 }, { key: 'p-1' });
    await t.publish('payments.noted', { type: 'note' }, { key: 'p-1' });
    service.answer('receipt-after-note');
    await untilActor(t, 'payments', 'p-1', (a) => a.value === 'paid');
    await t.publish('payments.noted', { type: 'note' }, { key: 'p-1' });
    const first = await view(t);
    // The note before the outcome counted; the one after it came in state paid, which ignores it.
    expect(first).toEqual({ value: 'paid', context: { receipt: 'receipt-after-note', error: null, applied: 1, notes: [2] } });
    // Its record came after the note: a replay meets the two in that order again.
    expect(await inputRecords(t)).toMatchObject([{ seq: 3, event: { outcome: 'done' } }]);
    const logBefore = await t.events();

    await t.system.replay('payments', { from: 1 });
    await t.settled();
    expect(await view(t)).toEqual(first);
    expect(await t.events()).toEqual(logBefore);
    expect(service.calls).toHaveLength(1);
  });
});
