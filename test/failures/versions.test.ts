import { describe, expect, it } from 'vitest';
import { assign, createMachine, fromPromise, setup } from 'xstate';
import { createSystem, defineComponent, IncompatibleSnapshotError, SnapshotRestoreError, silentLogger, VersionMismatchError } from '../../src/index.ts';
import { useScratch } from '../support/scratch.ts';
import { readTables } from '../support/tables.ts';

const counterV1 = setup({ types: {} as { context: { count: number } } }).createMachine({
  id: 'counter',
  context: { count: 0 },
  initial: 'counting',
  states: { counting: { on: { add: { actions: assign({ count: ({ context }) => context.count + 1 }) } } }, archived: {} },
});

// Version 2 renames the context field and drops the `archived` state.
const counterV2 = setup({ types: {} as { context: { total: number } } }).createMachine({
  id: 'counter',
  context: { total: 0 },
  initial: 'counting',
  states: { counting: { on: { add: { actions: assign({ total: ({ context }) => context.total + 1 }) } } } },
});

describe('snapshot versions', () => {
  const scratch = useScratch();

  async function seed(key?: true) {
    const system = await scratch.start({
      db: scratch.file('v.db'),
      components: [defineComponent({ name: 'counter', logic: counterV1, subscribe: 'c.*', key })],
      logger: silentLogger,
    });
    await system.publish('c.add', { type: 'add' }, { key: 'k1' });
    await system.publish('c.add', { type: 'add' }, { key: 'k1' });
    await system.settled();
    await system.stop();
  }

  it('stores "auto" as the default version, and refuses to start on a snapshot that lacks a context field of the current machine, naming it', async () => {
    await seed();
    expect(readTables(scratch.file('v.db'), { snapshots: ['version'] }).snapshots).toEqual([{ version: 'auto' }]);
    expect(defineComponent({ name: 'counter', logic: counterV2, subscribe: 'c.*' }).version).toBe('auto');
    const start = createSystem({
      db: scratch.file('v.db'),
      components: [defineComponent({ name: 'counter', logic: counterV2, subscribe: 'c.*' })],
      logger: silentLogger,
    });
    await expect(start).rejects.toBeInstanceOf(IncompatibleSnapshotError);
    await expect(start).rejects.toThrow(
      /Component "counter" cannot restore its snapshot in state "counting": context field "total" is missing .*Give the component a new version and a migrate/,
    );
  });

  it('refuses a snapshot of another named version when the component has no migrate, naming both versions', async () => {
    await seed();
    const start = createSystem({
      db: scratch.file('v.db'),
      components: [defineComponent({ name: 'counter', logic: counterV1, subscribe: 'c.*', version: '2' })],
      logger: silentLogger,
    });
    await expect(start).rejects.toBeInstanceOf(VersionMismatchError);
    await expect(start).rejects.toThrow(/Component "counter" has a snapshot of logic version "auto", but the current version is "2"/);
  });

  it('calls migrate(snapshot, fromVersion) and carries on from the migrated snapshot', async () => {
    await seed();
    const seen: string[] = [];
    const component = defineComponent({
      name: 'counter',
      logic: counterV2,
      subscribe: 'c.*',
      version: '2',
      migrate: (snapshot, fromVersion) => {
        seen.push(fromVersion);
        const old = snapshot as { context: { count: number } };
        return { ...old, context: { total: old.context.count } };
      },
    });
    const system = await scratch.start({ db: scratch.file('v.db'), components: [component], logger: silentLogger });
    await system.publish('c.add', { type: 'add' });
    await system.settled();
    expect((await system.query('counter')).context).toEqual({ total: 3 });
    expect(seen).toEqual(['auto']);
  });

  it('reports a singleton snapshot in a state the machine no longer has, naming component and state, without crashing', async () => {
    const system = await scratch.start({
      db: scratch.file('v.db'),
      components: [defineComponent({ name: 'counter', logic: counterV1, subscribe: 'c.*', version: 'x' })],
      logger: silentLogger,
    });
    await system.publish('c.add', { type: 'add' });
    await system.settled();
    await system.stop();
    // Put the stored snapshot in the state version 2 removed.
    const Database = (await import('better-sqlite3')).default;
    const db = new Database(scratch.file('v.db'));
    db.prepare(`UPDATE snapshots SET snapshot = json_set(snapshot, '$.value', 'archived')`).run();
    db.close();
    const start = createSystem({
      db: scratch.file('v.db'),
      components: [defineComponent({ name: 'counter', logic: counterV2, subscribe: 'c.*', version: 'x' })],
      logger: silentLogger,
    });
    await expect(start).rejects.toBeInstanceOf(SnapshotRestoreError);
    await expect(start).rejects.toThrow(/Component "counter" cannot restore its snapshot in state "archived": state "archived" no longer exists/);
  });

  it('dead-letters the events of a key whose snapshot no longer fits, naming the key and state, while other keys go on', async () => {
    await seed(true);
    const Database = (await import('better-sqlite3')).default;
    const db = new Database(scratch.file('v.db'));
    db.prepare(`UPDATE snapshots SET snapshot = json_set(snapshot, '$.value', 'archived'), version = 'x'`).run();
    db.close();
    const system = await scratch.start({
      db: scratch.file('v.db'),
      components: [defineComponent({ name: 'counter', logic: counterV2, subscribe: 'c.*', key: true, version: 'x' })],
      logger: silentLogger,
    });
    await system.publish('c.add', { type: 'add' }, { key: 'k1' });
    await system.publish('c.add', { type: 'add' }, { key: 'k2' });
    await system.settled();
    expect((await system.query('counter', 'k2')).context).toEqual({ total: 1 });
    const [letter] = system.deadLetters();
    expect(letter).toMatchObject({ key: 'k1', seq: 3, attempts: 1, status: 'parked' });
    expect(letter?.error).toMatch(/Component "counter" key "k1" cannot restore its snapshot in state "archived": state "archived" no longer exists/);
  });

  it('accepts inline invoked logic, which XState finds again on restore by state and index', () => {
    const inline = createMachine({ id: 'inline', initial: 'a', states: { a: { invoke: { src: fromPromise(async () => 1) } } } });
    expect(defineComponent({ name: 'inline', logic: inline, subscribe: 'x' }).name).toBe('inline');
    const named = setup({ actors: { work: fromPromise(async () => 1) } }).createMachine({
      id: 'named',
      initial: 'a',
      states: { a: { invoke: { src: 'work' } } },
    });
    expect(defineComponent({ name: 'good', logic: named, subscribe: 'x' }).name).toBe('good');
  });
});
