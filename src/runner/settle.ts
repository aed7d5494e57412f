import type { HostRecord } from '../../actors/runner.machine.ts';
import { ConsumerUnavailableError, SystemStoppedError } from '../errors.ts';
import type { ComponentHost } from '../host/component-host.ts';
import type { LogAccess } from '../sss/log-access.ts';

/** What waiting for a runner's consumers to settle looks at. */
export interface SettleInput {
  isStopped: () => boolean;
  /** Commits appends waiting in the log's group commit (embedded), so the routes include them. */
  flushLog?: () => void;
  log: LogAccess;
  /** The runner machine's record of each host. */
  records: () => Record<string, HostRecord>;
  hosts: ReadonlyMap<string, ComponentHost>;
  /** Resolves at the next progress of any host (a batch, a checkpoint), or soon anyway. */
  progress: () => Promise<void>;
}

/**
 * Resolves when every event routed to the consumers has been applied and checkpointed, and
 * what they emitted has reached the log. Rejects with `ConsumerUnavailableError` if a consumer
 * is down, blocked or paused, and with `SystemStoppedError` once the system stops.
 */
export async function settle(input: SettleInput): Promise<void> {
  for (;;) {
    // A turn of the event loop each time round: hosts progress in microtasks, and waiting on them
    // alone would hold back every timer (durable timers, leases) and all I/O until settled.
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (input.isStopped()) throw new SystemStoppedError('wait for the system to settle');
    input.flushLog?.();
    const before = await input.log.routes();
    const { routes } = before;
    let quiet = true;
    for (const [consumer, record] of Object.entries(input.records())) {
      if (record.status === 'failed' || record.status === 'fenced') {
        throw new ConsumerUnavailableError(consumer, { reason: 'down', status: record.status, error: record.lastError });
      }
      if (record.status === 'standby') continue;
      const host = input.hosts.get(consumer);
      if (host?.blockedOn) throw new ConsumerUnavailableError(consumer, { reason: 'blocked', seq: host.blockedOn.seq, error: host.blockedOn.error });
      if (host?.isPaused()) throw new ConsumerUnavailableError(consumer, { reason: 'paused' });
      const lastRouted = routes[consumer];
      if (!host || lastRouted === undefined || !host.isSettled(lastRouted)) {
        quiet = false;
        if (lastRouted !== undefined) host?.sync(lastRouted);
        host?.requestCommit();
      }
    }
    if (quiet) {
      // The routes were read before the hosts were looked at; a commit in between (an
      // emitted event, whose delivery may be lost) must be seen before calling it settled.
      const after = await input.log.routes();
      if (after.head === before.head && sameRoutes(after.routes, routes)) return;
      continue;
    }
    await input.progress();
  }
}

function sameRoutes(a: Record<string, number>, b: Record<string, number>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((key) => a[key] === b[key]);
}
