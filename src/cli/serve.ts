import { StoppedOnItsOwnError } from '../errors.ts';
import { explainConnectFailure, type NatsTarget } from '../operator/nats-target.ts';
import type { System } from '../system/system.ts';
import { holdSystem } from './hold-system.ts';
import { interruptOnSignal } from './interrupt.ts';

/**
 * Starts a system that meets its others on `target` and serves until SIGINT or SIGTERM, then
 * stops it cleanly and resolves 0. A second signal exits at once with 130 or 143. A system that
 * stops on its own (the supervisor lost its lease on the log) is a failure; so is a NATS server
 * that does not answer, reported with what to do.
 *
 * @example
 * return serveUntilSignal('supervisor', target, () => startSupervisor(options), () => 'supervisor serving ./sss.db');
 */
export async function serveUntilSignal(what: string, target: NatsTarget, start: () => Promise<System>, ready: (system: System) => string): Promise<number> {
  try {
    return await serve(what, start, ready);
  } catch (error) {
    throw explainConnectFailure(error, target);
  }
}

async function serve(what: string, start: () => Promise<System>, ready: (system: System) => string): Promise<number> {
  const interrupt = interruptOnSignal(what);
  try {
    return await holdSystem(start, async (system) => {
      if (interrupt.signal.aborted) return 0;
      const metrics = system.metrics?.url ? `; metrics on ${system.metrics.url}` : '';
      process.stderr.write(`recq: ${ready(system)}${metrics}; stop with Ctrl-C\n`);
      let stopWatching = () => {};
      const outcome = await new Promise<'signal' | 'stopped'>((resolve) => {
        interrupt.signal.addEventListener('abort', () => resolve('signal'), { once: true });
        stopWatching = whenStopped(system, () => resolve('stopped'));
      }).finally(() => stopWatching());
      if (outcome === 'stopped') throw new StoppedOnItsOwnError(what);
      return 0;
    });
  } finally {
    interrupt.release();
  }
}

/** Calls `onStopped` if the system stops without being asked; returns a function that stops watching. */
function whenStopped(system: System, onStopped: () => void): () => void {
  let watching = true;
  void system.stopped.then(() => {
    if (watching) onStopped();
  });
  return () => {
    watching = false;
  };
}
