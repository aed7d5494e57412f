import { describe, expect, it } from 'vitest';
import { type Actor, type AnyActorRef, assign, createActor, SimulatedClock, setup, waitFor } from 'xstate';
import {
  type BatchOutcome,
  type HeldLetter,
  type HostCommand,
  type HostPhase,
  type HostReport,
  type HostSignal,
  type HostView,
  type HostWork,
  hostMachine,
  type Restored,
} from '../actors/host.machine.ts';

class FenceError extends Error {}

/** A step that does not end until the test says so. */
class Gate {
  release!: () => void;
  readonly opened = new Promise<void>((resolve) => {
    this.release = resolve;
  });
}

/** A host's work that records each step the machine runs and answers from a script. */
class ScriptedWork implements HostWork {
  readonly consumer = 'orders';
  readonly steps: string[] = [];
  readonly phases: HostPhase[] = [];
  /** Items waiting in the inbox; a batch that ends done takes them all. */
  inbox = 0;
  /** Whether a checkpoint is due after the next batch. */
  commitAfterBatch = false;
  restores: (Restored | Error)[] = [];
  batches: (BatchOutcome | Error)[] = [];
  replayError: Error | undefined;
  batchGate: Gate | undefined;
  #due = false;
  send!: (event: HostSignal | HostCommand) => void;
  view!: () => HostView;

  attach(send: (event: HostSignal | HostCommand) => void, view: () => HostView): void {
    this.send = send;
    this.view = view;
  }
  async restore(): Promise<Restored> {
    this.steps.push('restore');
    const next = this.restores.shift() ?? { restored: true, paused: false };
    if (next instanceof Error) throw next;
    return next;
  }
  async catchUp(): Promise<void> {
    this.steps.push('catchUp');
  }
  async processBatch(): Promise<BatchOutcome> {
    this.steps.push('processBatch');
    await this.batchGate?.opened;
    const next = this.batches.shift() ?? { outcome: 'done' };
    if (next instanceof Error) throw next;
    if (next.outcome === 'done') this.inbox = 0;
    this.#due = this.commitAfterBatch;
    return next;
  }
  async commit(): Promise<void> {
    this.steps.push('commit');
    this.#due = false;
  }
  async replay(from: number): Promise<void> {
    this.steps.push(`replay from ${from}`);
    if (this.replayError) throw this.replayError;
  }
  async shutDown(): Promise<void> {
    this.steps.push('shutDown');
  }
  retryLetter(letter: HeldLetter): void {
    this.steps.push(`retry ${letter.eventId}`);
  }
  skipLetter(letter: HeldLetter): void {
    this.steps.push(`skip ${letter.eventId}`);
  }
  entered(phase: HostPhase): void {
    this.phases.push(phase);
  }
  hasInbox(): boolean {
    return this.inbox > 0;
  }
  commitDue(): boolean {
    return this.#due;
  }
  isFencing(error: unknown): boolean {
    return error instanceof FenceError;
  }
  /** The steps run since `mark` was taken. */
  since(mark: number): string[] {
    return this.steps.slice(mark);
  }
}

/** A parent for the host, as the supervisor is: it keeps every report the host sends up. */
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
  const until = (matches: (value: unknown) => boolean) => waitFor(host, (s) => matches(s.value), { timeout: 1_000 });
  const live = () => until(at('live', 'idle'));
  /** Lets the promise steps the machine started run to their end. */
  const settle = async () => {
    for (let i = 0; i < 10; i++) await Promise.resolve();
  };
  return { clock, parent, host, reports, until, live, settle };
}

/** Matches a host state value by its path, e.g. `at('live', 'retrying', 'waiting')`. */
const at = (...path: [string, ...string[]]) => {
  const value = path.slice(0, -1).reduceRight<unknown>((inner, key) => ({ [key]: inner }), path.at(-1));
  return (v: unknown) => JSON.stringify(v) === JSON.stringify(value);
};

