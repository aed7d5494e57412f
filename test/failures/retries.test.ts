import { beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type Component, defineComponent, type RetryPolicy, SimulatedClock, type System, UnknownKeyError } from '../../src/index.ts';
import { useScratch } from '../support/scratch.ts';
import { readTables } from '../support/tables.ts';
import { untilHostState } from '../support/until-view.ts';
import { applierMachine, FailurePlan, listeningLogger } from './fixtures.ts';

describe('retries and dead letters', () => {
  const scratch = useScratch();
  let plan: FailurePlan;
  let clock: SimulatedClock;
  let log: ReturnType<typeof listeningLogger>;

  beforeEach(() => {
    plan = new FailurePlan();
    clock = new SimulatedClock(0);
    log = listeningLogger();
  });

  const applier = (retry: Partial<RetryPolicy>, extra: { schema?: Component['schema'] } = {}) =>
    defineComponent({ name: 'applier', logic: applierMachine(plan), subscribe: 'work.*', key: true, retry, checkpoint: { maxDelayMs: 0 }, ...extra });

  const start = (component: Component) => scratch.start({ db: scratch.file('retries.db'), components: [component], clock, logger: log.logger });

  const publish = (s: System, name: string, key = 'k1') => s.publish('work.apply', { type: 'apply', name }, { key, id: name });
  const applied = async (s: System, key = 'k1') => ((await s.query('applier', key)).context as { applied: string[] }).applied;
  const hostState = (s: System) => s.view.get().context.consumers.applier?.hostState;

  /** Waits until the applier waits out a backoff: it is retrying and has committed what came before the failed event. */
  const retryWaiting = async (s: System) => {
    await untilHostState(s, 'applier', 'retrying');
    // The backoff timer is set once that commit's promise settles: one turn of the event loop, while the clock stands still.
    await new Promise((resolve) => setImmediate(resolve));
  };

  /** Moves the clock 1 ms at a time until the waiting retry fires (the host leaves `retrying`), and returns the backoff it waited out. */
  const backoff = async (s: System) => {
    await retryWaiting(s);
    for (let waited = 1; waited <= 60_000; waited++) {
      clock.advance(1);
      // A due retry moves the host machine out of `retrying` during the advance itself.
      if (hostState(s) !== 'retrying') return waited;
    }
    throw new Error('the retry did not fire within 60 s of simulated time');
  };

  it('retries a failing event with backoff, holds later events back meanwhile, and applies it once it succeeds', async () => {
    plan.failFirst.set('e1', 2);
    const s = await start(applier({ maxAttempts: 5, initialDelayMs: 1_000, maxDelayMs: 8_000 }));
    await publish(s, 'e0');
    await publish(s, 'e1');
    await publish(s, 'e2');
    await retryWaiting(s);
    expect(plan.tries.get('e1')).toBe(1);
    expect((await s.status()).consumers[0]).toMatchObject({ hostState: 'retrying' });
    // e0 came before the failure and is committed; e2 waits behind e1.
    expect(await applied(s)).toEqual(['e0']);
    expect(readTables(scratch.file('retries.db')).consumers[0]?.offset).toBe(1);

    const delay = await backoff(s);
    expect(delay).toBeGreaterThanOrEqual(500);
    expect(delay).toBeLessThanOrEqual(1_000);
    const second = await backoff(s);
    expect(second).toBeGreaterThanOrEqual(1_000);
    expect(second).toBeLessThanOrEqual(2_000);
    await s.settled();
    expect(await applied(s)).toEqual(['e0', 'e1', 'e2']);
    expect(plan.tries.get('e1')).toBe(3);
    expect(s.deadLetters()).toEqual([]);
  });

  it('parks an event after its last attempt, with error, stack and attempts, rolls its actor back, and goes on', async () => {
    plan.failFirst.set('e1', 99);
    const s = await start(applier({ maxAttempts: 3, initialDelayMs: 100, maxDelayMs: 100 }));
    await publish(s, 'e0');
    await publish(s, 'e1');
    await publish(s, 'e2');
    await publish(s, 'x0', 'k2');
    // Each retry runs when its backoff is due, so the last failure is at the sum of the backoffs.
    let lastFailure = 0;
    for (let attempt = 1; attempt < 3; attempt++) lastFailure += await backoff(s);
    await s.settled();
    expect(await applied(s)).toEqual(['e0', 'e2']);
    expect(await applied(s, 'k2')).toEqual(['x0']);
    const [letter] = s.deadLetters('applier');
    expect(letter).toMatchObject({ seq: 2, eventId: 'e1', key: 'k1', topic: 'work.apply', attempts: 3, status: 'parked', error: 'event e1 failed on try 3' });
    expect(letter?.stack).toMatch(/event e1 failed on try 3/);
    expect(JSON.parse(letter?.event ?? '{}')).toEqual({ type: 'apply', name: 'e1' });
    expect(letter?.lastFailedAt).toBe(lastFailure);
    expect(log.lines.join('\n')).toMatch(/parked seq 2 after 3 attempts/);
  });

  it('parks a permanent failure at once, without retrying', async () => {
    plan.permanent.add('e1');
    const s = await start(applier({ maxAttempts: 5, initialDelayMs: 60_000 }));
    await publish(s, 'e1');
    await publish(s, 'e2');
    await s.settled();
    expect(plan.tries.get('e1')).toBe(1);
    expect(await applied(s)).toEqual(['e2']);
    expect(s.deadLetters()).toMatchObject([{ eventId: 'e1', attempts: 1, status: 'parked', error: 'event e1 can never be applied' }]);
  });

  it('dead-letters an event that fails the component schema with the validation message, never retrying it', async () => {
    const schema = z.object({ type: z.literal('apply'), name: z.string().min(2) });
    const s = await start(applier({ maxAttempts: 5, initialDelayMs: 60_000 }, { schema }));
    await publish(s, 'e1');
    await publish(s, 'x');
    await s.settled();
    expect(await applied(s)).toEqual(['e1']);
    const [letter] = s.deadLetters();
    expect(letter).toMatchObject({ seq: 2, attempts: 1, status: 'parked' });
    expect(letter?.error).toMatch(/rejected event seq 2: name: Too small/);
  });

  it('with the block policy, stops the consumer and says why; skipping the letter lets it go on', async () => {
    plan.permanent.add('e1');
    const s = await start(applier({ maxAttempts: 1, onExhausted: 'block' }));
    await publish(s, 'e1');
    await publish(s, 'e2');
    await untilHostState(s, 'applier', 'blocked');
    expect(log.lines).toContainEqual(expect.stringMatching(/is blocked on seq 1 after 1 attempts: event e1 can never be applied/));
    await expect(s.settled()).rejects.toThrow(/consumer applier is blocked on seq 1/);
    expect((await s.status()).consumers[0]).toMatchObject({ hostState: 'blocked' });
    const [letter] = s.deadLetters(undefined, 'blocking');
    expect(letter).toMatchObject({ seq: 1, status: 'blocking' });
    await expect(s.query('applier', 'k1')).rejects.toBeInstanceOf(UnknownKeyError);

    s.skipDeadLetter(letter?.id as number);
    await s.settled();
    expect(await applied(s)).toEqual(['e2']);
    expect(s.deadLetters()).toMatchObject([{ id: letter?.id, status: 'skipped' }]);
  });

  it('with the block policy, retrying the letter after the cause is fixed applies it in order', async () => {
    plan.permanent.add('e1');
    const s = await start(applier({ maxAttempts: 1, onExhausted: 'block' }));
    await publish(s, 'e1');
    await publish(s, 'e2');
    await untilHostState(s, 'applier', 'blocked');
    await expect(s.settled()).rejects.toThrow(/blocked/);
    plan.permanent.delete('e1');
    const [letter] = s.deadLetters(undefined, 'blocking');
    s.retryDeadLetter(letter?.id as number);
    await s.settled();
    expect(await applied(s)).toEqual(['e1', 'e2']);
    expect(s.deadLetters()).toMatchObject([{ id: letter?.id, status: 'retried', attempts: 2 }]);
  });

  it('retries a parked letter against the current state and records each outcome', async () => {
    plan.permanent.add('e1');
    const s = await start(applier({ maxAttempts: 1 }));
    await publish(s, 'e1');
    await publish(s, 'e2');
    await s.settled();
    const [letter] = s.deadLetters();
    const id = letter?.id as number;

    // Still broken: the letter stays parked, with one more attempt and the new error.
    s.retryDeadLetter(id);
    await s.settled();
    expect(s.deadLetters()).toMatchObject([{ id, status: 'parked', attempts: 2, error: 'event e1 can never be applied' }]);

    plan.permanent.delete('e1');
    s.retryDeadLetter(id);
    await s.settled();
    expect(await applied(s)).toEqual(['e2', 'e1']);
    expect(s.deadLetters()).toMatchObject([{ id, status: 'retried', attempts: 3 }]);
    expect(() => s.retryDeadLetter(id)).toThrow(/dead letter \d+ is retried, not parked/);
    expect(() => s.skipDeadLetter(999)).toThrow(/there is no dead letter 999/);
  });

  it('settles a letter the consumer was blocked on when it stopped, once the event applies after a restart', async () => {
    plan.permanent.add('e1');
    let s = await start(applier({ maxAttempts: 1, onExhausted: 'block' }));
    await publish(s, 'e1');
    await untilHostState(s, 'applier', 'blocked');
    await s.stop();
    plan.permanent.delete('e1');
    s = await start(applier({ maxAttempts: 1, onExhausted: 'block' }));
    await s.settled();
    expect(await applied(s)).toEqual(['e1']);
    expect(s.deadLetters()).toMatchObject([{ eventId: 'e1', status: 'retried', attempts: 2 }]);
  });

  it('keeps a skipped event skipped when the consumer is replayed', async () => {
    plan.permanent.add('e1');
    const s = await start(applier({ maxAttempts: 1 }));
    await publish(s, 'e1');
    await publish(s, 'e2');
    await s.settled();
    const [letter] = s.deadLetters();
    s.skipDeadLetter(letter?.id as number);
    await s.settled();
    await s.replay('applier', { from: 1 });
    await s.settled();
    expect(await applied(s)).toEqual(['e2']);
    expect(s.deadLetters()).toMatchObject([{ id: letter?.id, status: 'skipped', attempts: 1 }]);
  });
});
