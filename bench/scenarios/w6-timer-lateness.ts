import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { emit, setup } from 'xstate';
import { consoleLogger, createSystem, defineComponent, type Envelope, type System } from '../../src/index.ts';
import { startNatsServer } from '../../test/support/nats-server.ts';
import type { GoalRow } from '../goals.ts';
import { type Percentiles, percentiles } from './percentiles.ts';
import type { Scenario } from './scenario.ts';

const DELAY_MS = 100;
const KEYS = 400;
/** Arms go out in small bursts, so that timers fall due spread over a while, as in a live system. */
const BURST = 20;
const BURST_EVERY_MS = 5;

/** Armed by an event, it waits `DELAY_MS`, then says so: the timer's firing is an input record, what it emits an event. */
const alarm = defineComponent({
  name: 'alarms',
  subscribe: 'w6.arm',
  key: true,
  emits: { topic: () => 'w6.rang' },
  logic: setup({ types: { events: {} as { type: 'arm' } } }).createMachine({
    id: 'alarm',
    initial: 'idle',
    states: {
      idle: { on: { arm: 'armed' } },
      armed: { after: { [DELAY_MS]: { target: 'rang', actions: emit({ type: 'rang' }) } } },
      rang: {},
    },
  }),
});

/**
 * W6: how late a timer fires. Each of 400 actors is armed by an event and sets a 100 ms delayed
 * event, due 100 ms after the arming event's commit time. Measured per timer, in the log's own
 * times: due → its firing record committed (the host appends it once its clock passes the due
 * time: one group commit embedded, one request to the supervisor over NATS), and due → what the
 * firing emitted committed (the record routed back and applied, and the checkpoint that holds it).
 */
export const w6TimerLateness: Scenario = {
  name: 'W6',
  description: `timer lateness: ${KEYS} timers of ${DELAY_MS} ms, embedded and over NATS`,
  async run({ divisor, progress }) {
    const keys = Math.max(20, Math.round(KEYS / divisor));
    const rows: GoalRow[] = [];
    for (const deployment of ['embedded', 'nats'] as const) {
      progress(`W6: ${keys} timers of ${DELAY_MS} ms, ${deployment}`);
      const m = await measure(deployment, keys);
      for (const [what, p] of [
        ['firing recorded', m.recorded],
        ['firing applied', m.applied],
      ] as const) {
        rows.push({
          bench: 'W6',
          measure: `p99 due → ${what}, ${deployment}`,
          figure: `${p.p99.toFixed(1)} ms (p50 ${p.p50.toFixed(1)}, max ${p.max.toFixed(1)})`,
          goal: 'stated',
          met: true,
          verified: m.verified,
          metrics: {
            deployment,
            timers: keys,
            delayMs: DELAY_MS,
            [`${what.replace(' ', '')}P50`]: p.p50,
            [`${what.replace(' ', '')}P99`]: p.p99,
            [`${what.replace(' ', '')}Max`]: p.max,
          },
        });
      }
    }
    return rows;
  },
};

interface Measured {
  recorded: Percentiles;
  applied: Percentiles;
  verified: boolean;
}

async function measure(deployment: 'embedded' | 'nats', keys: number): Promise<Measured> {
  const dir = await mkdtemp(join(tmpdir(), 'recq-bench-w6-'));
  const server = deployment === 'nats' ? await startNatsServer() : undefined;
  let system: System | undefined;
  try {
    system = await createSystem({
      db: join(dir, 'w6.db'),
      components: [alarm],
      logger: consoleLogger('error'),
      ...(server ? { nats: { servers: server.url, namespace: 'w6' } } : {}),
    });
    const running = system;
    for (let k = 0; k < keys; k += BURST) {
      await Promise.all(Array.from({ length: Math.min(BURST, keys - k) }, (_, i) => running.publish('w6.arm', { type: 'arm' }, { key: `a${k + i}` })));
      await new Promise((resolve) => setTimeout(resolve, BURST_EVERY_MS));
    }
    for (let k = 0; k < keys; k++) await running.waitFor('alarms', `a${k}`, 'rang', { timeoutMs: 30_000 });
    await running.settled();
    const log = await running.events({ limit: 100_000 });
    const byKey = (topic: string) => new Map(log.filter((e) => e.topic === topic).map((e): [string, Envelope] => [e.key as string, e]));
    const armed = byKey('w6.arm');
    const fired = byKey('$input.alarms');
    const rang = byKey('w6.rang');
    const recorded: number[] = [];
    const applied: number[] = [];
    let early = 0;
    for (const [key, arm] of armed) {
      const due = arm.time + DELAY_MS;
      const record = fired.get(key);
      const event = rang.get(key);
      if (!record || !event) continue;
      if (record.time < due) early++;
      recorded.push(record.time - due);
      applied.push(event.time - due);
    }
    return {
      recorded: percentiles(recorded),
      applied: percentiles(applied),
      verified: recorded.length === keys && early === 0,
    };
  } finally {
    await system?.stop();
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  }
}
