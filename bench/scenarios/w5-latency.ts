import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assign, emit, setup } from 'xstate';
import { type CheckpointPolicy, consoleLogger, createSystem, defineComponent, type Envelope } from '../../src/index.ts';
import type { GoalRow } from '../goals.ts';
import { type Percentiles, percentiles } from './percentiles.ts';
import type { Scenario } from './scenario.ts';

const KEYS = 100;
const RATES = [2_000, 5_000] as const;
const GOAL_P99_MS = 10;
const WARMUP_SECONDS = 0.5;
/** Producer ticks: each publishes what the rate says is due by now, one append per event. */
const TICK_MS = 1;
/**
 * The default policy (a checkpoint 10 ms after the first uncommitted event), and one that
 * commits after every batch, i.e. as soon as the inbox is empty: still batching under load,
 * since a batch is what arrived while the previous commit ran.
 */
const POLICIES: readonly { label: string; checkpoint: Partial<CheckpointPolicy> | undefined }[] = [
  { label: 'default checkpoint', checkpoint: undefined },
  { label: 'maxDelayMs 0', checkpoint: { maxDelayMs: 0 } },
];

type Ping = { type: 'ping'; n: number };

/** Counts pings and answers each with a pong, which commits in the same transaction as the checkpoint. */
const reactorMachine = setup({
  types: { context: {} as { count: number }, events: {} as Ping },
}).createMachine({
  id: 'reactor',
  context: { count: 0 },
  on: {
    ping: {
      actions: [assign({ count: ({ context }) => context.count + 1 }), emit(({ event }) => ({ type: 'pong' as const, n: event.n }))],
    },
  },
});

const reactor = defineComponent({ name: 'reactor', logic: reactorMachine, subscribe: 'w5.ping', key: true, emits: { topic: () => 'w5.pong' } });

/**
 * W5: latency at a fixed rate. A producer publishes pings at `rate`/s over 100 keys, one
 * `publish` per event; each is answered by a pong. Measured per event: publish → acknowledged
 * (durably appended), and publish → its pong committed. Embedded, the pong is written in the
 * reacting consumer's checkpoint transaction (offset, snapshot, emitted event), so the second
 * figure is also publish → applied and checkpointed.
 */
export const w5Latency: Scenario = {
  name: 'W5',
  description: `latency at fixed rates (${RATES.map((r) => `${r.toLocaleString('en-US')}/s`).join(', ')}) over ${KEYS} keys, embedded`,
  async run({ divisor, progress }) {
    const seconds = divisor > 1 ? 1 : 4;
    const rows: GoalRow[] = [];
    for (const rate of RATES) {
      for (const policy of POLICIES) {
        progress(`W5: ${rate.toLocaleString('en-US')}/s for ${seconds} s, ${policy.label}`);
        const m = await measureAt(rate, seconds, policy.checkpoint);
        rows.push({
          bench: 'W5',
          measure: `p99 publish → reaction committed, ${rate.toLocaleString('en-US')}/s, ${policy.label}`,
          figure: `${m.reaction.p99.toFixed(1)} ms (p50 ${m.reaction.p50.toFixed(1)}, p999 ${m.reaction.p999.toFixed(1)})`,
          goal: `< ${GOAL_P99_MS} ms`,
          met: m.reaction.p99 < GOAL_P99_MS,
          verified: m.verified,
          metrics: {
            rate,
            keys: KEYS,
            events: m.events,
            achievedRate: m.achievedRate,
            ...prefixed('reactionMs', m.reaction),
            ...prefixed('ackMs', m.ack),
            checkpoint: policy.label,
          },
        });
      }
    }
    return rows;
  },
};

function prefixed(prefix: string, p: Percentiles): Record<string, number> {
  return { [`${prefix}P50`]: p.p50, [`${prefix}P99`]: p.p99, [`${prefix}P999`]: p.p999, [`${prefix}Max`]: p.max };
}

interface Measured {
  events: number;
  achievedRate: number;
  ack: Percentiles;
  reaction: Percentiles;
  verified: boolean;
}

async function measureAt(rate: number, seconds: number, checkpoint: Partial<CheckpointPolicy> | undefined): Promise<Measured> {
  const dir = await mkdtemp(join(tmpdir(), 'recq-bench-w5-'));
  const system = await createSystem({ db: join(dir, 'w5.db'), components: [reactor], logger: consoleLogger('error'), ...(checkpoint ? { checkpoint } : {}) });
  try {
    const warmup = Math.round(rate * WARMUP_SECONDS);
    const total = warmup + Math.round(rate * seconds);
    const sentAt = new Float64Array(total);
    const ackMs = new Float64Array(total);
    const reactionMs = new Float64Array(total).fill(Number.NaN);
    let pongs = 0;
    const stopObserving = system.observe('w5.pong', (envelope: Envelope) => {
      const { n } = envelope.event as unknown as Ping;
      reactionMs[n] = performance.now() - (sentAt[n] as number);
      pongs++;
    });
    const acks: Promise<unknown>[] = [];
    const started = performance.now();
    let sent = 0;
    await new Promise<void>((resolve) => {
      const tick = () => {
        const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * rate));
        for (; sent < due; sent++) {
          const n = sent;
          sentAt[n] = performance.now();
          acks.push(
            system.publish('w5.ping', { type: 'ping', n }, { key: `k${n % KEYS}`, id: `w5-${n}` }).then(() => {
              ackMs[n] = performance.now() - (sentAt[n] as number);
            }),
          );
        }
        if (sent < total) setTimeout(tick, TICK_MS);
        else resolve();
      };
      tick();
    });
    const achievedRate = (total / (performance.now() - started)) * 1000;
    await Promise.all(acks);
    await system.settled();
    stopObserving();
    const measured = (values: Float64Array) => Array.from(values.subarray(warmup));
    let countsRight = true;
    for (let k = 0; k < KEYS; k++) {
      const want = Math.floor(total / KEYS) + (k < total % KEYS ? 1 : 0);
      if (((await system.query('reactor', `k${k}`)).context as { count: number }).count !== want) countsRight = false;
    }
    const reaction = measured(reactionMs);
    return {
      events: total - warmup,
      achievedRate,
      ack: percentiles(measured(ackMs)),
      reaction: percentiles(reaction),
      verified: countsRight && pongs === total && reaction.every((v) => Number.isFinite(v)) && (await system.head()) === 2 * total,
    };
  } finally {
    await system.stop();
    await rm(dir, { recursive: true, force: true });
  }
}
