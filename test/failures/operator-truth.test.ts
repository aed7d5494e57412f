import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { assign, setup } from 'xstate';
import { CommandQueue } from '../../src/css/commands.ts';
import { openDatabase, type SqliteDatabase } from '../../src/db.ts';
import { createSystem, defineComponent, SimulatedClock, SnapshotRestoreError, type System } from '../../src/index.ts';
import { useScratch } from '../support/scratch.ts';
import { applierMachine, FailurePlan, listeningLogger } from './fixtures.ts';

/** Version 1 counts in state `counting` and ends in `archived`; version 2 has no `archived`. */
const counterV1 = setup({ types: {} as { context: { count: number }; events: { type: 'add' } | { type: 'archive' } } }).createMachine({
  context: { count: 0 },
  initial: 'counting',
  states: {
    counting: { on: { add: { actions: assign({ count: ({ context }) => context.count + 1 }) }, archive: 'archived' } },
    archived: {},
  },
});
const counterV2 = setup({ types: {} as { context: { count: number }; events: { type: 'add' } | { type: 'archive' } } }).createMachine({
  context: { count: 0 },
  initial: 'counting',
  states: { counting: { on: { add: { actions: assign({ count: ({ context }) => context.count + 1 }) } } } },
});
const counter = (logic: typeof counterV1 | typeof counterV2) => defineComponent({ name: 'counter', logic, subscribe: 'c.*', version: 'x' });

describe('what operators are told, and what their commands do', () => {
  const scratch = useScratch();
  let operatorDb: SqliteDatabase | undefined;
  afterEach(() => {
    operatorDb?.close();
    operatorDb = undefined;
  });
  const queueOn = (file: string) => {
    operatorDb = openDatabase(file);
    return new CommandQueue(operatorDb);
  };

  async function parked(file: string, plan: FailurePlan, clock: SimulatedClock): Promise<System> {
    const applier = defineComponent({ name: 'applier', logic: applierMachine(plan), subscribe: 'work.*', key: true, retry: { maxAttempts: 1 } });
    const system = await scratch.start({ db: file, components: [applier], clock, leaseTtlMs: 3_000, logger: listeningLogger().logger });
    plan.permanent.add('e1');
    await system.publish('work.apply', { type: 'apply', name: 'e1' }, { key: 'k1', id: 'e1' });
    await system.publish('work.apply', { type: 'apply', name: 'e2' }, { key: 'k1', id: 'e2' });
    await system.settled();
    return system;
  }

  it('reports the dead letters waiting for an operator in status() and the live view', async () => {
    const system = await parked(scratch.file('truth.db'), new FailurePlan(), new SimulatedClock(0));
    const [consumer] = (await system.status()).consumers;
    expect(consumer).toMatchObject({ consumer: 'applier', deadLetters: 1 });
    expect(system.view.getSnapshot().context.consumers.applier?.deadLetters).toBe(1);
  });

  it('applies a retry queued twice before the system starts once, and completes both commands', async () => {
    const file = scratch.file('twice.db');
    const plan = new FailurePlan();
    const clock = new SimulatedClock(0);
    const first = await parked(file, plan, clock);
    const id = first.deadLetters()[0]?.id as number;
    await first.stop();
    plan.permanent.delete('e1');
    const queue = queueOn(file);
    const a = queue.enqueue('applier', 'retry', id);
    // A second identical row, as an older queue (or a race of two operators) could leave.
    operatorDb?.prepare('INSERT INTO consumer_commands (consumer, command, arg, requested_at) VALUES (?, ?, ?, ?)').run('applier', 'retry', String(id), 0);
    const b = queue.pending('applier')[1];
    expect(queue.enqueue('applier', 'retry', id).id).toBe(a.id);

    const system = await parked(file, plan, clock);
    await system.settled();
    expect(((await system.query('applier', 'k1')).context as { applied: string[] }).applied).toEqual(['e2', 'e1']);
    expect(system.deadLetters()).toMatchObject([{ id, status: 'retried' }]);
    expect(queue.get(a.id)?.outcome).toMatch(/is being retried/);
    expect(queue.get(b?.id as number)?.outcome).toBe(queue.get(a.id)?.outcome);
    expect((await system.status()).consumers[0]?.deadLetters).toBe(0);
  });

  async function archivedSnapshot(file: string): Promise<void> {
    const system = await scratch.start({ db: file, components: [counter(counterV1)], logger: listeningLogger().logger });
    await system.publish('c.add', { type: 'add' });
    await system.publish('c.add', { type: 'add' });
    await system.publish('c.archive', { type: 'archive' });
    await system.settled();
    await system.stop();
  }

  it('marks a host whose snapshot no longer fits its machine failed at once, without restarts, saying to replay it', async () => {
    const file = scratch.file('unfit.db');
    await archivedSnapshot(file);
    const { logger, lines } = listeningLogger();
    const start = createSystem({ db: file, components: [counter(counterV2)], logger });
    await expect(start).rejects.toBeInstanceOf(SnapshotRestoreError);
    expect(lines.filter((line) => /restarting in/.test(line))).toEqual([]);
    expect(lines.find((line) => /not restarted/.test(line))).toMatch(/"archived".*recq replay counter/s);
  });

  it('applies a replay queued for a consumer that cannot start before restoring its actors, so it rebuilds from the log', async () => {
    const file = scratch.file('rebuild.db');
    await archivedSnapshot(file);
    await expect(createSystem({ db: file, components: [counter(counterV2)], logger: listeningLogger().logger })).rejects.toBeInstanceOf(SnapshotRestoreError);
    const replay = queueOn(file).enqueue('counter', 'replay', 1);

    const system = await scratch.start({ db: file, components: [counter(counterV2)], logger: listeningLogger().logger });
    await system.settled();
    // Version 2 ignores `archive`: rebuilt from the log, it counts both adds and stays counting.
    expect(await system.query('counter')).toMatchObject({ value: 'counting', context: { count: 2 }, seq: 3 });
    const queue = new CommandQueue(operatorDb as SqliteDatabase);
    expect(queue.get(replay.id)).toMatchObject({ outcome: 'consumer counter replays from seq 1: its actors are forgotten and rebuilt from the log' });
    const rows = new Database(file, { readonly: true });
    expect(rows.prepare('SELECT COUNT(*) AS n FROM events').get()).toEqual({ n: 3 });
    rows.close();
  });
});
