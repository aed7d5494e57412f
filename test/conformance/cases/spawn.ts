import type { AnyActorRef } from 'xstate';
import { assign, createMachine, sendParent, sendTo, setup, spawnChild, stopChild } from 'xstate';
import { type ConformanceCase, conformance } from '../conformance-case.ts';

const counter = createMachine({
  context: { n: 0 },
  on: { inc: { actions: assign({ n: ({ context }) => context.n + 1 }) }, report: { actions: sendParent(({ context }) => ({ type: 'count', n: context.n })) } },
});

const spawner = setup({ actors: { counter } }).createMachine({
  context: { last: -1 },
  on: {
    spawn: { actions: spawnChild('counter', { id: 'c1' }) },
    inc: { actions: sendTo('c1', { type: 'inc' }) },
    report: { actions: sendTo('c1', { type: 'report' }) },
    count: { actions: assign({ last: ({ event }) => (event as unknown as { n: number }).n }) },
    stop: { actions: stopChild('c1') },
  },
});

const assignSpawner = setup({ actors: { counter } }).createMachine({
  context: { refs: [] as AnyActorRef[], last: -1 },
  on: {
    add: { actions: assign({ refs: ({ context, spawn }) => [...context.refs, spawn('counter', { id: `n${context.refs.length}` })] }) },
    incAll: {
      actions: ({ context }) => {
        for (const ref of context.refs as AnyActorRef[]) ref.send({ type: 'inc' });
      },
    },
    report: { actions: sendTo('n0', { type: 'report' }) },
    count: { actions: assign({ last: ({ event }) => (event as unknown as { n: number }).n }) },
  },
});

export const spawnCases: ConformanceCase[] = [
  conformance('a child spawned by name keeps its state across restarts', spawner, { type: 'spawn' }, { type: 'inc' }, { type: 'inc' }, { type: 'report' }),
  conformance(
    'a child spawned again after a stop starts fresh',
    spawner,
    { type: 'spawn' },
    { type: 'inc' },
    { type: 'stop' },
    { type: 'spawn' },
    { type: 'inc' },
    { type: 'report' },
  ),
  conformance('spawn by name in assign keeps the child across restarts', assignSpawner, { type: 'add' }, { type: 'add' }, { type: 'report' }),
  conformance(
    'children spawned in assign are revived in context after a restart',
    assignSpawner,
    { type: 'add' },
    { type: 'incAll' },
    { type: 'incAll' },
    { type: 'report' },
  ),
];
