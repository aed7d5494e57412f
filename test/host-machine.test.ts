import { describe, expect, it } from 'vitest';
import { type Actor, type AnyActorRef, assign, createActor, SimulatedClock, setup, waitFor } from 'xstate';
import { hostMachine, hostStateOf } from '../actors/host.machine.ts';
import type { HostReport, HostState, HostWork } from '../actors/host.work.ts';
import { FenceError, Gate, ScriptedWork } from './support/scripted-work.ts';

/** A parent for the host, as the runner is: it keeps every report the host sends up. */
const parentMachine = setup({
  types: { context: {} as { work: HostWork; reports: HostReport[] }, input: {} as { work: HostWork }, events: {} as HostReport },
  actors: { host: hostMachine },
}).createMachine({
  context: ({ input }) => ({ work: input.work, reports: [] }),
  invoke: { id: 'host', src: 'host', input: ({ context }) => ({ work: context.work }) },
  on: { 'host.*': { actions: assign({ reports: ({ context, event }) => [...context.reports, event] }) } },
});

function startHost(work: ScriptedWork) {
  const clock = new SimulatedClock();
  const parent: Actor<typeof parentMachine> = createActor(parentMachine, { clock, input: { work } });
  parent.start();
  const host = parent.getSnapshot().children.host as AnyActorRef;
  const reports = () => parent.getSnapshot().context.reports.map((r) => r.type);
  const until = (matches: (lifecycle: unknown) => boolean) => waitFor(host, (s) => matches((s.value as { lifecycle: unknown }).lifecycle), { timeout: 1_000 });
  const live = () => until(at('live', 'idle'));
  /** Lets the promise steps the machine started run to their end. */
  const settle = async () => {
    for (let i = 0; i < 10; i++) await Promise.resolve();
  };
  return { clock, parent, host, reports, until, live, settle };
}

/**
 * Matches the lifecycle region's value by its path, e.g. `at('live', 'retrying', 'waiting')`
 * (live's work region; its mode region is not looked at), or `at('stopped')`.
 */
const at = (...path: [string, ...string[]]) => {
  const [top, ...rest] = path;
  const nested = (keys: string[]): unknown => (keys.length === 1 ? keys[0] : { [keys[0] as string]: nested(keys.slice(1)) });
  return (lifecycle: unknown) => {
    if (rest.length === 0) return lifecycle === top;
    if (top !== 'live') return JSON.stringify(lifecycle) === JSON.stringify({ [top]: nested(rest) });
    const work = (lifecycle as { live?: { work?: unknown } }).live?.work;
    return JSON.stringify(work) === JSON.stringify(nested(rest));
  };
};

