import type { HostCommand, HostView } from '../../actors/host.work.ts';
import type { ConsumerStore, DeadLetter } from '../css/consumer-store.ts';
import { InvalidCommandError } from '../errors.ts';
import type { DeadLetterBook } from './dead-letter-book.ts';
import type { InboxItem } from './inbox.ts';
import type { ConsumerPosition } from './position.ts';

/** How operator commands reach the host machine, and what they read back of the state it holds. */
export interface MachineLink {
  command(event: HostCommand<DeadLetter>): void;
  view(): HostView<DeadLetter>;
}

export interface OperatorCommandsOptions {
  consumer: string;
  store: ConsumerStore;
  position: ConsumerPosition;
  letters: DeadLetterBook;
  machine: MachineLink;
  /** Queues work for the next batch and wakes the machine. */
  push: (item: InboxItem) => void;
  requestCommit: () => void;
}

/**
 * An operator's controls of one consumer: pause and resume, retry and skip of dead letters, and
 * replay. Each is checked here, then told to the host machine as an event: the machine decides
 * when it takes effect, and holds the state it leads to.
 */
export class OperatorCommands {
  readonly #o: OperatorCommandsOptions;

  constructor(options: OperatorCommandsOptions) {
    this.#o = options;
  }

  pause(): void {
    this.#o.store.setPaused(this.#o.consumer, true);
    this.#o.machine.command({ type: 'pause' });
  }

  resume(): void {
    const { store, consumer, position, machine } = this.#o;
    store.setPaused(consumer, false);
    // Deliveries were dropped while paused: what was routed meanwhile is read from the log.
    position.inbox.push({ kind: 'sync', prev: position.routedThrough });
    machine.command({ type: 'resume' });
  }

  retryDeadLetter(letter: DeadLetter): void {
    this.#assertOwnLetter('retry a dead letter', letter);
    const blockedOn = this.#o.machine.view().blockedOn;
    if (blockedOn?.eventId === letter.eventId) {
      this.#o.machine.command({ type: 'deadLetter.retry', letter: { ...blockedOn, id: letter.id } });
      return;
    }
    if (letter.status !== 'parked') throw new InvalidCommandError('retry a dead letter', `dead letter ${letter.id} is ${letter.status}, not parked`);
    if (letter.id === undefined) throw new InvalidCommandError('retry a dead letter', 'it has no id yet');
    this.#o.push({ kind: 'dead-letter', id: letter.id });
  }

  skipDeadLetter(letter: DeadLetter): void {
    this.#assertOwnLetter('skip a dead letter', letter);
    if (letter.status !== 'parked' && letter.status !== 'blocking') {
      throw new InvalidCommandError('skip a dead letter', `dead letter ${letter.id} is ${letter.status}; only parked or blocking letters can be skipped`);
    }
    if (this.#o.machine.view().blockedOn?.eventId === letter.eventId) {
      this.#o.machine.command({ type: 'deadLetter.skip', letter });
      return;
    }
    this.#o.letters.skipped(letter);
    this.#o.requestCommit();
  }

  requestReplay(from: number): Promise<void> {
    if (!Number.isInteger(from) || from < 1) throw new InvalidCommandError('replay', `--from must be a seq ≥ 1, got ${String(from)}`);
    if (this.#o.machine.view().replaying) throw new InvalidCommandError('replay', `consumer ${this.#o.consumer} is already being replayed`);
    return new Promise((resolve, reject) => {
      this.#o.machine.command({ type: 'replay', from, settle: (error) => (error === undefined ? resolve() : reject(error)) });
    });
  }

  #assertOwnLetter(command: string, letter: DeadLetter): void {
    const { consumer } = this.#o;
    if (letter.consumer !== consumer) throw new InvalidCommandError(command, `dead letter ${letter.id} belongs to ${letter.consumer}, not ${consumer}`);
  }
}
