import type { Component } from '../component/component.ts';
import type { StoredSnapshot } from '../css/records.ts';
import { InvalidCommandError, UnknownComponentError } from '../errors.ts';
import type { StoreReader } from '../operator/store-reader.ts';
import type { System } from '../system/system.ts';
import { chartOf } from './chart.ts';
import { actorOf, actorTopics, letterOf, logEventsOf, recentRecordsOf, timersOf } from './records.ts';
import type { DashboardSource, LogReader } from './source.ts';
import { replayActor } from './time-travel.ts';
import { consumerRow, type DashboardActor, type DashboardComponent, type DashboardConsumer, type DashboardDeadLetter } from './wire.ts';

const NO_FILE = "The dashboard was not given the system's file (serveDashboard's db option), where they are kept as of each actor's last checkpoint";

export interface SystemSourceOptions {
  /** The components' definitions, for their statecharts and exact history (each actor's key and topics). */
  components?: readonly Component[];
  /** The system's own file read-only, for pending timers as of each actor's last checkpoint. */
  reader?: StoreReader;
}

/**
 * The dashboard's view of a system running in this process: its live status and view, its
 * log, and its operator calls (`retryDeadLetter`, `pause`, ...), which act at once.
 */
export function systemSource(system: System, options: SystemSourceOptions = {}): DashboardSource {
  const definitions = new Map((options.components ?? []).map((c) => [c.name, c]));
  const logEvent = logEventsOf(definitions);
  const read: LogReader = (after, patterns, limit) => system.events({ after, patterns, limit });

  function letters(): DashboardDeadLetter[] {
    return system.deadLetters().flatMap((l) => (l.id === undefined ? [] : [letterOf({ ...l, id: l.id })]));
  }

  /** Refused as the file's control refuses it: a letter that is gone, or already retried or skipped. */
  function waitingLetter(command: 'retry' | 'skip', id: number): DashboardDeadLetter {
    const letter = letters().find((l) => l.id === id);
    const action = `${command} dead letter ${id}`;
    if (!letter) throw new InvalidCommandError(action, `there is no dead letter ${id}`);
    if (letter.status !== 'parked' && letter.status !== 'blocking') {
      throw new InvalidCommandError(
        action,
        `it is ${letter.status} already; only parked or blocking letters can be ${command === 'retry' ? 'retried' : 'skipped'}`,
      );
    }
    return letter;
  }

  function known(component: string): void {
    if (!system.components.includes(component)) throw new UnknownComponentError(component, system.components);
  }

  return {
    async overview() {
      const [status, routes] = await Promise.all([system.status(), system.routes()]);
      const consumers: DashboardConsumer[] = status.consumers.map((c) => {
        const lease = routes.leases.find((l) => l.resource === `consumer:${c.consumer}`);
        return consumerRow(c, status.head, lease, { activeActors: c.activeActors, restarts: c.restarts, lastError: c.lastError });
      });
      return { source: 'running system', writes: 'direct', head: status.head, supervisor: status.supervisor, consumers, deadLetters: letters() };
    },
    async events(after, limit) {
      return (await system.events({ after, limit })).map(logEvent);
    },
    async components() {
      const status = await system.status();
      return system.components.map(
        (name): DashboardComponent => ({
          component: name,
          keyed: definitions.get(name)?.keyed ?? status.consumers.find((c) => c.component === name)?.keyed,
          chart: chartOf(definitions.get(name)?.logic),
        }),
      );
    },
    async actor(component, key): Promise<DashboardActor> {
      known(component);
      const view = await system.query(component, key);
      const definition = definitions.get(component);
      const { history, effects } = await recentRecordsOf(read, await system.head(), actorTopics(component, view.key, definition));
      let stored: StoredSnapshot | undefined;
      try {
        stored = options.reader?.snapshot(component, view.key ?? '');
      } catch {
        stored = undefined;
      }
      return actorOf(component, view, {
        timers: timersOf(stored?.timers),
        history,
        effects,
        unavailable: options.reader ? {} : { timers: NO_FILE },
      });
    },
    async replay(component, key) {
      known(component);
      return replayActor({ definition: definitions.get(component), component, consumer: component, key, read });
    },
    async retry(id) {
      waitingLetter('retry', id);
      system.retryDeadLetter(id);
      return `Dead letter ${id} is being retried.`;
    },
    async skip(id) {
      waitingLetter('skip', id);
      system.skipDeadLetter(id);
      return `Dead letter ${id} skipped.`;
    },
    async pause(component) {
      known(component);
      system.pause(component);
      return `Consumer ${component} pauses after its current batch.`;
    },
    async resume(component) {
      known(component);
      system.resume(component);
      return `Consumer ${component} goes on.`;
    },
    close() {
      options.reader?.close();
    },
  };
}
