import { describe, expect, it } from 'vitest';
import { defineComponent, SimulatedClock } from '../../src/index.ts';
import { useScratch } from '../support/scratch.ts';
import { untilHostState } from '../support/until-view.ts';
import { applierMachine, FailurePlan, listeningLogger } from './fixtures.ts';

const scratch = useScratch();

/**
 * A system whose applier fails e1 on every try and waits a minute before each retry, on a clock
 * that never moves: once e1 is published, the consumer stays in its backoff.
 */
async function startStuckOnE1(file: string) {
  const plan = new FailurePlan();
  plan.failFirst.set('e1', 99);
  const component = defineComponent({
    name: 'applier',
    logic: applierMachine(plan),
    subscribe: 'work.*',
    key: true,
    retry: { maxAttempts: 5, initialDelayMs: 60_000 },
  });
  const s = await scratch.start({ db: scratch.file(file), components: [component], clock: new SimulatedClock(0), logger: listeningLogger().logger });
  return { s, plan };
}

describe('stopping a consumer that waits to retry', () => {
  it('stops at once, without waiting out the backoff, when the stop comes during the failing batch', async () => {
    const { s, plan } = await startStuckOnE1('stop.db');
    const retrying = untilHostState(s, 'applier', 'retrying');
    // Stop while the publish's batch is about to fail: the clock never moves, so only a stop that is not left waiting for the backoff ends.
    await s.publish('work.apply', { type: 'apply', name: 'e1' }, { key: 'k1', id: 'e1' });
    const stopped = s.stop();
    await retrying;
    await stopped;
    expect(plan.tries.get('e1')).toBe(1);
  });
});

describe('halting a system while it stops', () => {
  it('ends both, closes everything once, and refuses further work', async () => {
    const { s } = await startStuckOnE1('halt.db');
    await s.publish('work.apply', { type: 'apply', name: 'e1' }, { key: 'k1', id: 'e1' });
    await untilHostState(s, 'applier', 'retrying');
    const stopping = s.stop();
    await s.halt();
    await stopping;
    await s.stopped;
    await expect(s.publish('work.apply', { type: 'apply', name: 'e2' })).rejects.toThrow(/stopped/);
  });
});
