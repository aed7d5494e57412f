import type { CommandQueue, ConsumerCommand } from '../css/commands.ts';
import type { ConsumerStore } from '../css/consumer-store.ts';
import type { Logger } from '../logging/logger.ts';

/** What a queued replay records once it reset the consumer. */
export const replayOutcome = (consumer: string, from: number): string =>
  `consumer ${consumer} replays from seq ${from}: its actors are forgotten and rebuilt from the log`;

/**
 * The replays an operator queued for `consumer` while it was down, checked: the seq the earliest
 * valid one starts from (it covers them all), and the commands it answers; an invalid one is
 * completed with its refusal and changes nothing. Undefined when none is queued.
 */
export function queuedReplay(commands: CommandQueue, consumer: string): { from: number; commands: ConsumerCommand[] } | undefined {
  const valid: { command: ConsumerCommand; from: number }[] = [];
  for (const command of commands.pending(consumer)) {
    if (command.command !== 'replay') continue;
    const from = Number(command.arg);
    if (Number.isInteger(from) && from >= 1) valid.push({ command, from });
    else commands.complete(command.id, { error: `Cannot replay: --from must be a seq ≥ 1, got ${command.arg ?? 'nothing'}.` });
  }
  if (valid.length === 0) return undefined;
  return { from: Math.min(...valid.map((v) => v.from)), commands: valid.map((v) => v.command) };
}

/**
 * Resets `consumer` for the replays an operator queued while it was down (snapshots forgotten,
 * offset moved back to the earliest one's `from - 1`), before any snapshot is read: a consumer
 * whose snapshots no longer fit its machine is rebuilt from the log instead of failing on them.
 * The reset is written under the consumer's lease (`fence`); each queued replay records the outcome.
 */
export function applyQueuedReplay(o: { commands: CommandQueue; store: ConsumerStore; logger: Logger; consumer: string; fence: () => void }): void {
  const queued = queuedReplay(o.commands, o.consumer);
  if (!queued) return;
  o.store.reset(o.consumer, queued.from - 1, o.fence);
  o.logger.info(`consumer ${o.consumer} replays from seq ${queued.from}, as an operator queued, before its actors are restored`, {
    consumer: o.consumer,
    seq: queued.from,
  });
  for (const command of queued.commands) o.commands.complete(command.id, { outcome: replayOutcome(o.consumer, queued.from) });
}
