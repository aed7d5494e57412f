import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AnyStateMachine } from 'xstate';
import { createSystem, defineComponent, SimulatedClock, type System } from '../src/index.ts';
import { recorderMachine, tempDir } from './invariants/fixtures.ts';
import { listeningLogger } from './support/listening-logger.ts';

/** The recorder, with checkpoints that fail while `failing.on` is set (as a full disk would). */
function flakyRecorder(failing: { on: boolean }) {
  const logic = Object.create(recorderMachine) as AnyStateMachine;
  logic.getPersistedSnapshot = (...args: Parameters<AnyStateMachine['getPersistedSnapshot']>) => {
    if (failing.on) throw new Error('snapshot store unavailable');
    return recorderMachine.getPersistedSnapshot(...args);
  };
  return defineComponent({ name: 'recorder', logic, subscribe: 'inv.*', key: true, version: '1', checkpoint: { maxDelayMs: 0 } });
}

describe('supervisor', () => {
  let tmp: ReturnType<typeof tempDir>;
  let system: System | undefined;
  beforeEach(() => {
    tmp = tempDir();
  });
  afterEach(async () => {
    await system?.stop();
    system = undefined;
    tmp.remove();
  });

  it('restarts a failed host after a backoff, says so, and the host resumes from its checkpoint', async () => {
    const clock = new SimulatedClock(0);
    const failing = { on: false };
    const log = listeningLogger();
    system = await createSystem({
      db: tmp.file('restart.db'),
      components: [flakyRecorder(failing)],
      clock,
      restart: { initialDelayMs: 1_000, maxDelayMs: 8_000, maxRestarts: 3, windowMs: 60_000 },
      logger: log.logger,
    });
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
    expect((await system.status()).supervisor).toBe('running');
    expect((await system.query('recorder', 'k1')).context).toMatchObject({ seqs: [1, 3], sum: 3 });
  });

  it('gives up on a host that keeps failing, and reports why', async () => {
    const clock = new SimulatedClock(0);
    const failing = { on: false };
    const log = listeningLogger();
    system = await createSystem({
      db: tmp.file('giveup.db'),
      components: [flakyRecorder(failing)],
      clock,
      restart: { initialDelayMs: 100, maxDelayMs: 400, maxRestarts: 2, windowMs: 60_000 },
      logger: log.logger,
    });
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
