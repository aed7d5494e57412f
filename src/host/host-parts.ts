import type { CellOwner } from '../actor/actor-cell.ts';
import { ActorTable } from '../actor/actor-table.ts';
import type { LeaseExpiredError, StaleEpochError } from '../errors.ts';
import { inputTopicOf } from '../topic.ts';
import { Checkpoint } from './checkpoint.ts';
import { ConsumerLease } from './consumer-lease.ts';
import { DeadLetterBook } from './dead-letter-book.ts';
import { EventApplier } from './event-applier.ts';
import { FailureTracker } from './failures.ts';
import type { HostOptions } from './host-options.ts';
import type { InboxItem } from './inbox.ts';
import { InputRecorder } from './input-recorder.ts';
import { type MachineLink, OperatorCommands } from './operator-commands.ts';
import { PassivationSweep } from './passivation-sweep.ts';
import { ConsumerPosition } from './position.ts';
import type { Relay } from './relay.ts';

/** The parts one `ComponentHost` is assembled from, one concept each. */
export interface HostParts {
  actors: ActorTable;
  failures: FailureTracker;
  letters: DeadLetterBook;
  lease: ConsumerLease;
  position: ConsumerPosition;
  checkpoint: Checkpoint;
  sweep: PassivationSweep;
  applier: EventApplier;
  commands: OperatorCommands;
  recorder: InputRecorder;
}

/** What the parts ask of the host that holds them. */
export interface PartsHolder {
  /** Hears from the actor cells (changes outside processing, due timers). */
  cells: CellOwner;
  /** The lease was renewed; the route has reached `lastRouted`. */
  renewed: (lastRouted: number) => void;
  /** Another owner holds the consumer now, or may (found by a renewal, a commit, or the lease's watchdog). */
  fenced: (error: StaleEpochError | LeaseExpiredError) => void;
  /** A checkpoint is due: the machine commits after the step under way. */
  commitDue: () => void;
  /** Queues work for the next batch and wakes the machine. */
  push: (item: InboxItem) => void;
  machine: MachineLink;
}

/** Builds and wires the parts of a host for `options`. */
export function assembleHost(options: HostOptions, relay: Relay | undefined, holder: PartsHolder): HostParts {
  const { component, consumer, store, log, clock, logger } = options;
  const actors = new ActorTable(component, consumer, store, clock, holder.cells, logger);
  const failures = new FailureTracker(options.retry, options.random, options.probe);
  const letters = new DeadLetterBook(options.probe);
  const lease = new ConsumerLease({
    consumer,
    patterns: component.patterns,
    owner: options.owner,
    log,
    clock,
    logger,
    leaseTtlMs: options.leaseTtlMs,
    onRenewed: holder.renewed,
    onLost: holder.fenced,
    watchdog: options.commits.leaseWatchdog === true,
    previous: options.previousLease,
  });
  // A gap holds the consumer's own input records as well as the events it subscribes to.
  const reads = [...component.patterns, inputTopicOf(consumer)];
  const position = new ConsumerPosition({ log, patterns: reads, pageSize: options.readPageSize }, () => checkpoint.changed(false));
  const checkpoint: Checkpoint = new Checkpoint({
    consumer,
    store,
    lease,
    actors,
    letters,
    position,
    clock,
    policy: options.checkpoint,
    commits: options.commits,
    relay,
    onDue: holder.commitDue,
    onFenced: holder.fenced,
    onCommitted: options.onProgress,
    ...(options.probe ? { probe: options.probe } : {}),
  });
  const sweep = new PassivationSweep(actors, clock, options.passivateAfterMs, component.keyed);
  const applier = new EventApplier({ component, consumer, store, log, clock, logger, actors, failures, letters, position, checkpoint, sweep });
  const commands = new OperatorCommands({
    consumer,
    store,
    position,
    letters,
    machine: holder.machine,
    push: holder.push,
    requestCommit: () => checkpoint.request(),
  });
  const recorder = new InputRecorder({
    consumer,
    log,
    clock,
    logger,
    maxPayloadBytes: options.maxPayloadBytes,
    lease: () => lease.current,
    onFenced: holder.fenced,
    onDrained: options.onProgress,
  });
  return { actors, failures, letters, lease, position, checkpoint, sweep, applier, commands, recorder };
}
