import { StoppedOnItsOwnError } from '../errors.ts';
import { explainConnectFailure, type NatsTarget } from '../operator/nats-target.ts';
import type { System } from '../system/system.ts';
import { showCatchUp } from './catch-up.ts';
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
  let system: System | undefined;
  let stopWatching = () => {};
  let stopShowing = () => {};
  try {
    system = await start();
    if (!interrupt.signal.aborted) {
      const running = system;
      const metrics = running.metrics?.url ? `; metrics on ${running.metrics.url}` : '';
      process.stderr.write(`recq: ${ready(running)}${metrics}; stop with Ctrl-C\n`);
      stopShowing = showCatchUp(running);
      const outcome = await new Promise<'signal' | 'stopped'>((resolve) => {
        interrupt.signal.addEventListener('abort', () => resolve('signal'), { once: true });
        stopWatching = whenStopped(running, () => resolve('stopped'));
      });
      stopShowing();
      if (outcome === 'stopped') throw new StoppedOnItsOwnError(what);
    }
    await system.stop();
    return 0;
  } catch (error) {
    stopShowing();
    await system?.stop().catch(() => {});
    throw error;
  } finally {
    stopWatching();
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
