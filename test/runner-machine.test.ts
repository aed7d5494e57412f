import { describe, expect, it } from 'vitest';
import { type Actor, createActor, SimulatedClock, waitFor } from 'xstate';
import { type RestartPolicy, type RunnerActor, type RunnerReport, restartDelay, runnerMachine } from '../actors/runner.machine.ts';
import { FenceError, ScriptedWork } from './support/scripted-work.ts';

const POLICY: RestartPolicy = { initialDelayMs: 1_000, maxDelayMs: 8_000, maxRestarts: 2, windowMs: 60_000 };

/** An error that says restarting cannot heal it, as a snapshot that no longer fits its machine does. */
class PermanentError extends Error {
  readonly permanent = true;
}

/**
 * A runner over scripted hosts: `script(consumer, generation)` prepares the work of each host
 * it starts (generation 1 is the first host of a consumer, 2 its first restart, ...).
 */
function startRunner(consumers: string[], script: (work: ScriptedWork, generation: number) => void = () => {}) {
  const clock = new SimulatedClock();
  const works: Record<string, ScriptedWork[]> = {};
  const reports: RunnerReport[] = [];
  const attached: RunnerActor[] = [];
  const runner: Actor<typeof runnerMachine> = createActor(runnerMachine, {
    clock,
    input: {
      consumers,
      policy: POLICY,
      now: () => clock.now(),
      random: () => 0.5,
      report: (report) => reports.push(report),
      createWork: (consumer) => {
        const work = new ScriptedWork(consumer);
        works[consumer] = [...(works[consumer] ?? []), work];
        script(work, works[consumer].length);
        return work;
      },
      attached: (actor) => attached.push(actor),
    },
  });
  runner.start();
  const until = (value: string) => waitFor(runner, (s) => s.value === value, { timeout: 1_000 });
  const status = (consumer: string) => runner.getSnapshot().context.hosts[consumer]?.status;
  /** Lets the promise steps the hosts started run to their end. */
  const settle = async () => {
    for (let i = 0; i < 20; i++) await Promise.resolve();
  };
  return { clock, runner, works, reports, attached, until, status, settle };
}

describe('runner machine', () => {
  it('runs one host per consumer and is running once each is live or stands by', async () => {
    const { runner, until, status, attached } = startRunner(['orders', 'payments'], (work) => {
      if (work.consumer === 'payments') work.registrations = [{ registered: false, standbyMs: 60_000 }];
    });
    await until('running');
    expect(status('orders')).toBe('live');
    expect(status('payments')).toBe('standby');
    expect(attached).toEqual([runner]);
  });

  it('restarts a failed host after a backoff on the clock, with a fresh work, and is degraded until it is live again', async () => {
    const { clock, until, status, works, reports, settle } = startRunner(['orders'], (work, generation) => {
      if (generation === 1) work.registrations = [new Error('disk full')];
    });
    await until('degraded');
    expect(status('orders')).toBe('restarting');
    const delay = restartDelay(POLICY, 1, () => 0.5);
    expect(delay).toBe(750);
    expect(reports.at(-1)).toMatchObject({ level: 'warn', consumer: 'orders', message: expect.stringMatching(/failed \(disk full\); restarting in 750 ms/) });
    clock.increment(delay - 1);
    await settle();
    expect(works.orders).toHaveLength(1);
    clock.increment(1);
    await until('running');
    expect(works.orders).toHaveLength(2);
    expect(status('orders')).toBe('live');
  });

  it('gives up on a host that fails more often than the policy allows within its window, saying why', async () => {
    const { clock, until, status, works, reports, settle } = startRunner(['orders'], (work) => {
      work.registrations = [new Error('disk full')];
    });
    await until('degraded');
    for (let failure = 1; failure <= POLICY.maxRestarts; failure++) {
      clock.increment(restartDelay(POLICY, failure, () => 0.5));
      await settle();
    }
    expect(status('orders')).toBe('failed');
    expect(works.orders).toHaveLength(POLICY.maxRestarts + 1);
    expect(reports.at(-1)).toMatchObject({ level: 'error', message: expect.stringMatching(/failed 3 times within 60000 ms; giving up on it: disk full/) });
    clock.increment(POLICY.maxDelayMs * 10);
    await settle();
    expect(works.orders).toHaveLength(POLICY.maxRestarts + 1);
  });

  it('does not restart a host whose error restarting cannot fix, and starts it again for an operator’s replay', async () => {
    const { runner, clock, until, status, works, reports, settle } = startRunner(['orders'], (work, generation) => {
      if (generation === 1) work.restores = [new PermanentError('snapshot no longer fits')];
    });
    await until('degraded');
    expect(status('orders')).toBe('failed');
    expect(reports.at(-1)?.message).toMatch(/restarting cannot fix.*recq replay orders/);
    clock.increment(POLICY.maxDelayMs * 10);
    await settle();
    expect(works.orders).toHaveLength(1);
    runner.send({ type: 'revive', consumer: 'orders' });
    await until('running');
    expect(works.orders).toHaveLength(2);
  });

  it('starts a fenced host again after the first restart delay, and it stands by while the other owner holds the consumer', async () => {
    const { clock, until, status, works, reports, settle } = startRunner(['orders'], (work, generation) => {
      if (generation === 1) {
        work.inbox = 1;
        work.batches = [new FenceError('lease taken')];
      } else work.registrations = [{ registered: false, standbyMs: 60_000 }];
    });
    await until('degraded');
    await settle();
    expect(status('orders')).toBe('restarting');
    expect(reports.at(-1)).toMatchObject({ level: 'warn', message: expect.stringMatching(/gave its consumer up \(lease taken\); it starts again in 750 ms/) });
    clock.increment(restartDelay(POLICY, 1, () => 0.5));
    await until('running');
    expect(status('orders')).toBe('standby');
    expect(works.orders).toHaveLength(2);
  });

  it('stops every host, each committing and shutting down, and is stopped once all have ended', async () => {
    const { runner, until, status, works } = startRunner(['orders', 'payments']);
    await until('running');
    runner.send({ type: 'stop' });
    await until('stopped');
    expect(status('orders')).toBe('stopped');
    expect(status('payments')).toBe('stopped');
    for (const [work] of Object.values(works)) expect(work?.steps.slice(-2)).toEqual(['commit', 'shutDown']);
  });
});
