import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSystem, defineComponent, SimulatedClock, type System } from '../../src/index.ts';
import { tempDir } from '../invariants/fixtures.ts';
import { applierMachine, FailurePlan, listeningLogger } from './fixtures.ts';

describe('stopping a consumer that waits to retry', () => {
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

  it('stops at once, without waiting out the backoff, when the stop comes during the failing batch', async () => {
    const plan = new FailurePlan();
    plan.failFirst.set('e1', 99);
    const clock = new SimulatedClock(0);
    const log = listeningLogger();
    const component = defineComponent({
      name: 'applier',
      logic: applierMachine(plan),
      subscribe: 'work.*',
      key: true,
      retry: { maxAttempts: 5, initialDelayMs: 60_000 },
    });
    system = await createSystem({ db: tmp.file('stop.db'), components: [component], clock, logger: log.logger });
    const s = system;
    const retrying = log.next(/retrying in/);
    // Stop while the publish's batch is about to fail: the clock never moves, so only a stop that is not left waiting for the backoff ends.
    await s.publish('work.apply', { type: 'apply', name: 'e1' }, { key: 'k1', id: 'e1' });
    const stopped = s.stop();
    await retrying;
    await stopped;
    system = undefined;
    expect(plan.tries.get('e1')).toBe(1);
  });
});

describe('halting a system while it stops', () => {
  it('ends both, closes everything once, and refuses further work', async () => {
    const tmp = tempDir();
    try {
      const plan = new FailurePlan();
      plan.failFirst.set('e1', 99);
      const clock = new SimulatedClock(0);
      const component = defineComponent({
        name: 'applier',
        logic: applierMachine(plan),
        subscribe: 'work.*',
        key: true,
        retry: { maxAttempts: 5, initialDelayMs: 60_000 },
      });
      const log = listeningLogger();
      const s = await createSystem({ db: tmp.file('halt.db'), components: [component], clock, logger: log.logger });
      await s.publish('work.apply', { type: 'apply', name: 'e1' }, { key: 'k1', id: 'e1' });
      await log.next(/retrying in/);
      const stopping = s.stop();
      await s.halt();
      await stopping;
      await s.stopped;
      await expect(s.publish('work.apply', { type: 'apply', name: 'e2' })).rejects.toThrow(/stopped/);
    } finally {
      tmp.remove();
    }
  });
});
