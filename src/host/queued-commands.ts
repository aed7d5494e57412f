import type { CommandQueue, CommandResult, ConsumerCommand } from '../css/commands.ts';
import type { ConsumerStore, DeadLetter } from '../css/consumer-store.ts';
import { InvalidCommandError, StorageError } from '../errors.ts';
import type { Logger } from '../logging/logger.ts';
import type { OperatorCommands } from './operator-commands.ts';
import { replayOutcome } from './queued-replay.ts';

/** What a consumer under operator command offers: the System API's controls, and where it stands. */
export interface CommandedConsumer {
  readonly consumer: string;
  /** Seq up to which events are applied. */
  readonly offset: number;
  /** The dead letter the consumer is blocked on, if any. */
  readonly blockedOn: DeadLetter | undefined;
  readonly commands: Pick<OperatorCommands, 'pause' | 'resume' | 'retryDeadLetter' | 'skipDeadLetter' | 'requestReplay'>;
}

/**
 * Runs the operator commands queued for a host's consumer (by the CLI, from another process)
 * through the same methods the System API uses, and records how each ended. Identical
 * commands queued more than once (two `dlq retry 3`) run once, and each records that ending.
 * It never throws: what SQLite could not do is tried again on the next heartbeat, and a
 * refused command is recorded with its error.
 */
export function runQueuedCommands(host: CommandedConsumer, commands: CommandQueue, store: ConsumerStore, logger: Logger): void {
  let queued: ConsumerCommand[];
  try {
    queued = commands.pending(host.consumer);
  } catch (error) {
    logger.warn(`consumer ${host.consumer} could not read its command queue; trying again on the next heartbeat`, { consumer: host.consumer, error });
    return;
  }
  const same = new Map<string, ConsumerCommand[]>();
  for (const command of queued) {
    const ask = `${command.command} ${command.arg ?? ''}`;
    const earlier = same.get(ask);
    if (earlier) earlier.push(command);
    else same.set(ask, [command]);
  }
  for (const [command, ...repeats] of same.values()) {
    if (command === undefined) continue;
    let result: CommandResult;
    try {
      const arg = Number(command.arg);
      switch (command.command) {
        case 'pause':
          host.commands.pause();
          result = { outcome: `consumer ${host.consumer} paused` };
          break;
        case 'resume':
          host.commands.resume();
          result = { outcome: `consumer ${host.consumer} resumed` };
          break;
        case 'replay':
          // A reset that fails fails the host, which its supervisor reports and restarts.
          host.commands.requestReplay(arg).catch(() => {});
          result = { outcome: replayOutcome(host.consumer, arg) };
          break;
        case 'retry':
        case 'skip': {
          const letter = Number.isInteger(arg) && arg > 0 ? store.deadLetter(arg) : undefined;
          if (!letter) throw new InvalidCommandError(`${command.command} a dead letter`, `there is no dead letter ${command.arg}`);
          // After a restart the host tries a blocking letter's event again before it can block
          // on it: the command waits until it does, or gets past it.
          if (letter.status === 'blocking' && host.blockedOn?.eventId !== letter.eventId && host.offset < letter.seq) continue;
          // A restarted consumer tries the letter it was blocked on by itself: that was the retry asked for.
          if (command.command === 'retry' && letter.status === 'retried') {
            result = { outcome: `dead letter ${arg} is retried: its event was applied when the consumer tried it again` };
            break;
          }
          if (command.command === 'retry') {
            host.commands.retryDeadLetter(letter);
            result = { outcome: `dead letter ${arg} is being retried; its outcome is recorded on the letter` };
          } else {
            host.commands.skipDeadLetter(letter);
            result = { outcome: `dead letter ${arg} skipped` };
          }
          break;
        }
        default:
          throw new InvalidCommandError(`run command ${command.id}`, `${JSON.stringify(command.command)} is not a consumer command`);
      }
    } catch (error) {
      const code = (error as { code?: unknown } | null)?.code;
      if (error instanceof StorageError || (typeof code === 'string' && code.startsWith('SQLITE_'))) {
        logger.warn(`consumer ${host.consumer} could not run command ${command.id} (${command.command}); trying again on the next heartbeat`, {
          consumer: host.consumer,
          command: command.id,
          error,
        });
        continue;
      }
      result = { error: error instanceof Error ? error.message : String(error) };
    }
    try {
      for (const done of [command, ...repeats]) commands.complete(done.id, result);
    } catch (error) {
      logger.warn(`consumer ${host.consumer} ran command ${command.id} (${command.command}) but could not record it`, {
        consumer: host.consumer,
        command: command.id,
        error,
      });
    }
  }
}
