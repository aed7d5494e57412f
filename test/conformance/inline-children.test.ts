import { afterEach, describe, expect, it } from 'vitest';
import { type AnyActorRef, assign, createMachine, fromPromise, spawnChild } from 'xstate';
import { defineComponent, InlineSpawnError, silentLogger } from '../../src/index.ts';
import { closeTestSystems, testSystem } from '../../src/public/testing.ts';

const counter = createMachine({ context: { n: 0 }, on: { inc: { actions: assign({ n: ({ context }) => context.n + 1 }) } } });

/** What XState's own tests write: `spawn` of a logic object inside `assign`. */
const inlineSpawner = createMachine({
  context: { child: null as AnyActorRef | null, count: 0 },
  on: {
    spawn: { actions: assign({ child: ({ spawn }) => spawn(counter, { id: 'kid' }) }) },
    count: { actions: assign({ count: ({ context }) => context.count + 1 }) },
  },
});

describe('children that no snapshot could restore', () => {
  afterEach(closeTestSystems);

  it('refuses spawn(inlineLogic) in assign before a checkpoint holds it, naming component, state and child', async () => {
    const t = await testSystem({ components: [defineComponent({ name: 'spawner', logic: inlineSpawner, subscribe: 'kids.*' })], logger: silentLogger });
    await t.publish('kids.count', { type: 'count' });
    await t.publish('kids.spawn', { type: 'spawn' });
    const [letter] = t.system.deadLetters('spawner');
    expect(letter).toMatchObject({ seq: 2, status: 'parked' });
    expect(letter?.attempts).toBe(1);
    expect(letter?.error).toMatch(/"spawner".*spawns child "kid" from inline logic.*setup\(\{ actors/);
    expect((await t.query('spawner')).context).toEqual({ child: null, count: 1 });

    // What was committed restores, and later events apply: nothing fails after a restart.
    await t.restart();
    await t.publish('kids.count', { type: 'count' });
    expect(await t.query('spawner')).toMatchObject({ status: 'active', context: { child: null, count: 2 } });
    expect(t.system.deadLetters('spawner')).toHaveLength(1);
  });

  it('refuses spawnChild(inlineLogic) at registration', () => {
    const machine = createMachine({ initial: 'a', states: { a: { entry: spawnChild(counter, { id: 'kid' }) } } });
    const define = () => defineComponent({ name: 'eager', logic: machine, subscribe: 'kids.*' });
    expect(define).toThrow(InlineSpawnError);
    expect(define).toThrow(/state "\(machine\)\.a" spawns child "kid" from inline logic/);
  });

  it('accepts inline invoked logic, which XState finds again by state and index', () => {
    const machine = createMachine({ initial: 'a', states: { a: { invoke: { src: fromPromise(async () => 1) } } } });
    expect(defineComponent({ name: 'inline', logic: machine, subscribe: 'kids.*' }).name).toBe('inline');
  });
});
