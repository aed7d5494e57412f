import { rmSync } from 'node:fs';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type AnyActorRef, assign, fromCallback, fromObservable, fromPromise, sendTo, setup } from 'xstate';
import { idempotencyKey } from '../../src/actor/idempotency-key.ts';
import { createSystem, defineComponent, type Envelope, SimulatedClock, type System, silentLogger, startSupervisor, startWorker } from '../../src/index.ts';
import { type NatsServer, startNatsServer } from '../support/nats-server.ts';
import { useScratch } from '../support/scratch.ts';

/** A stand-in for a model: counts its calls by idempotency key, and answers at once unless a key is held. */
class Model {
  readonly calls: string[] = [];
  readonly #held = new Map<string, (answer: string) => void>();
  readonly #holding = new Set<string>();

  /** Calls under keys that end with `suffix` wait until `answer(suffix)`. */
  hold(suffix: string): void {
    this.#holding.add(suffix);
  }

  answer(suffix: string): void {
    for (const [key, resolve] of this.#held) if (key.endsWith(suffix)) resolve(`late answer to ${key}`);
  }

  call(key: string): Promise<string> {
    this.calls.push(key);
    if ([...this.#holding].some((suffix) => key.includes(suffix))) return new Promise((resolve) => this.#held.set(key, resolve));
    return Promise.resolve(`answer ${this.calls.length}`);
  }

  callsFor(key: string): number {
    return this.calls.filter((call) => call.includes(`/${key}/`)).length;
  }
}

/**
 * An agent turn: a model call, a callback child that answers each nudge with a tick, an
 * observable whose value the actor keeps; then a 300 ms wait that times out. A poke counts as
 * `b` while waiting and as `a` once timed out, so the order of the timer's firing and the poke shows.
 */
const agents = (model: Model) =>
  defineComponent({
    name: 'agents',
    subscribe: 'agents.*',
    key: true,
    checkpoint: { maxDelayMs: 0 },
    logic: setup({
      types: {} as {
        context: { a: number; b: number; answer: string | null; ticks: number; level: number };
        events: { type: 'ask' } | { type: 'poke' } | { type: 'nudge' } | { type: 'tick' };
      },
      actors: {
        model: fromPromise(async ({ self }: { self: AnyActorRef }) => model.call(idempotencyKey(self) as string)),
        ticker: fromCallback(({ sendBack, receive }) => {
          receive(() => sendBack({ type: 'tick' }));
        }),
        meter: fromObservable(() => ({
          subscribe(observer: unknown) {
            (observer as { next: (value: number) => void }).next(7);
            return { unsubscribe() {} };
          },
        })),
      },
    }).createMachine({
      id: 'agent',
      context: { a: 0, b: 0, answer: null, ticks: 0, level: 0 },
      initial: 'idle',
      states: {
        idle: { on: { ask: 'thinking' } },
        thinking: {
          invoke: [
            { src: 'model', onDone: { target: 'waiting', actions: assign({ answer: ({ event }) => event.output as string }) } },
            { src: 'ticker', id: 'ticker' },
            { src: 'meter', onSnapshot: { actions: assign({ level: ({ event }) => (event.snapshot.context as number | undefined) ?? 0 }) } },
          ],
          on: { nudge: { actions: sendTo('ticker', { type: 'nudge' }) }, tick: { actions: assign({ ticks: ({ context }) => context.ticks + 1 }) } },
        },
        waiting: {
          after: { 300: 'timedOut' },
          on: { poke: { actions: assign({ b: ({ context }) => context.b + 1 }) } },
        },
        timedOut: { on: { poke: { actions: assign({ a: ({ context }) => context.a + 1 }) } } },
      },
    }),
  });

const T0 = 1_700_000_000_000;
const WAIT = { timeoutMs: 10_000 };
const view = async (system: System, key: string) => {
  const { value, context } = await system.query('agents', key);
  return { value, context };
};

/**
 * The story every run tells: k1 asks, its model answers, its timer fires, then a poke comes;
 * k2 asks, is nudged twice (its callback child ticks back each time), and its model call is
 * still in flight at the end. `crash`, if given, runs between
 * the two and returns the system to go on with.
 */
async function story(system: System, clock: SimulatedClock, model: Model, crash?: () => Promise<System>): Promise<System> {
  await system.publish('agents.asked', { type: 'ask' }, { key: 'k1' });
  await system.waitFor('agents', 'k1', 'waiting', WAIT);
  clock.advance(300);
  await system.waitFor('agents', 'k1', 'timedOut', WAIT);
  await system.publish('agents.poked', { type: 'poke' }, { key: 'k1' });
  await system.waitFor('agents', 'k1', (v) => (v.context as { a: number }).a === 1, WAIT);
  model.hold('/k2/');
  await system.publish('agents.asked', { type: 'ask' }, { key: 'k2' });
  await system.publish('agents.nudged', { type: 'nudge' }, { key: 'k2' });
  await system.publish('agents.nudged', { type: 'nudge' }, { key: 'k2' });
  await system.waitFor(
    'agents',
    'k2',
    (v) => (v.context as { ticks: number; level: number }).ticks === 2 && (v.context as { level: number }).level === 7,
    WAIT,
  );
  return crash ? crash() : system;
}

/** The states a run that never failed ends in: k1 timed out and poked once there; k2 thinking. */
async function neverFailed(scratch: ReturnType<typeof useScratch>): Promise<{ k1: unknown; k2: unknown }> {
  const clock = new SimulatedClock(T0);
  const model = new Model();
  const system = await scratch.start({ db: scratch.file('reference.db'), components: [agents(model)], clock, logger: silentLogger });
  await story(system, clock, model);
  return { k1: await view(system, 'k1'), k2: await view(system, 'k2') };
}

/** Keeps only the log of a system's file: what any machine could read from the SSS alone. */
function keepOnlyTheLog(file: string): void {
  const db = new Database(file);
  try {
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name != 'events'").all() as {
      name: string;
    }[];
    for (const { name } of tables) db.exec(`DROP TABLE "${name}"`);
  } finally {
    db.close();
  }
}

describe('the log is the whole truth', () => {
  const scratch = useScratch();

  it('rebuilds every actor from the log alone, embedded: the same states, and no child invoked whose outcome the log holds', async () => {
    const reference = await neverFailed(scratch);
    const clock = new SimulatedClock(T0);
    const model = new Model();
    const file = scratch.file('lost.db');
    const first = await createSystem({ db: file, components: [agents(model)], clock, logger: silentLogger });
    await story(first, clock, model);
    const log = await first.events();
    await first.halt();
    keepOnlyTheLog(file);

    const again = new Model();
    again.hold('/k2/');
    const rebuilt = await scratch.start({ db: file, components: [agents(again)], clock, logger: silentLogger });
    await rebuilt.waitFor('agents', 'k1', (v) => (v.context as { a: number }).a === 1, WAIT);
    await rebuilt.waitFor('agents', 'k2', (v) => (v.context as { level: number }).level === 7, WAIT);
    await rebuilt.settled();
    expect(await view(rebuilt, 'k1')).toEqual(reference.k1);
    expect(await view(rebuilt, 'k2')).toEqual(reference.k2);
    // k1's model answer, ticks, observed value and timer firing came from the log; k2's call was in flight: made again, under its key.
    expect(again.callsFor('k1')).toBe(0);
    expect(again.calls).toEqual(model.calls.filter((call) => call.includes('/k2/')));
    // Input records of every kind are in the log, and the rebuild added nothing to it.
    expect(new Set(log.filter((e) => e.topic === '$input.agents').map((e) => (e.event as { type: string }).type))).toEqual(
      new Set(['recq.child.done', 'recq.child.event', 'recq.child.next', 'recq.timer.fired']),
    );
    // The rebuild adds to the log only what k2's children, in flight at the loss and run again, sent anew.
    const after = await rebuilt.events();
    expect(after.slice(0, log.length).map((e: Envelope) => e.id)).toEqual(log.map((e) => e.id));
    expect(after.slice(log.length).filter((e) => e.topic !== '$input.agents' || e.key !== 'k2')).toEqual([]);
  });

  describe('distributed', () => {
    let nats: NatsServer;
    beforeEach(async () => {
      nats = await startNatsServer();
    });
    afterEach(async () => {
      await nats.stop();
    });
    const systems = useScratch();

    it('takes over a consumer on a worker that never saw it, after the first worker and its file are lost: the same states, one model call', async () => {
      const reference = await neverFailed(systems);
      const clock = new SimulatedClock(T0);
      const options = { nats: { servers: nats.url, namespace: 'truth' }, leaseTtlMs: 1_500, clock, logger: silentLogger };
      systems.keep(await startSupervisor({ ...options, db: systems.file('sss.db') }));
      const lostModel = new Model();
      const lostFile = systems.file('worker-1.db');
      const lost = await startWorker({ ...options, db: lostFile, components: [agents(lostModel)], owner: 'worker-1' });
      const model = new Model();
      const worker = systems.keep(await startWorker({ ...options, db: systems.file('worker-2.db'), components: [agents(model)], owner: 'worker-2' }));
      expect((await worker.status()).consumers[0]).toMatchObject({ hostState: 'standby' });

      const survivor = await story(lost, clock, lostModel, async () => {
        await lost.halt();
        for (const suffix of ['', '-wal', '-shm']) rmSync(`${lostFile}${suffix}`, { force: true });
        // The lost worker's lease lapses; the standby takes the consumer over and rebuilds it from the log.
        // Time moves in steps a heartbeat apart, each answered, as it would go by for a live worker.
        while ((await worker.status()).consumers[0]?.hostState !== 'live') clock.advance(250);
        return worker;
      });
      await survivor.waitFor('agents', 'k1', (v) => (v.context as { a: number }).a === 1, WAIT);
      await survivor.waitFor('agents', 'k2', (v) => (v.context as { level: number }).level === 7, WAIT);
      expect(await view(survivor, 'k1')).toEqual(reference.k1);
      expect(await view(survivor, 'k2')).toEqual(reference.k2);
      expect(lostModel.callsFor('k1')).toBe(1);
      expect(model.callsFor('k1')).toBe(0);
      // k2's call was in flight when the first worker was lost: made again, once, under the same key.
      expect(model.calls).toEqual(lostModel.calls.filter((call) => call.includes('/k2/')));
      model.answer('/k2/');
      await survivor.waitFor('agents', 'k2', 'waiting', WAIT);
    });
  });
});
