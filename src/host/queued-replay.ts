import type { CommandQueue, ConsumerCommand } from '../css/commands.ts';

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
