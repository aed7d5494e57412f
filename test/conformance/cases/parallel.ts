import { assign, createMachine, raise } from 'xstate';
import { type ConformanceCase, conformance } from '../conformance-case.ts';

const word = createMachine({
  type: 'parallel',
  context: { log: [] as string[] },
  states: {
    bold: { initial: 'off', states: { off: { on: { toggle: 'on' } }, on: { on: { toggle: 'off' } } } },
    underline: { initial: 'off', states: { off: { on: { toggle: 'on', underline: 'on' } }, on: { on: { underline: 'off' } } } },
    list: { initial: 'none', states: { none: { on: { bullets: 'bullets' } }, bullets: { on: { none: 'none' } } } },
  },
  on: { log: { actions: assign({ log: ({ context }) => [...context.log, 'logged'] }) } },
});

const upload = createMachine({
  initial: 'working',
  context: { finished: 0 },
  states: {
    working: {
      type: 'parallel',
      states: {
        video: { initial: 'uploading', states: { uploading: { on: { videoDone: 'done' } }, done: { type: 'final' } } },
        thumbnail: { initial: 'uploading', states: { uploading: { on: { thumbDone: 'done' } }, done: { type: 'final' } } },
      },
      onDone: { target: 'complete', actions: assign({ finished: ({ context }) => context.finished + 1 }) },
    },
    complete: {},
  },
});

const nested = createMachine({
  type: 'parallel',
  context: { order: [] as string[] },
  states: {
    a: {
      type: 'parallel',
      states: {
        a1: { initial: 'x', states: { x: { on: { go: 'y' } }, y: { entry: assign({ order: ({ context }) => [...context.order, 'a1'] }) } } },
        a2: { initial: 'x', states: { x: { on: { go: 'y' } }, y: { entry: assign({ order: ({ context }) => [...context.order, 'a2'] }) } } },
      },
    },
    b: { initial: 'x', states: { x: { on: { go: { target: 'y', actions: raise({ type: 'raised' }) } } }, y: { on: { raised: 'z' } }, z: {} } },
  },
});

const leaving = createMachine({
  initial: 'both',
  context: { exits: 0 },
  states: {
    both: {
      type: 'parallel',
      exit: assign({ exits: ({ context }) => context.exits + 1 }),
      states: { left: { initial: 'l1', states: { l1: { on: { l: 'l2' } }, l2: {} } }, right: { initial: 'r1', states: { r1: { on: { leave: '#out' } } } } },
    },
    out: { id: 'out', on: { back: 'both' } },
  },
});

export const parallelCases: ConformanceCase[] = [
  conformance('an event is taken by every region that handles it', word, { type: 'toggle' }, { type: 'toggle' }, { type: 'bullets' }),
  conformance('regions move independently', word, { type: 'underline' }, { type: 'bullets' }, { type: 'none' }, { type: 'log' }),
  conformance('a parallel state is done when every region is final', upload, { type: 'videoDone' }, { type: 'thumbDone' }),
  conformance('a parallel state with one region final is not done', upload, { type: 'thumbDone' }),
  conformance('nested parallel regions enter in document order, raised events after', nested, { type: 'go' }),
  conformance('leaving a parallel state exits it once and re-entry starts every region again', leaving, { type: 'l' }, { type: 'leave' }, { type: 'back' }),
];
