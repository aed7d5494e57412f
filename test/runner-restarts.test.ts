import { describe, expect, it } from 'vitest';
import type { AnyStateMachine } from 'xstate';
import { defineComponent, SimulatedClock, type SystemOptions } from '../src/index.ts';
import { recorderMachine } from './invariants/fixtures.ts';
import { listeningLogger } from './support/listening-logger.ts';
import { useScratch } from './support/scratch.ts';

/** The recorder, with checkpoints that fail while `failing.on` is set (as a full disk would). */
function flakyRecorder(failing: { on: boolean }) {
  const logic = Object.create(recorderMachine) as AnyStateMachine;
  logic.getPersistedSnapshot = (...args: Parameters<AnyStateMachine['getPersistedSnapshot']>) => {
    if (failing.on) throw new Error('snapshot store unavailable');
    return recorderMachine.getPersistedSnapshot(...args);
  };
  return defineComponent({ name: 'recorder', logic, subscribe: 'inv.*', key: true, version: '1', checkpoint: { maxDelayMs: 0 } });
}

describe('runner restarts, in a running system', () => {
  const scratch = useScratch();

  /** The flaky recorder on a simulated clock, its checkpoints working until the test sets `failing.on`. */
  async function startFlaky(file: string, restart: SystemOptions['restart']) {
    const clock = new SimulatedClock(0);
    const failing = { on: false };
    const log = listeningLogger();
    const system = await scratch.start({ db: scratch.file(file), components: [flakyRecorder(failing)], clock, restart, logger: log.logger });
    return { system, clock, failing, log };
  }

  it('restarts a failed host after a backoff, says so, and the host resumes from its checkpoint', async () => {
    const { system, clock, failing, log } = await startFlaky('restart.db', { initialDelayMs: 1_000, maxDelayMs: 8_000, maxRestarts: 3, windowMs: 60_000 });
    await system.publish('inv.a', { type: 'add', amount: 1 }, { key: 'k1' });
    await system.settled();

    failing.on = true;
    const restarting = log.next(/host recorder failed \(.*snapshot store unavailable\); restarting in \d+ ms/);
    await system.publish('inv.a', { type: 'add', amount: 2 }, { key: 'k1' });
    await restarting;
    expect((await system.status()).supervisor).toBe('degraded');
    expect((await system.status()).consumers[0]).toMatchObject({
      hostState: 'failed',
      restarts: 1,
      lastError: expect.stringContaining('snapshot store unavailable'),
    });

    failing.on = false;
    clock.advance(1_000);
    await system.settled();
    expect((await system.status()).supervisor).toBe('leading');
    expect((await system.query('recorder', 'k1')).context).toMatchObject({ seqs: [1, 3], sum: 3 });
  });

  it('gives up on a host that keeps failing, and reports why', async () => {
    const { system, clock, failing, log } = await startFlaky('giveup.db', { initialDelayMs: 100, maxDelayMs: 400, maxRestarts: 2, windowMs: 60_000 });
    failing.on = true;
    const gaveUp = log.next(/host recorder failed 3 times within 60000 ms; giving up on it: .*snapshot store unavailable/);
    let restarts = 0;
    const restarted = () => log.nextNew(/restarting in/).then(() => restarts++);
    let pending = restarted();
    await system.publish('inv.a', { type: 'add', amount: 1 }, { key: 'k1' });
    for (let i = 0; i < 2; i++) {
      await pending;
      pending = restarted();
      clock.advance(400);
    }
    await gaveUp;
    expect(restarts).toBe(2);
    expect((await system.status()).consumers[0]).toMatchObject({ hostState: 'failed', restarts: 3 });
    await expect(system.settled()).rejects.toThrow(/consumer recorder is failed and will not settle: .*snapshot store unavailable/);
  });
});
