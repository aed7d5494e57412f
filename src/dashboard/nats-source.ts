import type { NatsConnection } from 'nats';
import type { Component } from '../component/component.ts';
import type { ConsumerCommandName } from '../css/commands.ts';
import { DashboardRequestError } from '../errors.ts';
import { readClusterStatus } from '../operator/cluster-status.ts';
import { commandOverNats, leaseHolder } from '../operator/nats-control.ts';
import type { NatsTarget } from '../operator/nats-target.ts';
import { askWorker } from '../operator/worker-control.ts';
import { NatsLogAccess } from '../sss/nats/log-client.ts';
import { chartOf } from './chart.ts';
import { actorOf, actorTopics, letterOf, logEventsOf, recentRecordsOf } from './records.ts';
import type { DashboardSource } from './source.ts';
import { replayActor } from './time-travel.ts';
import { consumerRow, type DashboardActor, type DashboardComponent, type DashboardConsumer, type DashboardDeadLetter } from './wire.ts';

/** What the page says where a worker's file holds what it would show. */
const inWorkerFile = (what: string, owner: string) => `Over NATS, ${what} ${owner}'s file, which this dashboard does not read`;

/**
 * The dashboard's view of a system over NATS, as `recq status --nats` and `recq events --nats`
 * see it: the log, head and leases from the supervisor, each consumer's state from the workers'
 * status replies, an actor's state from the worker that holds its lease (as `recq query --nats`).
 * An actor's history, its effects (its input records) and its time travel come from the log.
 * Each consumer's dead letters (its newest, see `fitLetters`) come from the worker that holds
 * its lease. Its buttons send operator commands to that worker, which applies them at once.
 * What only a worker's own file holds (pending timers) the page says it cannot show.
 */
export function natsSource(connection: NatsConnection, target: NatsTarget, components: readonly Component[] = []): DashboardSource {
  const access = new NatsLogAccess({ connection, namespace: target.namespace });
  const definitions = new Map(components.map((c) => [c.name, c]));
  const logEvent = logEventsOf(definitions);
  const read = (after: number, patterns: readonly string[], limit: number) => access.read({ after, limit, ...(patterns.length > 0 ? { patterns } : {}) });

  async function command(consumer: string, name: ConsumerCommandName, arg: number | undefined, what: string): Promise<string> {
    const { owner, command } = await commandOverNats(connection, target, consumer, name, arg, what);
    return `${command.outcome ?? `${owner} has queued: ${what}`}.`;
  }

  function letterCommand(name: 'retry' | 'skip', id: number, component: string | undefined): Promise<string> {
    if (component === undefined) {
      throw new DashboardRequestError(400, `Over NATS, dead letter ids are per worker file: name the letter's component to ${name} dead letter ${id}.`);
    }
    return command(component, name, id, `${name} dead letter ${id}`);
  }

  /** The dead letters of every consumer a worker holds, and what could not be listed, in words. */
  async function letters(consumers: readonly DashboardConsumer[]): Promise<{ letters: DashboardDeadLetter[]; missing: string[] }> {
    const pages = await Promise.all(
      consumers.map(async (c) => {
        if (c.leaseOwner === undefined) return { letters: [], missing: c.deadLetters > 0 ? `those of ${c.consumer} (no worker holds its lease)` : undefined };
        try {
          const page = await askWorker(connection, target.namespace, c.leaseOwner, { op: 'deadLetters', consumer: c.consumer });
          const shown = page.letters.map((l) => letterOf({ ...l, id: l.id ?? 0 }));
          return { letters: shown, missing: page.total > shown.length ? `the oldest ${page.total - shown.length} of ${c.consumer}` : undefined };
        } catch (error) {
          return { letters: [], missing: `those of ${c.consumer} (${error instanceof Error ? error.message : String(error)})` };
        }
      }),
    );
    return { letters: pages.flatMap((p) => p.letters), missing: pages.flatMap((p) => (p.missing === undefined ? [] : [p.missing])) };
  }

  return {
    async overview() {
      const status = await readClusterStatus(connection, target);
      const consumers = status.consumers.map((c): DashboardConsumer => {
        const report = status.workers.find((w) => w.owner === c.reportedBy)?.consumers.find((r) => r.consumer === c.consumer);
        const basics = {
          consumer: c.consumer,
          component: report?.component ?? c.consumer,
          hostState: c.hostState ?? 'no report',
          offset: c.offset ?? 0,
          lag: c.lag,
          storedActors: c.storedActors ?? 0,
          deadLetters: c.deadLetters ?? 0,
        };
        const lease = c.lease && !c.lease.expired ? c.lease : undefined;
        return consumerRow(basics, status.head, lease, { activeActors: c.activeActors, restarts: report?.restarts ?? null, lastError: report?.lastError });
      });
      const listed = await letters(consumers);
      return {
        source: `NATS ${target.url} · namespace ${target.namespace}`,
        writes: 'direct',
        head: status.head,
        supervisor: status.supervisor ?? undefined,
        consumers,
        deadLetters: listed.letters,
        ...(listed.missing.length === 0
          ? {}
          : {
              unavailable: {
                deadLetters: `Over NATS, these dead letters are not listed: ${listed.missing.join('; ')}. Retry or skip one by its component and id`,
              },
            }),
      };
    },
    async events(after, limit) {
      return (await access.read({ after, limit })).map(logEvent);
    },
    async components() {
      const status = await readClusterStatus(connection, target);
      const reported = status.workers.flatMap((w) => w.consumers);
      const names = [...new Set([...reported.map((c) => c.component), ...definitions.keys()])];
      return names.map(
        (component): DashboardComponent => ({
          component,
          keyed: definitions.get(component)?.keyed ?? reported.find((c) => c.component === component)?.keyed,
          chart: chartOf(definitions.get(component)?.logic),
        }),
      );
    },
    async actor(component, key): Promise<DashboardActor> {
      const owner = await leaseHolder(access, component);
      const view = await askWorker(connection, target.namespace, owner, { op: 'query', component, ...(key === undefined ? {} : { key }) });
      const definition = definitions.get(component);
      const { history, effects } = await recentRecordsOf(read, await access.head(), actorTopics(component, view.key, definition));
      return actorOf(component, view, { timers: [], history, effects, unavailable: { timers: inWorkerFile('pending timers are kept in', owner) } });
    },
    async replay(component, key) {
      return replayActor({ definition: definitions.get(component), component, consumer: component, key, read });
    },
    retry: (id, component) => letterCommand('retry', id, component),
    skip: (id, component) => letterCommand('skip', id, component),
    pause: (consumer) => command(consumer, 'pause', undefined, `pause consumer ${consumer}`),
    resume: (consumer) => command(consumer, 'resume', undefined, `resume consumer ${consumer}`),
    close() {
      connection.close().catch(() => {});
    },
  };
}
