import type { Envelope } from '../envelope.ts';
import { isInputTopic } from '../topic.ts';

/**
 * The events in `log` (in seq order) that `rootId` caused: those whose `causation` is the root's
 * id (what its processing emitted, and what timers it scheduled emitted when they fired), then
 * theirs, and so on down the chain. An emitted event always comes after its cause in the log,
 * so one pass in seq order finds the whole chain. Input records (a timer's firing, a child's
 * outcome) are left out: they are how the chain went on, not what it published.
 *
 * @example
 * const caused = causedBy(await readAll(system), published.id);
 * caused.map((e) => e.event.type); // ['accounts.withdrawn', 'audit.recorded']
 */
export function causedBy(log: readonly Envelope[], rootId: string): Envelope[] {
  const causes = new Set([rootId]);
  const caused: Envelope[] = [];
  for (const envelope of log) {
    if (envelope.causation === undefined || !causes.has(envelope.causation)) continue;
    causes.add(envelope.id);
    if (!isInputTopic(envelope.topic)) caused.push(envelope);
  }
  return caused;
}
