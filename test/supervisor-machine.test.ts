import { describe, expect, it } from 'vitest';
import { createActor, waitFor } from 'xstate';
import type { RunnerInput } from '../actors/runner.machine.ts';
import { type SupervisorWork, supervisorMachine, supervisorStateOf } from '../actors/supervisor.machine.ts';
import { SimulatedClock } from '../src/clock.ts';
import type { Envelope } from '../src/envelope.ts';
import { LeaseHeldError, StaleEpochError } from '../src/errors.ts';

/** A log the machine drives, recording each step, with failures the test turns on. */
function fakeLog(clock: SimulatedClock) {
  const steps: string[] = [];
  const routed: number[] = [];
  let commit: ((envelopes: readonly Envelope[]) => void) | undefined;
  const faults = { heldUntil: 0, renew: undefined as Error | undefined };
  const work: SupervisorWork = {
    renewEveryMs: 1000,
    async open() {
      steps.push('open');
      if (clock.now() < faults.heldUntil) throw new LeaseHeldError('log', 'host:1', faults.heldUntil);
    },
    retryOpenAfter: (error) => (error instanceof LeaseHeldError ? { ms: error.expiresAt - clock.now(), why: 'the log is leased' } : undefined),
    async serve() {
      steps.push('serve');
    },
    log: {
      onCommit(committed) {
        commit = committed;
        return () => {
          commit = undefined;
        };
      },
      flush: () => steps.push('flush'),
    },
    router: { route: (envelopes) => routed.push(...envelopes.map((e) => e.seq)) },
    renew() {
      steps.push('renew');
      if (faults.renew) throw faults.renew;
    },
    isLeaseLost: (error) => error instanceof StaleEpochError,
    async close() {
      steps.push('close');
    },
  };
  const commitSeqs = (...seqs: number[]) => commit?.(seqs.map((seq) => ({ seq, id: `e${seq}`, topic: 't', time: 0, event: { type: 'x' } })));
  return { work, steps, routed, faults, commitSeqs };
}

const noHosts = (clock: SimulatedClock): RunnerInput => ({
  consumers: [],
  policy: { initialDelayMs: 10, maxDelayMs: 100, maxRestarts: 3, windowMs: 1000 },
  now: () => clock.now(),
  random: () => 0.5,
  createWork: () => {
    throw new Error('no hosts here');
  },
  report: () => {},
});

function start(clock: SimulatedClock, work: SupervisorWork, reports: string[] = []) {
  const actor = createActor(supervisorMachine, {
    clock,
    input: {
      work,
      runner: noHosts(clock),
      setTimeout: (fn, ms) => clock.setTimeout(fn, ms),
      clearTimeout: (id) => clock.clearTimeout(id),
      report: (report) => reports.push(`${report.level}: ${report.message}`),
    },
  });
  actor.start();
  const state = () => supervisorStateOf(actor.getSnapshot().value);
  const reach = (wanted: string) => waitFor(actor, (snapshot) => supervisorStateOf(snapshot.value) === wanted, { timeout: 2000 });
  return { actor, state, reach };
}