describe('host machine', () => {
  it('restores, catches up and goes live, telling its parent', async () => {
    const work = new ScriptedWork();
    const { live, reports } = startHost(work);
    await live();
    expect(work.steps).toEqual(['register', 'replayQueued', 'restore', 'catchUp']);
    expect(work.states).toEqual(['restoring', 'catchingUp', 'live']);
    expect(reports()).toEqual(['host.live']);
  });

  it('processes work while live, and commits when the batch makes a checkpoint due', async () => {
    const work = new ScriptedWork();
    const { live, until } = startHost(work);
    await live();
    const mark = work.steps.length;
    work.commitAfterBatch = true;
    work.arrive(2);
    await until(at('live', 'committing'));
    await live();
    expect(work.since(mark)).toEqual(['processBatch', 'commit']);
    expect(work.inbox).toBe(0);
  });

  it('waits out a failed batch’s retry delay on the clock, after committing what came before, then processes again', async () => {
    const work = new ScriptedWork();
    const { clock, live, until, settle } = startHost(work);
    await live();
    const mark = work.steps.length;
    work.batches = [{ outcome: 'retry', delayMs: 500 }];
    work.arrive();
    await until(at('live', 'retrying', 'waiting'));
    expect(work.view().state).toBe('retrying');
    expect(work.since(mark)).toEqual(['processBatch', 'commit']);
    clock.increment(499);
    await settle();
    expect(work.since(mark)).toEqual(['processBatch', 'commit']);
    clock.increment(1);
    await live();
    expect(work.since(mark)).toEqual(['processBatch', 'commit', 'processBatch']);
  });

  it('on pause, commits and holds whatever work comes, until resumed', async () => {
    const work = new ScriptedWork();
    const { live, until, settle } = startHost(work);
    await live();
    const mark = work.steps.length;
    work.send({ type: 'pause' });
    await until(at('live', 'paused', 'holding'));
    expect(work.view().paused).toBe(true);
    expect(work.view().state).toBe('paused');
    work.arrive();
    await settle();
    expect(work.since(mark)).toEqual(['commit']);
    work.send({ type: 'resume' });
    await live();
    expect(work.view().paused).toBe(false);
    expect(work.since(mark)).toEqual(['commit', 'processBatch']);
  });

  it('starts paused when restore says the consumer was paused', async () => {
    const work = new ScriptedWork();
    work.restores = [{ paused: true }];
    work.inbox = 1;
    const { until, settle } = startHost(work);
    await until(at('live', 'paused', 'holding'));
    await settle();
    expect(work.steps).toEqual(['register', 'replayQueued', 'restore', 'catchUp', 'commit']);
  });

  it('holds a blocked host until the letter it waits on is retried, ignoring another letter', async () => {
    const work = new ScriptedWork();
    const { live, until, settle } = startHost(work);
    await live();
    const mark = work.steps.length;
    work.batches = [{ outcome: 'blocked', letter: { eventId: 'e7' } }];
    work.arrive();
    await until(at('live', 'blocked', 'holding'));
    expect(work.view().blockedOn).toEqual({ eventId: 'e7' });
    work.arrive();
    work.send({ type: 'deadLetter.retry', letter: { eventId: 'e8' } });
    await settle();
    expect(work.since(mark)).toEqual(['processBatch', 'commit']);
    work.send({ type: 'deadLetter.retry', letter: { eventId: 'e7' } });
    await live();
    expect(work.view().blockedOn).toBeUndefined();
    expect(work.since(mark)).toEqual(['processBatch', 'commit', 'retry e7', 'processBatch']);
  });

  it('goes on past the letter a blocked host waits on when it is skipped', async () => {
    const work = new ScriptedWork();
    const { live, until } = startHost(work);
    await live();
    const mark = work.steps.length;
    work.batches = [{ outcome: 'blocked', letter: { eventId: 'e3' } }];
    work.arrive();
    await until(at('live', 'blocked', 'holding'));
    work.inbox = 1;
    work.send({ type: 'deadLetter.skip', letter: { eventId: 'e3' } });
    await live();
    expect(work.since(mark)).toEqual(['processBatch', 'commit', 'skip e3', 'processBatch']);
  });

  it('replays between batches, and tells the requester when the reset is done', async () => {
    const work = new ScriptedWork();
    const { live, until } = startHost(work);
    await live();
    const mark = work.steps.length;
    const gate = new Gate();
    work.gates.processBatch = gate;
    work.arrive();
    await until(at('live', 'processing'));
    const settled: unknown[] = [];
    work.send({ type: 'replay', from: 4, settle: (error) => settled.push(error ?? 'done') });
    expect(work.view().replaying).toBe(true);
    expect(work.since(mark)).toEqual(['processBatch']);
    gate.release();
    await until(at('live', 'idle'));
    expect(work.since(mark)).toEqual(['processBatch', 'replay from 4']);
    expect(settled).toEqual(['done']);
    expect(work.view().replaying).toBe(false);
  });

  it('passes a failed replay’s error to the requester and fails', async () => {
    const work = new ScriptedWork();
    const { live, until, reports } = startHost(work);
    await live();
    work.replayError = new Error('disk full');
    const settled: unknown[] = [];
    work.send({ type: 'replay', from: 1, settle: (error) => settled.push(error) });
    await until(at('failed'));
    expect(settled).toEqual([work.replayError]);
    expect(reports()).toEqual(['host.live', 'host.failed']);
  });

  it('stops from a retry wait at once, committing and shutting down, and never processes again', async () => {
    const work = new ScriptedWork();
    const { clock, host, live, until, reports, settle } = startHost(work);
    await live();
    const mark = work.steps.length;
    work.batches = [{ outcome: 'retry', delayMs: 1_000 }];
    work.arrive();
    await until(at('live', 'retrying', 'waiting'));
    host.send({ type: 'stop' });
    await until(at('stopped'));
    clock.increment(1_000);
    await settle();
    expect(work.since(mark)).toEqual(['processBatch', 'commit', 'commit', 'shutDown']);
    expect(reports()).toEqual(['host.live', 'host.stopped']);
  });

  it('stands by while another owner holds the lease, and restores again once its delay has passed', async () => {
    const work = new ScriptedWork();
    work.registrations = [{ registered: false, standbyMs: 2_000 }];
    const { clock, until, live, reports, settle } = startHost(work);
    await until(at('standby'));
    expect(reports()).toEqual(['host.standby']);
    clock.increment(1_999);
    await settle();
    expect(work.steps).toEqual(['register']);
    clock.increment(1);
    await live();
    expect(work.steps).toEqual(['register', 'register', 'replayQueued', 'restore', 'catchUp']);
    expect(reports()).toEqual(['host.standby', 'host.live']);
  });

  it('ends as fenced when told another owner holds the consumer, and reports host.fenced with the error', async () => {
    const work = new ScriptedWork();
    const { live, until, parent } = startHost(work);
    await live();
    // Not an error the work calls fencing: the machine remembers it was told.
    const error = new Error('epoch 3 is stale');
    work.send({ type: 'fenced', error });
    await until(at('fenced'));
    expect(work.steps.at(-1)).toBe('shutDown');
    expect(work.states.at(-1)).toBe('fenced');
    expect(parent.getSnapshot().context.reports.at(-1)).toEqual({ type: 'host.fenced', consumer: 'orders', error });
  });

  it('ends as fenced on a fencing error from a step, and as failed on any other', async () => {
    const fencing = new ScriptedWork();
    fencing.inbox = 1;
    fencing.batches = [new FenceError('lease taken')];
    const first = startHost(fencing);
    await first.until(at('fenced'));
    expect(first.reports()).toEqual(['host.live', 'host.fenced']);

    const failing = new ScriptedWork();
    failing.inbox = 1;
    failing.batches = [new Error('boom')];
    const second = startHost(failing);
    await second.until(at('failed'));
    expect(second.reports()).toEqual(['host.live', 'host.failed']);
    expect(failing.steps).toEqual(['register', 'replayQueued', 'restore', 'catchUp', 'processBatch', 'shutDown']);
  });

  it('takes a stop asked while a batch runs once the batch ends: it commits and shuts down, and starts no other batch', async () => {
    const work = new ScriptedWork();
    const { host, live, until, reports } = startHost(work);
    await live();
    const mark = work.steps.length;
    const gate = new Gate();
    work.gates.processBatch = gate;
    work.arrive();
    await until(at('live', 'processing'));
    host.send({ type: 'stop' });
    work.inbox = 5;
    expect(work.since(mark)).toEqual(['processBatch']);
    gate.release();
    await until(at('stopped'));
    expect(work.since(mark)).toEqual(['processBatch', 'commit', 'shutDown']);
    expect(reports()).toEqual(['host.live', 'host.stopped']);
    expect(host.getSnapshot().status).toBe('done');
  });

  it('takes a stop asked while it registers once registering ends: it never restores, and gives the lease back', async () => {
    const work = new ScriptedWork();
    const gate = new Gate();
    work.gates.register = gate;
    const { host, until } = startHost(work);
    host.send({ type: 'stop' });
    gate.release();
    await until(at('stopped'));
    expect(work.steps).toEqual(['register', 'commit', 'shutDown']);
    expect(work.states).toEqual(['restoring', 'stopping', 'stopped']);
  });

  it('refuses a replay asked for while it stops, telling the requester at once', async () => {
    const work = new ScriptedWork();
    const { host, live, until } = startHost(work);
    await live();
    const gate = new Gate();
    work.gates.commit = gate;
    host.send({ type: 'stop' });
    await until(at('stopping', 'saving'));
    const settled: unknown[] = [];
    work.send({ type: 'replay', from: 1, settle: (error) => settled.push(error) });
    expect(String(settled[0])).toMatch(/consumer orders is stopping; its replay was not run/);
    gate.release();
    await until(at('stopped'));
    expect(work.steps.filter((step) => step.startsWith('replay from'))).toEqual([]);
  });

  it('shows a pause at once, while the batch under way ends, and holds once it has', async () => {
    const work = new ScriptedWork();
    const { live, until } = startHost(work);
    await live();
    const gate = new Gate();
    work.gates.processBatch = gate;
    work.arrive();
    await until(at('live', 'processing'));
    work.send({ type: 'pause' });
    expect(work.view()).toMatchObject({ state: 'live', paused: true });
    gate.release();
    await until(at('live', 'paused', 'holding'));
    expect(work.view()).toMatchObject({ state: 'paused', paused: true });
  });

  it('names every state of its lifecycle with a host state', () => {
    const names: HostState[] = [
      'restoring',
      'standby',
      'catchingUp',
      'live',
      'retrying',
      'blocked',
      'paused',
      'replaying',
      'stopping',
      'failing',
      'stopped',
      'failed',
      'fenced',
    ];
    const lifecycle = hostMachine.root.states.lifecycle;
    const values: unknown[] = [];
    for (const [key, node] of Object.entries(lifecycle?.states ?? {})) {
      if (key !== 'live') {
        values.push(Object.keys(node.states).length === 0 ? key : { [key]: Object.keys(node.states)[0] });
        continue;
      }
      for (const step of Object.keys(node.states.work?.states ?? {})) values.push({ live: { mode: 'running', work: step } });
    }
    expect(values.length).toBeGreaterThan(12);
    const states = values.map((value) => hostStateOf({ asked: 'nothing', lifecycle: value } as never));
    expect(states.filter((state) => !names.includes(state))).toEqual([]);
    expect(new Set(states)).toEqual(new Set(names));
  });
});
