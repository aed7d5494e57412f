import type { Envelope } from '../envelope.ts';

/**
 * The events in `log` (in seq order) that `rootId` caused: those whose `causation` is the root's
 * id (what its processing emitted, and what timers it scheduled emitted when they fired), then
 * theirs, and so on down the chain. An emitted event always comes after its cause in the log,
 * so one pass in seq order finds the whole chain.
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
    caused.push(envelope);
    causes.add(envelope.id);
  }
  return caused;
}
