import { createMachine } from 'xstate';
import { type ConformanceCase, conformance } from '../conformance-case.ts';

const player = createMachine({
  id: 'player',
  initial: 'off',
  states: {
    off: { on: { power: 'on.hist', deep: 'on.deepHist' } },
    on: {
      initial: 'first',
      states: {
        first: { on: { next: 'second' } },
        second: {
          initial: 'a',
          states: { a: { on: { inner: 'b' } }, b: {} },
        },
        hist: { type: 'history' },
        deepHist: { type: 'history', history: 'deep' },
      },
      on: { power: 'off' },
    },
  },
});

const withDefault = createMachine({
  initial: 'idle',
  states: {
    idle: { on: { resume: 'work.hist' } },
    work: {
      initial: 'one',
      states: { one: { on: { go: 'two' } }, two: {}, hist: { type: 'history', target: 'two' } },
      on: { pause: 'idle' },
    },
  },
});

const parallelHistory = createMachine({
  initial: 'editing',
  states: {
    editing: {
      type: 'parallel',
      states: {
        bold: { initial: 'off', states: { off: { on: { bold: 'on' } }, on: { on: { bold: 'off' } } } },
        italic: { initial: 'off', states: { off: { on: { italic: 'on' } }, on: { on: { italic: 'off' } } } },
        hist: { type: 'history', history: 'deep' },
      },
      on: { preview: 'preview' },
    },
    preview: { on: { back: 'editing.hist' } },
  },
});

export const historyCases: ConformanceCase[] = [
  conformance('shallow history re-enters the last child', player, { type: 'power' }, { type: 'next' }, { type: 'power' }, { type: 'power' }),
  conformance(
    'shallow history enters the child of the remembered state at its initial state',
    player,
    { type: 'power' },
    { type: 'next' },
    { type: 'inner' },
    { type: 'power' },
    { type: 'power' },
  ),
  conformance(
    'deep history re-enters the remembered leaf',
    player,
    { type: 'power' },
    { type: 'next' },
    { type: 'inner' },
    { type: 'power' },
    { type: 'deep' },
  ),
  conformance('history with nothing remembered goes to the initial state', player, { type: 'power' }),
  conformance('history with nothing remembered goes to its default target', withDefault, { type: 'resume' }),
  conformance(
    'history remembers across several visits',
    withDefault,
    { type: 'resume' },
    { type: 'pause' },
    { type: 'resume' },
    { type: 'pause' },
    { type: 'resume' },
  ),
  conformance(
    'deep history of a parallel state restores every region',
    parallelHistory,
    { type: 'bold' },
    { type: 'preview' },
    { type: 'back' },
    { type: 'italic' },
    { type: 'preview' },
    { type: 'back' },
  ),
];
