import type { HostCommand, HostSignal, HostView, HostWork, Restored } from '../../actors/host.machine.ts';
import type { CommandQueue, ConsumerCommand } from '../css/commands.ts';
import type { ConsumerStore, DeadLetter } from '../css/consumer-store.ts';
import { LeaseHeldError } from '../errors.ts';
import type { Lease } from '../lease.ts';
import type { Logger } from '../logging/logger.ts';
import type { LogAccess } from '../sss/log-access.ts';

export interface ReplayBeforeRestoreOptions {
  consumer: string;
  patterns: readonly string[];
  owner: string;
  store: ConsumerStore;
  log: LogAccess;
  commands: CommandQueue;
  logger: Logger;
  fence: (lease: Lease) => (() => void) | undefined;
}

/** What a queued replay records once it reset the consumer. */
export const replayOutcome = (consumer: string, from: number): string =>
  `consumer ${consumer} replays from seq ${from}: its actors are forgotten and rebuilt from the log`;

/**
 * A host's work with one step in front of `restore`: a replay an operator queued for the
 * consumer resets it (snapshots forgotten, offset moved back) before any snapshot is read, so
 * a consumer whose snapshots no longer fit its machine can be rebuilt from the log instead of
 * failing on them. The reset is written under the consumer's lease, taken for it and given back.
 * Every other step is the host's own.
 */
export class ReplayBeforeRestore implements HostWork<DeadLetter> {
  readonly consumer: string;
  readonly #host: HostWork<DeadLetter>;
  readonly #o: ReplayBeforeRestoreOptions;

  constructor(host: HostWork<DeadLetter>, options: ReplayBeforeRestoreOptions) {
    this.#host = host;
    this.#o = options;
    this.consumer = host.consumer;
  }

  attach(send: (event: HostSignal | HostCommand<DeadLetter>) => void, view: () => HostView<DeadLetter>): void {
    this.#host.attach(send, view);
  }

  async restore(): Promise<Restored> {
    await this.#replayQueued();
    return this.#host.restore();
  }

  catchUp = () => this.#host.catchUp();
  processBatch = () => this.#host.processBatch();
  commit = () => this.#host.commit();
  replay = (from: number) => this.#host.replay(from);
  retryLetter = (letter: DeadLetter) => this.#host.retryLetter(letter);
  skipLetter = (letter: DeadLetter) => this.#host.skipLetter(letter);
  entered: HostWork['entered'] = (phase) => this.#host.entered(phase);
  hasInbox = () => this.#host.hasInbox();
  commitDue = () => this.#host.commitDue();
  isFencing = (error: unknown) => this.#host.isFencing(error);

  async shutDown(): Promise<void> {
    await this.#host.shutDown();
    try {
      this.#o.commands.stopReading(this.consumer);
    } catch {
      // The row expires on its own; the CLI then sees no reader.
    }
  }

  /** Applies the queued replays (the earliest `from` covers them all); an invalid one is refused and changes nothing. */
  async #replayQueued(): Promise<void> {
    const { consumer, commands } = this.#o;
    const replays = commands.pending(consumer).filter((c) => c.command === 'replay');
    if (replays.length === 0) return;
    const valid: { command: ConsumerCommand; from: number }[] = [];
    for (const command of replays) {
      const from = Number(command.arg);
      if (Number.isInteger(from) && from >= 1) valid.push({ command, from });
      else commands.complete(command.id, { error: `Cannot replay: --from must be a seq ≥ 1, got ${command.arg ?? 'nothing'}.` });
    }
    if (valid.length === 0) return;
    const from = Math.min(...valid.map((v) => v.from));
    let lease: Lease;
    try {
      ({ lease } = await this.#o.log.register(consumer, this.#o.patterns, this.#o.owner));
    } catch (error) {
      // Another owner runs the consumer: the replay is its to run; `restore` stands by.
      if (error instanceof LeaseHeldError) return;
      throw error;
    }
    try {
      this.#o.store.reset(consumer, from - 1, this.#o.fence(lease));
    } finally {
      await this.#o.log.unregister(lease).catch(() => {});
    }
    this.#o.logger.info(`consumer ${consumer} replays from seq ${from}, as an operator queued, before its actors are restored`, { consumer, seq: from });
    for (const { command } of valid) commands.complete(command.id, { outcome: replayOutcome(consumer, from) });
  }
}
