import { Gauge, type Registry } from 'prom-client';
import type { Envelope } from '../envelope.ts';
import { consumerResource } from '../lease.ts';
import type { RouteState } from '../sss/log-access.ts';

/** One consumer as the gauges read it (a `ConsumerStatus` of `system.status()`). */
export interface ConsumerReading {
  consumer: string;
  hostState: string;
  offset: number;
  committedOffset: number;
  lag: number;
  activeActors: number;
  storedActors: number;
  deadLetters: number;
}

/** The system as the gauges read it (what `system.status()` returns). */
export interface StatusReading {
  supervisor: string | undefined;
  runner: string | undefined;
  head: number;
  consumers: readonly ConsumerReading[];
}

/** What the gauges read at scrape time: what `system.status()` and `system.routes()` know, and a few counts from the files. */
export interface MetricsSource {
  /** This process's name in leases. */
  owner: string;
  now(): number;
  status(): Promise<StatusReading>;
  routes(): Promise<RouteState>;
  /** The first event after `offset` that `consumer` subscribes to: the oldest it has not applied. */
  firstAfter(consumer: string, offset: number): Promise<Envelope | undefined>;
  /** Delayed events waiting, per consumer, as of their last checkpoints. */
  timersPending(): Map<string, number>;
  /** Emitted events in the consumer's outbox, not yet in the log; undefined where there is no outbox (embedded, supervisor). */
  outboxPending(consumer: string): number | undefined;
}

interface Reading {
  status: StatusReading;
  routes: RouteState;
  lagSeconds: Map<string, number>;
  timers: Map<string, number>;
}

/**
 * The series that mirror state, computed when Prometheus scrapes: the log's head and lease,
 * the supervisor's and runner's states, and per consumer its offsets, lag, actors, timers,
 * outbox and lease. One reading of the system serves every gauge of a scrape.
 */
export function registerStateGauges(registry: Registry, source: MetricsSource): void {
  let pending: Promise<Reading | undefined> | undefined;
  const read = (): Promise<Reading | undefined> => {
    // Gauges are collected together (prom-client awaits them all at once): they share one reading.
    // One that fails (a worker whose supervisor is down) leaves them empty; counters are still served.
    pending ??= readSystem(source)
      .catch(() => undefined)
      .finally(() => setImmediate(() => (pending = undefined)));
    return pending;
  };
  const gauge = <L extends string>(name: string, help: string, labelNames: readonly L[], set: (gauge: Gauge<L>, reading: Reading) => void) => {
    const metric: Gauge<L> = new Gauge<L>({
      name,
      help,
      labelNames,
      registers: [registry],
      async collect() {
        const reading = await read();
        metric.reset();
        if (reading) set(metric, reading);
      },
    });
  };
  const perConsumer = (name: string, help: string, value: (consumer: ConsumerReading, reading: Reading) => number | undefined) =>
    gauge(name, help, ['consumer'], (metric, reading) => {
      for (const consumer of reading.status.consumers) {
        const v = value(consumer, reading);
        if (v !== undefined) metric.set({ consumer: consumer.consumer }, v);
      }
    });
  const oneState = (name: string, help: string, state: (reading: Reading) => string | undefined) =>
    gauge(name, help, ['state'], (metric, reading) => {
      const current = state(reading);
      if (current !== undefined) metric.set({ state: current }, 1);
    });

  new Gauge({
    name: 'recq_status_up',
    help: "1 when this scrape could read the system's status and routes (a worker: the supervisor answered), else 0 and the other gauges are empty",
    registers: [registry],
    async collect() {
      this.set((await read()) ? 1 : 0);
    },
  });
  gauge('recq_log_head', 'Seq of the last event committed to the log', [], (metric, { status }) => metric.set(status.head));
  gauge('recq_log_lease_epoch', "Epoch of the log's lease (the supervisor's term)", [], (metric, { routes }) => {
    const lease = routes.leases.find((l) => l.resource === 'log');
    if (lease) metric.set(lease.epoch);
  });
  oneState('recq_supervisor_state', "The supervisor's state where this process runs it (1 for the current state)", ({ status }) => status.supervisor);
  oneState('recq_runner_state', "The runner's state where this process runs hosts (1 for the current state)", ({ status }) => status.runner);
  gauge('recq_consumer_host_state', "Each host's state (1 for the current state)", ['consumer', 'state'], (metric, { status }) => {
    for (const c of status.consumers) metric.set({ consumer: c.consumer, state: c.hostState }, 1);
  });
  perConsumer('recq_consumer_offset', 'Seq up to which the consumer has applied events (in memory)', (c) => c.offset);
  perConsumer('recq_consumer_committed_offset', "Seq of the consumer's last checkpoint", (c) => c.committedOffset);
  perConsumer('recq_consumer_lag_events', 'Events routed to the consumer and not yet applied', (c) => c.lag);
  perConsumer(
    'recq_consumer_lag_seconds',
    'Age of the oldest event the consumer has not applied (0 when caught up)',
    (c, r) => r.lagSeconds.get(c.consumer) ?? 0,
  );
  perConsumer('recq_consumer_actors_active', 'Actors of the consumer in memory', (c) => c.activeActors);
  perConsumer('recq_consumer_actors_stored', 'Actors of the consumer stored in its CSS', (c) => c.storedActors);
  perConsumer('recq_consumer_dead_letters_waiting', 'Dead letters of the consumer waiting for an operator (parked or blocking)', (c) => c.deadLetters);
  perConsumer('recq_consumer_timers_pending', 'Delayed events waiting, as of the last checkpoint', (c, r) => r.timers.get(c.consumer) ?? 0);
  perConsumer('recq_consumer_outbox_pending', "Emitted events in the worker's outbox, not yet appended to the log", (c) => source.outboxPending(c.consumer));
  perConsumer('recq_consumer_lease_epoch', "Epoch of the consumer's lease", (c, r) => leaseOf(r.routes, c.consumer)?.epoch);
  perConsumer('recq_consumer_lease_held', "1 when this process holds the consumer's lease, 0 when it stands by", (c, r) =>
    leaseOf(r.routes, c.consumer)?.owner === source.owner ? 1 : 0,
  );
}

async function readSystem(source: MetricsSource): Promise<Reading> {
  const [status, routes] = await Promise.all([source.status(), source.routes()]);
  const lagSeconds = new Map<string, number>();
  const now = source.now();
  await Promise.all(
    status.consumers
      .filter((c) => c.lag > 0)
      .map(async (c) => {
        const oldest = await source.firstAfter(c.consumer, c.offset);
        if (oldest) lagSeconds.set(c.consumer, Math.max(0, now - oldest.time) / 1000);
      }),
  );
  return { status, routes, lagSeconds, timers: source.timersPending() };
}

function leaseOf(routes: RouteState, consumer: string) {
  return routes.leases.find((lease) => lease.resource === consumerResource(consumer));
}
