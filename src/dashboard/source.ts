import type { Envelope } from '../envelope.ts';
import type { DashboardActor, DashboardComponent, DashboardEvent, DashboardOverview, DashboardReplay } from './wire.ts';

/**
 * Where the dashboard reads and what its buttons change: a running system in this process
 * (`systemSource`), a database file another process may be running (`fileSource`), or a system
 * over NATS (`natsSource`). Writes
 * refuse a bad request with the same typed errors the CLI and the System API give, changing nothing.
 */
export interface DashboardSource {
  /** Consumers, dead letters and the head; `samples` is filled in by the feed. */
  overview(): Promise<Omit<DashboardOverview, 'samples'>>;
  /** Up to `limit` events after `after`, in seq order. */
  events(after: number, limit: number): Promise<DashboardEvent[]>;
  components(): Promise<DashboardComponent[]>;
  /** One actor's state, timers and history; `UnknownComponentError` or `UnknownKeyError` if there is none. */
  actor(component: string, key: string | undefined): Promise<DashboardActor>;
  /** The actor's history replayed through its machine in memory, step by step (see `replayActor`). */
  replay(component: string, key: string | undefined): Promise<DashboardReplay>;
  /** Each resolves with what was done, in words. */
  /** `component` names the letter's consumer where ids are per worker file (over NATS). */
  retry(id: number, component?: string): Promise<string>;
  skip(id: number, component?: string): Promise<string>;
  pause(component: string): Promise<string>;
  resume(component: string): Promise<string>;
  close(): void;
}

/** How many recent events of the log an actor's history looks through. */
export const HISTORY_WINDOW = 20_000;
/** How many of its events an actor's history keeps, the most recent ones. */
export const HISTORY_LIMIT = 200;

/** Up to `limit` events after `after` on `patterns` (all topics when empty), in seq order; fewer than `limit` once the log is exhausted. */
export type LogReader = (after: number, patterns: readonly string[], limit: number) => Promise<Envelope[]>;
