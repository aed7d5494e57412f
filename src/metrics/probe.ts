/**
 * What the runtime tells its metrics as things happen: the log's commits, and per consumer its
 * applied events, failures, retries, dead letters, checkpoints and restarts. Host and log code
 * call it without knowing what records it; `src/metrics/recorder.ts` records it in Prometheus
 * counters and histograms, and `silentProbe` records nothing.
 */
export interface Probe {
  /** The log committed `events` new events (a group commit, or a checkpoint's emitted events). */
  appended(events: number): void;
  /** The probe of one consumer. */
  consumer(name: string): ConsumerProbe;
}

/** What one consumer's host reports. */
export interface ConsumerProbe {
  /** An event of the log was applied to its actor. */
  applied(): void;
  /** Applying an event of the log failed (one attempt). */
  failed(): void;
  /** A failed event will be tried again after a backoff. */
  retried(): void;
  /** An event, timer or child outcome became a dead letter (parked or blocking). */
  deadLettered(): void;
  /** A checkpoint committed `events` applied events and timers in `ms` milliseconds. */
  checkpointed(ms: number, events: number): void;
  /** The host was started again after it failed. */
  restarted(): void;
}

const silentConsumer: ConsumerProbe = {
  applied() {},
  failed() {},
  retried() {},
  deadLettered() {},
  checkpointed() {},
  restarted() {},
};

/** A probe that records nothing: the default without `metrics`. */
export const silentProbe: Probe = {
  appended() {},
  consumer: () => silentConsumer,
};
