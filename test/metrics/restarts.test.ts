import { describe, expect, it } from 'vitest';
import type { AnyStateMachine } from 'xstate';
import { defineComponent, SimulatedClock } from '../../src/index.ts';
import { recorderMachine } from '../invariants/fixtures.ts';
import { listeningLogger } from '../support/listening-logger.ts';
import { useScratch } from '../support/scratch.ts';
import { metricsUrl, scrape } from './scrape.ts';

describe('Prometheus metrics of host restarts', () => {
  const scratch = useScratch();

  it('counts a host started again after its checkpoint failed, and shows it live again', async () => {
    // The recorder, whose next `failures` snapshots fail as on a full disk.
    const armed = { failures: 0 };
    const logic = Object.create(recorderMachine) as AnyStateMachine;
    logic.getPersistedSnapshot = (...args: Parameters<AnyStateMachine['getPersistedSnapshot']>) => {
      if (armed.failures > 0) {
        armed.failures--;
        throw new Error('disk full');
      }
      return recorderMachine.getPersistedSnapshot(...args);
    };
    const component = defineComponent({ name: 'recorder', logic, subscribe: 'inv.*', key: true, version: '1', checkpoint: { maxDelayMs: 0 } });
    const clock = new SimulatedClock(0);
    const log = listeningLogger();
    const restart = { initialDelayMs: 1_000, maxDelayMs: 1_000, maxRestarts: 3, windowMs: 60_000 };
    const s = await scratch.start({ db: scratch.file(), components: [component], clock, restart, leaseTtlMs: 86_400_000, logger: log.logger, metrics: true });
    const of = { consumer: 'recorder' };
    expect((await scrape(metricsUrl(s))).value('recq_consumer_restarts_total', of)).toBe(0);

    armed.failures = 1;
    const restarting = log.next(/host recorder failed \(.*disk full\); restarting in \d+ ms/);
    await s.publish('inv.a', { type: 'add', amount: 1 }, { key: 'k1' });
    await restarting;
    const failed = await scrape(metricsUrl(s));
    expect(failed.value('recq_consumer_host_state', { ...of, state: 'failed' })).toBe(1);
    expect(failed.value('recq_supervisor_state', { state: 'degraded' })).toBe(1);

    clock.advance(1_000);
    await s.settled();
    const again = await scrape(metricsUrl(s));
    expect(again.value('recq_consumer_restarts_total', of)).toBe(1);
    expect(again.value('recq_consumer_host_state', { ...of, state: 'live' })).toBe(1);
    expect(again.value('recq_consumer_committed_offset', of)).toBe(1);
  });
});
