import type { Component } from '../component/component.ts';
import { UnknownComponentError, UnknownKeyError } from '../errors.ts';
import { consumerResource } from '../lease.ts';
import { ConsumerControl, type Delivery } from '../operator/consumer-control.ts';
import { StoreReader } from '../operator/store-reader.ts';
import { chartOf } from './chart.ts';
import { letterOf, logEventsOf, recentRecordsOf, timersOf } from './records.ts';
import type { DashboardSource, LogReader } from './source.ts';
import { replayActor } from './time-travel.ts';
import { consumerRow, type DashboardActor, type DashboardConsumer } from './wire.ts';

/**
 * How long a button waits for the system running the consumer to apply its command before
 * answering "queued": the live view shows the outcome when it comes.
 */
const WRITE_WAIT_MS = 0;

/**
 * The dashboard's view of a database file that another process may be running: read
 * read-only, as `recq status` reads it; its buttons queue commands in the file, as `recq
 * pause` and `recq dlq retry` do, for the system running the consumer to apply within one
 * heartbeat. `components` (from a system module) give the statecharts.
 */
export function fileSource(db: string, components: readonly Component[] = []): DashboardSource {
  const reader = StoreReader.open(db);
  const definitions = new Map(components.map((c) => [c.name, c]));
  const logEvent = logEventsOf(definitions);
  const read: LogReader = async (after, patterns, limit) => reader.readEvents(after, patterns, limit).envelopes;

  async function command(consumer: string, name: 'pause' | 'resume' | 'retry' | 'skip', arg: number | undefined, what: string): Promise<string> {
    const control = ConsumerControl.open(db, WRITE_WAIT_MS);
    try {
      return said(await control.send(consumer, name, arg, what), what);
    } finally {
      control.close();
    }
  }

  function consumerOf(component: string): string {
    const row = reader.consumers().find((c) => c.component === component);
    if (!row)
      throw new UnknownComponentError(
        component,
        reader.consumers().map((c) => c.component),
      );
    return row.consumer;
  }

  function withControl<T>(work: (control: ConsumerControl) => T): T {
    const control = ConsumerControl.open(db, WRITE_WAIT_MS);
    try {
      return work(control);
    } finally {
      control.close();
    }
  }

  return {
    async overview() {
      const now = Date.now();
      const status = reader.status(now);
      const consumers = status.consumers.map((c): DashboardConsumer => {
        const lease = status.leases.find((l) => l.resource === consumerResource(c.consumer) && !l.expired);
        return consumerRow(c, status.head, lease, { activeActors: null, restarts: null, lastError: undefined });
      });
      return {
        source: reader.file,
        writes: 'queued',
        head: status.head,
        supervisor: status.supervisor?.state,
        consumers,
        deadLetters: reader.deadLetters().map(letterOf),
      };
    },
    async events(after, limit) {
      return reader.readEvents(after, [], limit).envelopes.map(logEvent);
    },
    async components() {
      const names = [...new Set([...reader.consumers().map((c) => c.component), ...definitions.keys()])];
      return names.map((component) => ({ component, keyed: definitions.get(component)?.keyed, chart: chartOf(definitions.get(component)?.logic) }));
    },
    async actor(component, key): Promise<DashboardActor> {
      const consumer = consumerOf(component);
      const row = reader.status(Date.now()).consumers.find((c) => c.consumer === consumer);
      const stored = reader.snapshot(consumer, key ?? '');
      if (!row || !stored) throw new UnknownKeyError(component, key);
      const snapshot = JSON.parse(stored.snapshot) as { value?: unknown; context?: unknown; status: string };
      const definition = definitions.get(component);
      const { history, effects } = await recentRecordsOf(read, reader.head(), {
        patterns: row.patterns,
        consumer,
        key,
        keyOf: definition?.keyOf,
        logic: definition?.logic,
      });
      return {
        component,
        key,
        value: snapshot.value,
        context: snapshot.context,
        status: snapshot.status,
        seq: stored.seq,
        timers: timersOf(stored.timers),
        history,
        effects,
        unavailable: {},
      };
    },
    async replay(component, key) {
      const consumer = consumerOf(component);
      return replayActor({ definition: definitions.get(component), component, consumer, key, read });
    },
    async retry(id) {
      const letter = withControl((control) => control.letter('retry', id));
      return command(letter.consumer, 'retry', id, `retry dead letter ${id}`);
    },
    async skip(id) {
      const letter = withControl((control) => control.letter('skip', id));
      return command(letter.consumer, 'skip', id, `skip dead letter ${id}`);
    },
    async pause(component) {
      const { consumer } = withControl((control) => control.consumer(component));
      return command(consumer, 'pause', undefined, `pause consumer ${consumer}`);
    },
    async resume(component) {
      const { consumer } = withControl((control) => control.consumer(component));
      return command(consumer, 'resume', undefined, `resume consumer ${consumer}`);
    },
    close() {
      reader.close();
    },
  };
}

function said(delivery: Delivery, what: string): string {
  if (delivery.kind === 'done') return `${delivery.command.outcome ?? what}.`;
  return delivery.runner
    ? `Queued: ${what}. ${delivery.runner.owner} applies it within one heartbeat.`
    : `Queued: ${what}. No system runs this consumer now; it is applied when one starts on the file.`;
}
