import { Counter, Histogram, type Registry } from 'prom-client';
import type { ConsumerProbe, Probe } from './probe.ts';

/** Seconds; a checkpoint is one SQLite transaction, fsync'd by default. */
const DURATION_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
/** Applied events and timers per checkpoint, up to the default `maxEvents` of 10,000. */
const BATCH_BUCKETS = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000];

/**
 * The probe that counts into Prometheus: the log's appends, and per consumer its applied
 * events, failures, retries, dead letters, restarts and checkpoints. Labels are the consumer
 * only, never an actor's key.
 */
export class MetricsRecorder implements Probe {
  readonly #appends: Counter | undefined;
  readonly #applied: Counter<'consumer'>;
  readonly #failures: Counter<'consumer'>;
  readonly #retries: Counter<'consumer'>;
  readonly #deadLetters: Counter<'consumer'>;
  readonly #restarts: Counter<'consumer'>;
  readonly #checkpointSeconds: Histogram<'consumer'>;
  readonly #checkpointEvents: Histogram<'consumer'>;
  readonly #consumers = new Map<string, ConsumerProbe>();

  /**
   * Registers the series in `registry`: the log's where this process leads it (`leadsLog`), and
   * every consumer's in `consumers`, at 0, so rates work from the first scrape.
   */
  constructor(registry: Registry, consumers: readonly string[], leadsLog: boolean) {
    const registers = [registry];
    const labelNames = ['consumer'] as const;
    const appends = {
      name: 'recq_log_appends_total',
      help: 'Events committed to the log by this process (new ones; duplicates by id are not counted)',
      registers,
    };
    this.#appends = leadsLog ? new Counter(appends) : undefined;
    this.#applied = new Counter({ name: 'recq_consumer_events_applied_total', help: 'Events of the log applied to their actors', labelNames, registers });
    this.#failures = new Counter({ name: 'recq_consumer_failures_total', help: 'Failed attempts at applying an event of the log', labelNames, registers });
    this.#retries = new Counter({
      name: 'recq_consumer_retries_total',
      help: 'Failed events scheduled to be tried again after a backoff',
      labelNames,
      registers,
    });
    this.#deadLetters = new Counter({
      name: 'recq_consumer_dead_letters_total',
      help: 'Events, timers and child outcomes that became dead letters',
      labelNames,
      registers,
    });
    this.#restarts = new Counter({ name: 'recq_consumer_restarts_total', help: 'Times the host was started again after it failed', labelNames, registers });
    this.#checkpointSeconds = new Histogram({
      name: 'recq_checkpoint_duration_seconds',
      help: 'Time to commit one checkpoint (offset, snapshots, dead letters, emitted events in one transaction)',
      labelNames,
      buckets: DURATION_BUCKETS,
      registers,
    });
    this.#checkpointEvents = new Histogram({
      name: 'recq_checkpoint_batch_events',
      help: 'Applied events and timers committed by one checkpoint',
      labelNames,
      buckets: BATCH_BUCKETS,
      registers,
    });
    for (const consumer of consumers) this.consumer(consumer);
  }

  appended(events: number): void {
    this.#appends?.inc(events);
  }

  consumer(name: string): ConsumerProbe {
    let probe = this.#consumers.get(name);
    if (probe) return probe;
    const labels = { consumer: name };
    const applied = this.#applied.labels(labels);
    const failures = this.#failures.labels(labels);
    const retries = this.#retries.labels(labels);
    const deadLetters = this.#deadLetters.labels(labels);
    const restarts = this.#restarts.labels(labels);
    const seconds = this.#checkpointSeconds.labels(labels);
    const events = this.#checkpointEvents.labels(labels);
    for (const counter of [applied, failures, retries, deadLetters, restarts]) counter.inc(0);
    probe = {
      applied: () => applied.inc(),
      failed: () => failures.inc(),
      retried: () => retries.inc(),
      deadLettered: () => deadLetters.inc(),
      restarted: () => restarts.inc(),
      checkpointed: (ms, count) => {
        seconds.observe(ms / 1000);
        events.observe(count);
      },
    };
    this.#consumers.set(name, probe);
    return probe;
  }
}
