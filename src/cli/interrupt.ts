import { InterruptedError } from '../errors.ts';

/** A process ended by SIGINT or SIGTERM exits with 128 plus the signal's number. */
const SIGNAL_EXIT: Record<string, number> = { SIGINT: 130, SIGTERM: 143 };

/** SIGINT and SIGTERM as a process that runs a system hears them, until `release`. */
export interface Interrupt {
  /** Aborted, with an `InterruptedError`, at the first SIGINT or SIGTERM. */
  readonly signal: AbortSignal;
  /** The exit code of the signal received: 130 for SIGINT, 143 for SIGTERM. */
  exitCode(): number;
  /** Stops listening, and lets Node exit once nothing else holds it. */
  release(): void;
}

/**
 * Listens for SIGINT and SIGTERM while `what` (`system`, `worker`, ...) runs: the first aborts
 * `signal`, so the caller can stop it cleanly; a second exits at once with 130 or 143. Keeps
 * Node running meanwhile: signal handlers do not, and the system's own timers are unref'd.
 *
 * @example
 * const interrupt = interruptOnSignal('system');
 * try {
 *   await main(system, { signal: interrupt.signal });
 * } finally {
 *   interrupt.release();
 * }
 */
export function interruptOnSignal(what: string): Interrupt {
  const interrupt = new AbortController();
  let received: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (received !== undefined) {
      process.stderr.write(`recq: ${signal} again; exiting without waiting for the ${what} to stop\n`);
      process.exit(SIGNAL_EXIT[signal] ?? 1);
    }
    received = signal;
    interrupt.abort(new InterruptedError(signal));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const keepAlive = setInterval(() => {}, 2 ** 30);
  return {
    signal: interrupt.signal,
    exitCode: () => SIGNAL_EXIT[received ?? 'SIGINT'] ?? 1,
    release() {
      clearInterval(keepAlive);
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}
