/** What the parent and the supervisor, worker and producer entries say to each other. */
import type { AppendInput } from '../../src/index.ts';

/** Components from the shared invariant fixtures that a worker can run. */
export type ComponentName = 'recorder' | 'tally';

/** The configuration a child entry gets as its only argument. */
export interface NodeConfig {
  name: string;
  db: string;
  url: string;
  namespace?: string;
  owner: string;
  leaseTtlMs: number;
  components?: ComponentName[];
  checkpoint?: { maxEvents?: number; maxDelayMs?: number };
  maxPayloadBytes?: number;
}

/** An error as it crosses the process boundary: its class name, its RecqError code, its message. */
export interface WireFailure {
  name: string;
  code: string | undefined;
  message: string;
  recq: boolean;
}

/**
 * A producer's stream: events `from`..`from + count - 1`, published `batch` at a time with
 * up to `inFlight` batches unacknowledged. Each batch is retried with the same ids until the
 * supervisor acknowledges it, so every event ends up in the log exactly once.
 */
export interface StreamPlan {
  prefix: string;
  from: number;
  count: number;
  batch: number;
  inFlight: number;
  keys: number;
  /** Scales the amounts, so two workloads with the same shape lead to different states. */
  scale?: number;
}

const TOPICS = ['inv.a', 'inv.a', 'inv.b', 'other.x'] as const;

/** The `i`-th event of a stream: its id, topic and key depend on `i` alone, so runs can be compared. */
export function streamInput(plan: StreamPlan, i: number): AppendInput<{ type: 'add'; amount: number }> {
  const topic = TOPICS[i % TOPICS.length] as string;
  return { id: `${plan.prefix}-${i}`, topic, key: `k${(i * 7 + 3) % plan.keys}`, event: { type: 'add', amount: (i % 10) * (plan.scale ?? 1) } };
}

/** One stdout line of a child. */
export type Line =
  | { type: 'ready'; name: string; pid: number; components: string[] }
  | { type: 'reply'; id: number; ok: true; value: unknown }
  | { type: 'reply'; id: number; ok: false; error: WireFailure }
  | { type: 'host'; consumer: string; state: string }
  | { type: 'log'; level: 'info' | 'warn' | 'error'; message: string; consumer?: string; error?: string }
  | { type: 'nats'; event: string }
  | { type: 'ack'; ids: string[]; seqs: number[] }
  | { type: 'refused'; ids: string[]; error: WireFailure }
  | { type: 'produced'; prefix: string; count: number }
  | { type: 'exit'; code: number; error?: WireFailure };
