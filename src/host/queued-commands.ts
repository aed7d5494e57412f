import type { CommandQueue, CommandResult, ConsumerCommand } from '../css/commands.ts';
import type { ConsumerStore, DeadLetter } from '../css/consumer-store.ts';
import { InvalidCommandError, StorageError } from '../errors.ts';
import type { Logger } from '../logger.ts';

/** What a consumer under operator command offers: the System API's controls, and where it stands. */
export interface CommandedConsumer {
  readonly consumer: string;
  /** Seq up to which events are applied. */
  readonly offset: number;
  /** The dead letter the consumer is blocked on, if any. */
  readonly blockedOn: DeadLetter | undefined;
  pause(): void;
  resume(): void;
  retryDeadLetter(letter: DeadLetter): void;
  skipDeadLetter(letter: DeadLetter): void;
  requestReplay(from: number): Promise<void>;
}

/**
 * Runs the operator commands queued for a host's consumer (by the CLI, from another process)
 * through the same methods the System API uses, and records how each ended. It never throws:
 * what SQLite could not do is tried again on the next heartbeat, and a refused command is
 * recorded with its error.
 */
export function runQueuedCommands(host: CommandedConsumer, commands: CommandQueue, store: ConsumerStore, logger: Logger): void {
  let queued: ConsumerCommand[];
  try {
    queued = commands.pending(host.consumer);
  } catch (error) {
    logger.warn(`consumer ${host.consumer} could not read its command queue; trying again on the next heartbeat`, { error });
    return;
  }
  for (const command of queued) {
    let result: CommandResult;
    try {
      const arg = Number(command.arg);
      switch (command.command) {
        case 'pause':
          host.pause();
          result = { outcome: `consumer ${host.consumer} paused` };
          break;
        case 'resume':
          host.resume();
          result = { outcome: `consumer ${host.consumer} resumed` };
          break;
        case 'replay':
          // A reset that fails fails the host, which its supervisor reports and restarts.
          host.requestReplay(arg).catch(() => {});
          result = { outcome: `consumer ${host.consumer} replays from seq ${arg}: its actors are forgotten and rebuilt from the log` };
          break;
        case 'retry':
        case 'skip': {
          const letter = Number.isInteger(arg) && arg > 0 ? store.deadLetter(arg) : undefined;
          if (!letter) throw new InvalidCommandError(`${command.command} a dead letter`, `there is no dead letter ${command.arg}`);
          // After a restart the host tries a blocking letter's event again before it can block
          // on it: the command waits until it does, or gets past it.
          if (letter.status === 'blocking' && host.blockedOn?.eventId !== letter.eventId && host.offset < letter.seq) continue;
          if (command.command === 'retry') {
            host.retryDeadLetter(letter);
            result = { outcome: `dead letter ${arg} is being retried; its outcome is recorded on the letter` };
          } else {
            host.skipDeadLetter(letter);
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
        logger.warn(`consumer ${host.consumer} could not run command ${command.id} (${command.command}); trying again on the next heartbeat`, { error });
        continue;
      }
      result = { error: error instanceof Error ? error.message : String(error) };
    }
    try {
      commands.complete(command.id, result);
    } catch (error) {
      logger.warn(`consumer ${host.consumer} ran command ${command.id} (${command.command}) but could not record it`, { error });
    }
  }
}
