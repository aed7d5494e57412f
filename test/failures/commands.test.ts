import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CommandQueue } from '../../src/css/commands.ts';
import { openDatabase, type SqliteDatabase } from '../../src/db.ts';
import { defineComponent, type RetryPolicy, SimulatedClock, type System } from '../../src/index.ts';
import { useScratch } from '../support/scratch.ts';
import { applierMachine, FailurePlan, listeningLogger } from './fixtures.ts';

const LEASE_TTL_MS = 3_000;
const HEARTBEAT_MS = LEASE_TTL_MS / 3;

/** Lets the event loop turn until `condition` holds; time (the simulated clock) does not move. */
async function until(condition: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let turn = 0; turn < 2_000; turn++) {
    if (await condition()) return;
    await new Promise((resolve) => setImmediate(resolve));
  }
  throw new Error(`gave up waiting until ${what}`);
}

describe('operator commands queued in the CSS', () => {
  const scratch = useScratch();
  let plan: FailurePlan;
  let clock: SimulatedClock;
  let operatorDb: SqliteDatabase | undefined;
  let queue: CommandQueue;

  beforeEach(() => {
    plan = new FailurePlan();
    clock = new SimulatedClock(0);
  });
  afterEach(() => {
    operatorDb?.close();
    operatorDb = undefined;
  });

  const applier = (retry: Partial<RetryPolicy> = { maxAttempts: 1 }) =>
    defineComponent({ name: 'applier', logic: applierMachine(plan), subscribe: 'work.*', key: true, retry, checkpoint: { maxDelayMs: 0 } });

  const start = (retry?: Partial<RetryPolicy>): Promise<System> =>
    scratch.start({
      db: scratch.file('commands.db'),
      components: [applier(retry)],
      clock,
      leaseTtlMs: LEASE_TTL_MS,
      logger: listeningLogger().logger,
    });

  /** The operator's side: a connection of its own to the same file, as the CLI has. */
  function openQueue(): CommandQueue {
    operatorDb = openDatabase(scratch.file('commands.db'));
    queue = new CommandQueue(operatorDb);
    return queue;
  }

  const publish = (s: System, name: string) => s.publish('work.apply', { type: 'apply', name }, { key: 'k1', id: name });
  const applied = async (s: System) => ((await s.query('applier', 'k1')).context as { applied: string[] }).applied;
  const done = (id: number) => () => queue.get(id)?.doneAt !== undefined;
  const hostState = async (s: System) => (await s.status()).consumers[0]?.hostState;

  async function parkOne(s: System): Promise<number> {
    plan.permanent.add('e1');
    await publish(s, 'e1');
    await publish(s, 'e2');
    await s.settled();
    const [letter] = s.deadLetters();
    expect(letter).toMatchObject({ status: 'parked' });
    return letter?.id as number;
  }

  it('runs a command queued while the system runs on the next heartbeat, and records its outcome', async () => {
    const s = await start();
    const letter = await parkOne(s);
    openQueue();

    const pause = queue.enqueue('applier', 'pause');
    await new Promise((resolve) => setImmediate(resolve));
    expect(queue.get(pause.id)?.doneAt).toBeUndefined();
    clock.advance(HEARTBEAT_MS);
    await until(done(pause.id), 'the pause is done');
    expect(queue.get(pause.id)).toMatchObject({ consumer: 'applier', command: 'pause', outcome: 'consumer applier paused', error: undefined });
    await until(async () => (await hostState(s)) === 'paused', 'the host is paused');

    plan.permanent.delete('e1');
    const resume = queue.enqueue('applier', 'resume');
    const retry = queue.enqueue('applier', 'retry', letter);
    clock.advance(HEARTBEAT_MS);
    await until(done(retry.id), 'the retry is done');
    expect(queue.get(resume.id)?.outcome).toBe('consumer applier resumed');
    expect(queue.get(retry.id)?.outcome).toBe(`dead letter ${letter} is being retried; its outcome is recorded on the letter`);
    await s.settled();
    expect(await applied(s)).toEqual(['e2', 'e1']);
    expect(s.deadLetters()).toMatchObject([{ id: letter, status: 'retried', attempts: 2 }]);
    expect(queue.pending('applier')).toEqual([]);
  });

  it('runs commands queued while the system was stopped when it next starts', async () => {
    const first = await start();
    const letter = await parkOne(first);
    await first.stop();
    openQueue();
    const skip = queue.enqueue('applier', 'skip', letter);
    const pause = queue.enqueue('applier', 'pause');

    const s = await start();
    expect(queue.get(skip.id)).toMatchObject({ outcome: `dead letter ${letter} skipped`, error: undefined });
    expect(queue.get(pause.id)).toMatchObject({ outcome: 'consumer applier paused' });
    await until(() => s.deadLetters()[0]?.status === 'skipped', 'the skip is committed');
    await until(async () => (await hostState(s)) === 'paused', 'the host is paused');
  });

  it('holds a skip of a blocking letter until the restarted consumer blocks on it again, then goes on', async () => {
    plan.permanent.add('e1');
    let s = await start({ maxAttempts: 1, onExhausted: 'block' });
    await publish(s, 'e1');
    await publish(s, 'e2');
    await until(() => s.deadLetters()[0]?.status === 'blocking', 'the consumer blocks');
    const letter = s.deadLetters()[0]?.id as number;
    await s.stop();
    openQueue();
    const skip = queue.enqueue('applier', 'skip', letter);

    s = await start({ maxAttempts: 1, onExhausted: 'block' });
    await until(async () => (await hostState(s)) === 'blocked', 'the consumer blocks again');
    expect(queue.get(skip.id)?.doneAt).toBeUndefined();
    clock.advance(HEARTBEAT_MS);
    await until(done(skip.id), 'the skip is done');
    await s.settled();
    expect(await applied(s)).toEqual(['e2']);
    expect(s.deadLetters()).toMatchObject([{ id: letter, status: 'skipped' }]);
  });

  it('records a command that names a bad dead letter or seq as refused, and changes nothing', async () => {
    const s = await start();
    const letter = await parkOne(s);
    const before = { letters: s.deadLetters(), status: await s.status(), applied: await applied(s) };
    openQueue();
    const missing = queue.enqueue('applier', 'retry', 999);
    const garbled = queue.enqueue('applier', 'skip', 'seven');
    const badSeq = queue.enqueue('applier', 'replay', 0);
    clock.advance(HEARTBEAT_MS);
    await until(done(badSeq.id), 'the commands are done');

    expect(queue.get(missing.id)).toMatchObject({ outcome: undefined, error: 'Cannot retry a dead letter: there is no dead letter 999.' });
    expect(queue.get(garbled.id)?.error).toBe('Cannot skip a dead letter: there is no dead letter seven.');
    expect(queue.get(badSeq.id)?.error).toBe('Cannot replay: --from must be a seq ≥ 1, got 0.');
    await s.settled();
    expect(s.deadLetters()).toEqual(before.letters);
    expect(s.deadLetters()[0]?.id).toBe(letter);
    expect(await applied(s)).toEqual(before.applied);
    expect((await s.status()).consumers).toEqual(before.status.consumers);
  });
});
