import { describe, expect, it } from 'vitest';
import { setup } from 'xstate';
import { defineComponent, SimulatedClock, silentLogger } from '../../src/index.ts';
import { useScratch } from '../support/scratch.ts';
import { metricsUrl, scrape } from './scrape.ts';

/** A reminder that expires a minute after it is set. */
const reminder = setup({ types: {} as { events: { type: 'set' } } }).createMachine({
  id: 'reminder',
  initial: 'idle',
  states: {
    idle: { on: { set: 'waiting' } },
    waiting: { after: { 60000: 'expired' } },
    expired: {},
  },
});

describe('Prometheus metrics of durable timers', () => {
  const scratch = useScratch();

  it('counts the delayed events waiting, as of the last checkpoint, and none once they fired', async () => {
    const clock = new SimulatedClock(0);
    const reminders = defineComponent({ name: 'reminders', logic: reminder, subscribe: 'reminders.set', key: true });
    const s = await scratch.start({ db: scratch.file(), components: [reminders], clock, leaseTtlMs: 86_400_000, logger: silentLogger, metrics: true });
    await s.publishMany(['a', 'b'].map((key) => ({ topic: 'reminders.set', event: { type: 'set' }, key })));
    await s.settled();
    expect((await scrape(metricsUrl(s))).value('recq_consumer_timers_pending', { consumer: 'reminders' })).toBe(2);

    clock.advance(60_000);
    await s.waitFor('reminders', 'b', 'expired');
    await s.settled();
    expect((await scrape(metricsUrl(s))).value('recq_consumer_timers_pending', { consumer: 'reminders' })).toBe(0);
  });
});
