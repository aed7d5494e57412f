import { and, assign, createMachine, not, or, setup, stateIn } from 'xstate';
import { type ConformanceCase, conformance } from '../conformance-case.ts';

const door = setup({
  guards: {
    isAdmin: ({ context }: { context: { admin: boolean; locked: boolean; attempts: number } }) => context.admin,
    isLocked: ({ context }) => context.locked,
    underLimit: ({ context }, params: { max: number }) => context.attempts < params.max,
  },
}).createMachine({
  context: { admin: false, locked: true, attempts: 0 },
  initial: 'closed',
  states: {
    closed: {
      on: {
        open: [
          { guard: and(['isAdmin', not('isLocked')]), target: 'opened' },
          { guard: { type: 'underLimit', params: { max: 2 } }, actions: assign({ attempts: ({ context }) => context.attempts + 1 }) },
          { target: 'alarm' },
        ],
        unlock: { guard: or(['isAdmin', 'isLocked']), actions: assign({ locked: false }) },
        promote: { actions: assign({ admin: true }) },
      },
    },
    opened: {},
    alarm: {},
  },
});

const regions = createMachine({
  type: 'parallel',
  states: {
    mode: { initial: 'edit', states: { edit: { on: { toggle: 'view' } }, view: { on: { toggle: 'edit' } } } },
    doc: {
      initial: 'draft',
      states: { draft: { on: { publish: { guard: stateIn('#regions.mode.view'), target: 'published' } } }, published: {} },
    },
  },
  id: 'regions',
});

const inline = createMachine({
  context: { n: 0 },
  initial: 'counting',
  states: {
    counting: {
      on: {
        inc: [{ guard: ({ context }) => context.n >= 2, target: 'full' }, { actions: assign({ n: ({ context }) => context.n + 1 }) }],
        add: {
          guard: ({ event }) => (event as unknown as { by?: number }).by !== undefined && (event as unknown as { by: number }).by > 0,
          actions: assign({ n: ({ context, event }) => context.n + (event as unknown as { by: number }).by }),
        },
      },
    },
    full: {},
  },
});

export const guardCases: ConformanceCase[] = [
  conformance('an and/not guard blocks until both hold', door, { type: 'open' }, { type: 'promote' }, { type: 'unlock' }, { type: 'open' }),
  conformance('a guard with params counts attempts, then the fallback wins', door, { type: 'open' }, { type: 'open' }, { type: 'open' }),
  conformance('an or guard lets either through', door, { type: 'unlock' }, { type: 'open' }),
  conformance('stateIn guards on another region', regions, { type: 'publish' }, { type: 'toggle' }, { type: 'publish' }),
  conformance('the first enabled candidate is taken', inline, { type: 'inc' }, { type: 'inc' }, { type: 'inc' }),
  conformance('a guard reads the event', inline, { type: 'add', by: 0 }, { type: 'add', by: 5 }, { type: 'add' }),
];
