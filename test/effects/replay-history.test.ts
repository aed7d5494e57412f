import { afterEach, describe, expect, it } from 'vitest';
import { assign, emit, fromPromise, setup } from 'xstate';
import { defineComponent, silentLogger } from '../../src/index.ts';
import { closeTestSystems, type TestSystem, testSystem } from '../../src/public/testing.ts';
import { untilActor } from './until-actor.ts';

const TIMEOUT_MS = 60_000;

/** Counts the calls of every step, so a test can tell that a replay called nobody; holds the third step's answer when told to. */
class Steps {
  calls = 0;
  readonly #held: (() => void)[] = [];
  readonly #holdThird: boolean;

  constructor(options: { holdThird?: boolean } = {}) {
    this.#holdThird = options.holdThird ?? false;
  }

  readonly step = fromPromise(async ({ input }: { input: { name: string } }) => {
    this.calls++;
    if (this.#holdThird && input.name === 'third') await new Promise<void>((resolve) => this.#held.push(resolve));
    return `${input.name} done`;
  });

  /** Answers the held calls. */
  release(): void {
    for (const answer of this.#held.splice(0)) answer();
  }
}

/**
 * Three promise children, each invoked when the one before it settles (first → second →
 * third), then a wait that a `close` event ends, or a timeout set on the third outcome.
 */
const chain = (steps: Steps) =>
  defineComponent({
    name: 'chain',
    subscribe: 'chain.*',
    key: true,
    checkpoint: { maxDelayMs: 0 },
    logic: setup({
      types: {} as {
        context: { trail: string[] };
        events: { type: 'start' } | { type: 'close' };
      },
      actors: { step: steps.step },
    }).createMachine({
      id: 'chain',
      context: { trail: [] },
      initial: 'idle',
      states: {
        idle: { on: { start: 'first', close: { actions: assign({ trail: ({ context }) => [...context.trail, 'close ignored in idle'] }) } } },
        first: {
          invoke: {
            src: 'step',
            input: { name: 'first' },
            onDone: { target: 'second', actions: assign({ trail: ({ context, event }) => [...context.trail, event.output] }) },
          },
          on: { close: { actions: assign({ trail: ({ context }) => [...context.trail, 'close ignored in first'] }) } },
        },
        second: {
          invoke: {
            src: 'step',
            input: { name: 'second' },
            onDone: { target: 'third', actions: assign({ trail: ({ context, event }) => [...context.trail, event.output] }) },
          },
          on: { close: { actions: assign({ trail: ({ context }) => [...context.trail, 'close ignored in second'] }) } },
        },
        third: {
          invoke: {
            src: 'step',
            input: { name: 'third' },
            onDone: { target: 'waiting', actions: assign({ trail: ({ context, event }) => [...context.trail, event.output] }) },
          },
          on: { close: { actions: assign({ trail: ({ context }) => [...context.trail, 'close ignored in third'] }) } },
        },
        waiting: {
          on: { close: { target: 'closed', actions: assign({ trail: ({ context }) => [...context.trail, 'closed'] }) } },
          after: {
            [TIMEOUT_MS]: {
              target: 'timedOut',
              actions: [assign({ trail: ({ context }) => [...context.trail, 'timed out'] }), emit({ type: 'timer.timed-out' })],
            },
          },
        },
        closed: {},
        timedOut: {},
      },
    }),
  });

const view = async (t: TestSystem) => {
  const { value, context, seq } = await t.query('chain', 'k');
  return { value, context, seq };
};

describe('a replay reproduces history: chained children, and timers set and fired outside events', () => {
  afterEach(closeTestSystems);

  it('replays a chain of three recorded children to its end, with an event that came after the chain after it again', async () => {
    const steps = new Steps();
    const t = await testSystem({ components: [chain(steps)], logger: silentLogger });
    await t.publish('chain.started', { type: 'start' }, { key: 'k' });
    await untilActor(t, 'chain', 'k', (a) => a.value === 'waiting');
    await t.publish('chain.closed', { type: 'close' }, { key: 'k' });
    const first = await view(t);
    // The close came after the three outcomes' records (seqs 2 to 4).
    expect(first).toEqual({ value: 'closed', context: { trail: ['first done', 'second done', 'third done', 'closed'] }, seq: 5 });
    expect(steps.calls).toBe(3);
    const logBefore = await t.events();

    await t.system.replay('chain', { from: 1 });
    await t.settled();
    expect(await view(t)).toEqual(first);
    expect(steps.calls).toBe(3);
    expect(await t.events()).toEqual(logBefore);
  });

  it('gives a timer set while applying an outcome the same id in a replay, so it fires once', async () => {
    const steps = new Steps({ holdThird: true });
    const t = await testSystem({ components: [chain(steps)], logger: silentLogger });
    await t.publish('chain.started', { type: 'start' }, { key: 'k' });
    await untilActor(t, 'chain', 'k', (a) => a.value === 'third');
    // The third step is in flight at the crash: the process that applies its outcome (and sets
    // the timer) has handled no event, and the timer's id must not depend on that.
    await t.restart({ crash: true });
    steps.release();
    await untilActor(t, 'chain', 'k', (a) => a.value === 'waiting');
    await t.advance(TIMEOUT_MS);
    const first = await view(t);
    // Its last input is the timer's firing record, after the three outcomes' records.
    expect(first).toEqual({ value: 'timedOut', context: { trail: ['first done', 'second done', 'third done', 'timed out'] }, seq: 5 });
    const logBefore = await t.events();
    expect(logBefore.filter((e) => e.topic === 'timer.timed-out')).toHaveLength(1);

    await t.system.replay('chain', { from: 1 });
    await t.settled();
    await t.advance(TIMEOUT_MS);
    expect(await view(t)).toEqual(first);
    expect(await t.events()).toEqual(logBefore);
    // The third step ran again after the crash (it was in flight), and never in the replay.
    expect(steps.calls).toBe(4);
  });

  it('replays a timeout that fired in history at the same point, without a clock advance', async () => {
    const steps = new Steps();
    const t = await testSystem({ components: [chain(steps)], logger: silentLogger });
    await t.publish('chain.started', { type: 'start' }, { key: 'k' });
    await untilActor(t, 'chain', 'k', (a) => a.value === 'waiting');
    await t.advance(TIMEOUT_MS);
    // Came after the timeout: it meets the actor in timedOut, which ignores it.
    await t.publish('chain.closed', { type: 'close' }, { key: 'k' });
    const first = await view(t);
    // The close (seq 7) came after the outcomes (2-4), the firing (5) and what the firing emitted (6).
    expect(first).toEqual({ value: 'timedOut', context: { trail: ['first done', 'second done', 'third done', 'timed out'] }, seq: 7 });
    const logBefore = await t.events();

    await t.system.replay('chain', { from: 1 });
    await t.settled();
    expect(await view(t)).toEqual(first);
    expect(await t.events()).toEqual(logBefore);
    await t.restart({ crash: true });
    expect(await view(t)).toEqual(first);
    expect(steps.calls).toBe(3);
  });
  it('replays the outcomes of parallel children in the order they arrived, not the order they started', async () => {
    const answers = new Map<string, () => void>();
    const calls: string[] = [];
    const slow = fromPromise(async ({ input }: { input: { name: string } }) => {
      calls.push(input.name);
      await new Promise<void>((resolve) => answers.set(input.name, resolve));
      return input.name;
    });
    const parallel = defineComponent({
      name: 'parallel',
      subscribe: 'parallel.*',
      key: true,
      checkpoint: { maxDelayMs: 0 },
      logic: setup({ types: {} as { context: { order: string[] }; events: { type: 'go' } }, actors: { slow } }).createMachine({
        id: 'parallel',
        context: { order: [] },
        initial: 'idle',
        states: {
          idle: { on: { go: 'both' } },
          both: {
            type: 'parallel',
            states: {
              a: {
                initial: 'running',
                states: {
                  running: {
                    invoke: {
                      src: 'slow',
                      input: { name: 'a' },
                      onDone: { target: 'done', actions: assign({ order: ({ context }) => [...context.order, 'a'] }) },
                    },
                  },
                  done: { type: 'final' },
                },
              },
              b: {
                initial: 'running',
                states: {
                  running: {
                    invoke: {
                      src: 'slow',
                      input: { name: 'b' },
                      onDone: { target: 'done', actions: assign({ order: ({ context }) => [...context.order, 'b'] }) },
                    },
                  },
                  done: { type: 'final' },
                },
              },
            },
          },
        },
      }),
    });
    const t = await testSystem({ components: [parallel], logger: silentLogger });
    await t.publish('parallel.go', { type: 'go' }, { key: 'k' });
    await untilActor(t, 'parallel', 'k', () => answers.size === 2);
    answers.get('b')?.();
    await untilActor(t, 'parallel', 'k', (a) => (a.context as { order: string[] }).order.length === 1);
    answers.get('a')?.();
    const first = await untilActor(t, 'parallel', 'k', (a) => (a.context as { order: string[] }).order.length === 2);
    expect(first.context).toEqual({ order: ['b', 'a'] });

    await t.system.replay('parallel', { from: 1 });
    await t.settled();
    expect(await t.query('parallel', 'k')).toEqual(first);
    expect(calls).toEqual(['a', 'b']);
  });
});