describe('supervisor machine', () => {
  it('opens the log, serves it, leads, and routes each group commit in order', async () => {
    const clock = new SimulatedClock(0);
    const log = fakeLog(clock);
    const { state, reach } = start(clock, log.work);
    await reach('leading');
    expect(log.steps).toEqual(['open', 'serve']);
    log.commitSeqs(1, 2);
    log.commitSeqs(3);
    expect(log.routed).toEqual([1, 2, 3]);
    clock.advance(1000);
    expect(log.steps).toEqual(['open', 'serve', 'renew']);
    expect(state()).toBe('leading');
  });

  it("waits out a predecessor's lease, saying so once, then opens", async () => {
    const clock = new SimulatedClock(0);
    const log = fakeLog(clock);
    log.faults.heldUntil = 5000;
    const reports: string[] = [];
    const { state, reach } = start(clock, log.work, reports);
    await reach('waiting-for-lease');
    clock.advance(4999);
    await Promise.resolve();
    expect(state()).toBe('waiting-for-lease');
    clock.advance(1);
    await reach('leading');
    expect(log.steps.filter((s) => s === 'open')).toHaveLength(2);
    expect(reports).toEqual(['warn: the log is leased; waiting 5000 ms for it']);
  });

  it('refuses to start when the lease is held and may not be waited for', async () => {
    const clock = new SimulatedClock(0);
    const log = fakeLog(clock);
    log.faults.heldUntil = 5000;
    log.work.retryOpenAfter = () => undefined;
    const { actor, reach } = start(clock, log.work);
    await reach('failed');
    expect(actor.getSnapshot().context.error).toBeInstanceOf(LeaseHeldError);
    expect(log.steps).toEqual(['open']);
  });

  it('is degraded while renewals fail, and leads again once one succeeds', async () => {
    const clock = new SimulatedClock(0);
    const log = fakeLog(clock);
    const { state, reach } = start(clock, log.work);
    await reach('leading');
    log.faults.renew = new Error('database is locked');
    clock.advance(1000);
    expect(state()).toBe('degraded');
    log.faults.renew = undefined;
    clock.advance(1000);
    expect(state()).toBe('leading');
  });

  it('drains and closes the log when another process takes its lease, routing nothing more', async () => {
    const clock = new SimulatedClock(0);
    const log = fakeLog(clock);
    const { reach } = start(clock, log.work);
    await reach('leading');
    log.faults.renew = new StaleEpochError('log', 1, 2);
    clock.advance(1000);
    await reach('stopped');
    expect(log.steps).toEqual(['open', 'serve', 'renew', 'flush', 'close']);
    log.commitSeqs(9);
    expect(log.routed).toEqual([]);
  });

  it('on stop, flushes the log before the hosts stop and closes it after', async () => {
    const clock = new SimulatedClock(0);
    const log = fakeLog(clock);
    const { actor, reach } = start(clock, log.work);
    await reach('leading');
    actor.send({ type: 'stop' });
    await reach('stopped');
    expect(log.steps).toEqual(['open', 'serve', 'flush', 'close']);
    clock.advance(10_000);
    expect(log.steps).not.toContain('renew');
  });
});

describe('supervisor machine on a shared log', () => {
  /** The fake log with the failover steps: `lead` waits until the test lets it win, `onDeposed` hands the test a trigger. */
  function sharedLog(clock: SimulatedClock) {
    const log = fakeLog(clock);
    let win: (() => void) | undefined;
    let depose: ((error: unknown) => void) | undefined;
    const work: SupervisorWork = {
      ...log.work,
      lead() {
        log.steps.push('lead');
        return new Promise<void>((resolve) => {
          win = resolve;
        });
      },
      onDeposed(deposed) {
        depose = deposed;
        return () => {
          depose = undefined;
        };
      },
      async stepDown() {
        log.steps.push('stepDown');
      },
    };
    return { ...log, work, win: () => win?.(), depose: (error: unknown) => depose?.(error) };
  }

  it('stands by until it wins an epoch, then serves and leads', async () => {
    const clock = new SimulatedClock(0);
    const log = sharedLog(clock);
    const { state, reach } = start(clock, log.work);
    await reach('standby');
    expect(log.steps).toEqual(['open', 'lead']);
    expect(state()).toBe('standby');
    log.win();
    await reach('leading');
    expect(log.steps).toEqual(['open', 'lead', 'serve']);
    log.commitSeqs(1, 2);
    expect(log.routed).toEqual([1, 2]);
  });

  it('steps down when an append is refused: stops serving and routing, and stands by again', async () => {
    const clock = new SimulatedClock(0);
    const log = sharedLog(clock);
    const reports: string[] = [];
    const { reach } = start(clock, log.work, reports);
    await reach('standby');
    log.win();
    await reach('leading');
    log.depose(new Error('wrong last sequence: 41'));
    await reach('standby');
    expect(log.steps).toEqual(['open', 'lead', 'serve', 'stepDown', 'lead']);
    expect(reports.some((r) => r.startsWith('warn: an append was refused, so another supervisor leads the log'))).toBe(true);
    // Commits of the lost term are not routed: the router listens only while it leads.
    log.commitSeqs(42);
    expect(log.routed).toEqual([]);
    log.win();
    await reach('leading');
    log.commitSeqs(43);
    expect(log.routed).toEqual([43]);
  });

  it('stops from standby without serving', async () => {
    const clock = new SimulatedClock(0);
    const log = sharedLog(clock);
    const { actor, reach } = start(clock, log.work);
    await reach('standby');
    actor.send({ type: 'stop' });
    await reach('stopped');
    expect(log.steps).toEqual(['open', 'lead', 'close']);
  });
});
