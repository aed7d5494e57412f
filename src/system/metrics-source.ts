import { countStoredTimers } from '../css/tables/snapshots.ts';
import type { MetricsSource } from '../metrics/state-gauges.ts';
import type { RouteState } from '../sss/log-access.ts';
import { inputTopicOf } from '../topic.ts';
import type { Deployment } from './deployments/deployment.ts';
import type { ResolvedOptions } from './system-options.ts';
import type { SystemStatus } from './system-status.ts';

/** What a system answers about itself, as the gauges read it. */
export interface SystemReadings {
  status(): Promise<SystemStatus>;
  routes(): Promise<RouteState>;
}

/** The gauges' source for a system on `deployment`: its status and routes, its log, and its file's timers and outbox. */
export function metricsSourceOf(system: SystemReadings, deployment: Deployment, o: ResolvedOptions): MetricsSource {
  const patterns = new Map(o.components.map((component) => [component.name, [...component.patterns, inputTopicOf(component.name)]]));
  return {
    owner: o.owner,
    now: () => o.clock.now(),
    status: () => system.status(),
    routes: () => system.routes(),
    async firstAfter(consumer, offset) {
      const [first] = await deployment.apiLog.read({ after: offset, patterns: patterns.get(consumer) ?? [], limit: 1 });
      return first;
    },
    // A supervisor's file holds no consumer stores.
    timersPending: () => (o.components.length > 0 && deployment.commits ? countStoredTimers(deployment.db) : new Map()),
    outboxPending: (consumer) => deployment.commits?.pending?.(consumer),
  };
}
