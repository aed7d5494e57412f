import { describe, expect, it } from 'vitest';
import { type AnyStateMachine, createActor, createMachine, setup } from 'xstate';
import { snapshotMisfits } from '../../src/component/snapshot-fit.ts';

/** The persisted snapshot of `machine` after `events`, as the CSS stores it (JSON). */
function persistedAfter(machine: AnyStateMachine, events: string[], input?: unknown): unknown {
  const actor = createActor(machine, { input });
  actor.start();
  for (const type of events) actor.send({ type });
  const persisted = JSON.parse(JSON.stringify(actor.getPersistedSnapshot())) as unknown;
  actor.stop();
  return persisted;
}

// An editor with two parallel regions and a history state that remembers the last mode.
const editorV1 = createMachine({
  id: 'editor',
  type: 'parallel',
  states: {
    mode: {
      initial: 'view',
      states: { view: { on: { edit: 'edit' } }, edit: { on: { preview: 'preview' } }, preview: {}, last: { type: 'history' } },
    },
    sync: { initial: 'idle', states: { idle: { on: { push: 'pushing' } }, pushing: {} } },
  },
});

describe('whether a snapshot fits a machine', () => {
  it('accepts a snapshot of the same machine, in parallel regions and with history', () => {
    expect(snapshotMisfits(editorV1, persistedAfter(editorV1, ['edit', 'push']), undefined)).toEqual([]);
  });

  it('names a missing state inside a parallel region by its path', () => {
    const withoutPushing = createMachine({
      id: 'editor',
      type: 'parallel',
      states: {
        mode: { initial: 'view', states: { view: { on: { edit: 'edit' } }, edit: {}, preview: {}, last: { type: 'history' } } },
        sync: { initial: 'idle', states: { idle: {} } },
      },
    });
    expect(snapshotMisfits(withoutPushing, persistedAfter(editorV1, ['edit', 'push']), undefined)).toEqual(['state "sync.pushing" no longer exists']);
  });

  it('names a state that history remembers and the machine no longer has', () => {
    const withHistory = createMachine({
      id: 'doc',
      initial: 'mode',
      states: {
        mode: { initial: 'view', states: { view: { on: { edit: 'edit' } }, edit: {}, last: { type: 'history' } }, on: { close: 'closed' } },
        closed: { on: { reopen: 'mode.last' } },
      },
    });
    const stored = persistedAfter(withHistory, ['edit', 'close']);
    expect(snapshotMisfits(withHistory, stored, undefined)).toEqual([]);
    const withoutEdit = createMachine({
      id: 'doc',
      initial: 'mode',
      states: {
        mode: { initial: 'view', states: { view: {}, last: { type: 'history' } }, on: { close: 'closed' } },
        closed: { on: { reopen: 'mode.last' } },
      },
    });
    expect(snapshotMisfits(withoutEdit, stored, undefined)).toEqual(['history state "doc.mode.last" remembers state "doc.mode.edit", which no longer exists']);
  });

  it('names a compound state that a snapshot puts in two children at once, and a status it cannot go on from', () => {
    const stored = { ...(persistedAfter(editorV1, []) as object), status: 'error', value: { mode: { view: {}, edit: {} }, sync: 'idle' } };
    expect(snapshotMisfits(editorV1, stored, undefined)).toEqual([
      'its status "error" is not "active" or "done"',
      'state "mode" is in "mode.view" and "mode.edit" at once',
    ]);
  });

  it('names a state that became atomic and a snapshot still has children of', () => {
    const flat = createMachine({ id: 'editor', type: 'parallel', states: { mode: {}, sync: { initial: 'idle', states: { idle: {}, pushing: {} } } } });
    expect(snapshotMisfits(flat, persistedAfter(editorV1, ['edit']), undefined)).toEqual(['state "mode.edit" no longer exists']);
  });

  it('checks a child machine in its own terms, and a child whose invoking state no longer invokes it', () => {
    const step = createMachine({ id: 'step', initial: 'one', states: { one: { on: { next: 'two' } }, two: {} } });
    const parent = setup({ actors: { step } }).createMachine({
      id: 'parent',
      initial: 'running',
      states: { running: { invoke: { id: 'worker', src: 'step' } } },
    });
    const stored = persistedAfter(parent, []) as { children: { worker: { snapshot: { value: unknown } } } };
    stored.children.worker.snapshot.value = 'three';
    expect(snapshotMisfits(parent, stored, undefined)).toEqual(['child "worker": state "three" no longer exists']);
    const inline = { ...stored, children: { other: { src: 'xstate.invoke.0.parent.gone', snapshot: {} } } };
    expect(snapshotMisfits(parent, inline, undefined)).toEqual(['child "other" was invoked by state "parent.gone", which no longer invokes it']);
  });

  it('asks for the context fields the machine starts with for this input, but not for those it starts undefined', () => {
    const v2 = setup({ types: {} as { input: { key: string } } }).createMachine({
      id: 'account',
      context: ({ input }) => ({ key: input.key, balance: 0, limit: input.key === 'vip' ? 1000 : 100, note: undefined }),
    });
    const stored = { status: 'active', value: {}, context: { key: 'vip' }, children: {} };
    expect(snapshotMisfits(v2, stored, { key: 'vip' })).toEqual([
      'context fields "balance", "limit" are missing (the current logic\'s initial context has them)',
    ]);
  });

  it('does not ask for context fields a factory can only compute by spawning', () => {
    const child = createMachine({});
    const spawning = setup({ actors: { child } }).createMachine({ id: 'spawner', context: ({ spawn }) => ({ ref: spawn('child') }) });
    expect(snapshotMisfits(spawning, { status: 'active', value: {}, context: {}, children: {} }, undefined)).toEqual([]);
  });
});