describe('host machine', () => {
  it('restores, catches up and goes live, telling its parent', async () => {
    const work = new ScriptedWork();
    const { live, reports } = startHost(work);
    await live();
    expect(work.steps).toEqual(['restore', 'catchUp']);
    expect(work.phases).toEqual(['restoring', 'catching-up', 'live']);
    expect(reports()).toEqual(['host.live']);
  });

  it('processes work while live, and commits when the batch makes a checkpoint due', async () => {
    const work = new ScriptedWork();
    const { live } = startHost(work);
    await live();
    const mark = work.steps.length;
    work.inbox = 2;
    work.commitAfterBatch = true;
    work.send({ type: 'work' });
    await live();
    expect(work.since(mark)).toEqual(['processBatch', 'commit']);
    expect(work.inbox).toBe(0);
  });

  it('waits out a failed batch’s retry delay on the clock, after committing what came before, then processes again', async () => {
    const work = new ScriptedWork();
    const { clock, live, until, settle } = startHost(work);
    await live();
    const mark = work.steps.length;
    work.inbox = 1;
    work.batches = [{ outcome: 'retry', delayMs: 500 }];
    work.send({ type: 'work' });
    await until(at('live', 'retrying', 'waiting'));
    expect(work.phases.at(-1)).toBe('retrying');
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
    expect(work.phases.at(-1)).toBe('paused');
    work.inbox = 1;
    work.send({ type: 'work' });
    await settle();
    expect(work.since(mark)).toEqual(['commit']);
    work.send({ type: 'resume' });
    await live();
    expect(work.view().paused).toBe(false);
    expect(work.since(mark)).toEqual(['commit', 'processBatch']);
  });

  it('starts paused when restore says the consumer was paused', async () => {
    const work = new ScriptedWork();
    work.restores = [{ restored: true, paused: true }];
    work.inbox = 1;
    const { until, settle } = startHost(work);
    await until(at('live', 'paused', 'holding'));
    await settle();
    expect(work.steps).toEqual(['restore', 'catchUp', 'commit']);
  });

  it('holds a blocked host until the letter it waits on is retried, ignoring another letter', async () => {
    const work = new ScriptedWork();
    const { live, until, settle } = startHost(work);
    await live();
    const mark = work.steps.length;
    work.inbox = 1;
    work.batches = [{ outcome: 'blocked', letter: { eventId: 'e7' } }];
    work.send({ type: 'work' });
    await until(at('live', 'blocked', 'holding'));
    expect(work.view().blockedOn).toEqual({ eventId: 'e7' });
    work.send({ type: 'work' });
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
    work.inbox = 1;
    work.batches = [{ outcome: 'blocked', letter: { eventId: 'e3' } }];
    work.send({ type: 'work' });
    await until(at('live', 'blocked', 'holding'));
    work.send({ type: 'deadLetter.skip', letter: { eventId: 'e3' } });
    await live();
    expect(work.since(mark)).toEqual(['processBatch', 'commit', 'skip e3', 'processBatch']);
  });

  it('replays between batches, and tells the requester when the reset is done', async () => {
    const work = new ScriptedWork();
    const { live, until } = startHost(work);
    await live();
    const mark = work.steps.length;
    work.batchGate = new Gate();
    work.inbox = 1;
    work.send({ type: 'work' });
    await until(at('live', 'processing'));
    const settled: unknown[] = [];
    work.send({ type: 'replay', from: 4, settle: (error) => settled.push(error ?? 'done') });
    expect(work.view().replaying).toBe(true);
    expect(work.since(mark)).toEqual(['processBatch']);
    work.batchGate.release();
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
    await until((v) => v === 'failed');
    expect(settled).toEqual([work.replayError]);
    expect(reports()).toEqual(['host.live', 'host.failed']);
  });

  it('stops from a retry wait at once, committing and shutting down, and never processes again', async () => {
    const work = new ScriptedWork();
    const { clock, host, live, until, reports, settle } = startHost(work);
    await live();
    const mark = work.steps.length;
    work.inbox = 1;
    work.batches = [{ outcome: 'retry', delayMs: 1_000 }];
    work.send({ type: 'work' });
    await until(at('live', 'retrying', 'waiting'));
    host.send({ type: 'stop' });
    await until((v) => v === 'stopped');
    clock.increment(1_000);
    await settle();
    expect(work.since(mark)).toEqual(['processBatch', 'commit', 'commit', 'shutDown']);
    expect(reports()).toEqual(['host.live', 'host.stopped']);
  });

  it('stands by while another owner holds the lease, and restores again once its delay has passed', async () => {
    const work = new ScriptedWork();
    work.restores = [{ restored: false, standbyMs: 2_000 }];
    const { clock, until, live, reports, settle } = startHost(work);
    await until((v) => v === 'standby');
    expect(reports()).toEqual(['host.standby']);
    clock.increment(1_999);
    await settle();
    expect(work.steps).toEqual(['restore']);
    clock.increment(1);
    await live();
    expect(work.steps).toEqual(['restore', 'restore', 'catchUp']);
    expect(reports()).toEqual(['host.standby', 'host.live']);
  });

  it('ends as fenced when told another owner holds the consumer, and reports host.fenced with the error', async () => {
    const work = new ScriptedWork();
    const { live, until, parent } = startHost(work);
    await live();
    // Not an error the work calls fencing: the machine remembers it was told.
    const error = new Error('epoch 3 is stale');
    work.send({ type: 'fenced', error });
    await until((v) => v === 'fenced');
    expect(work.steps.at(-1)).toBe('shutDown');
    expect(work.phases.at(-1)).toBe('fenced');
    expect(parent.getSnapshot().context.reports.at(-1)).toEqual({ type: 'host.fenced', consumer: 'orders', error });
  });

  it('ends as fenced on a fencing error from a step, and as failed on any other', async () => {
    const fencing = new ScriptedWork();
    fencing.inbox = 1;
    fencing.batches = [new FenceError('lease taken')];
    const first = startHost(fencing);
    await first.until((v) => v === 'fenced');
    expect(first.reports()).toEqual(['host.live', 'host.fenced']);

    const failing = new ScriptedWork();
    failing.inbox = 1;
    failing.batches = [new Error('boom')];
    const second = startHost(failing);
    await second.until((v) => v === 'failed');
    expect(second.reports()).toEqual(['host.live', 'host.failed']);
    expect(failing.steps).toEqual(['restore', 'catchUp', 'processBatch', 'shutDown']);
  });
});
