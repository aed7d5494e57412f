import type { HostRecord } from '../../actors/runner.machine.ts';
import type { Clock } from '../clock.ts';
import type { CommandQueue } from '../css/commands.ts';
import type { Logger } from '../logging/logger.ts';

export interface RevivalOptions {
  commands: CommandQueue;
  clock: Clock;
  logger: Logger;
  /** How often to look: a heartbeat's worth (a third of the lease TTL). */
  everyMs: number;
  /** The runner's host records, or undefined once it stopped. */
  hosts: () => Record<string, HostRecord> | undefined;
  revive: (consumer: string) => void;
}

/**
 * A host given up on takes no commands itself. Every heartbeat's worth of time this reads the
 * queue of each failed consumer (so the CLI sees that a process takes its commands), and a
 * replay found there starts the host again, the replay first.
 *
 * @example
 * const revival = new FailedHostRevival({ commands, clock, logger, everyMs: 5000, hosts, revive }).start();
 * revival.stop();
 */
export class FailedHostRevival {
  readonly #o: RevivalOptions;
  #timer: unknown;
  #stopped = false;

  constructor(options: RevivalOptions) {
    this.#o = options;
  }

  start(): this {
    this.#schedule();
    return this;
  }

  stop(): void {
    this.#stopped = true;
    this.#o.clock.clearTimeout(this.#timer);
  }

  #schedule(): void {
    if (this.#stopped) return;
    this.#timer = this.#o.clock.setTimeout(() => {
      const hosts = this.#o.hosts();
      if (!hosts) return;
      for (const [consumer, record] of Object.entries(hosts)) {
        if (record.status !== 'failed') continue;
        try {
          if (this.#o.commands.pending(consumer).some((c) => c.command === 'replay')) this.#o.revive(consumer);
        } catch (error) {
          this.#o.logger.warn(`could not read the command queue of failed consumer ${consumer}; trying again`, { consumer, error });
        }
      }
      this.#schedule();
    }, this.#o.everyMs);
  }
}
