import type { Component } from '../component/component.ts';
import { readsAsIs } from '../component/logic-version.ts';
import type { ConsumerStore } from '../css/consumer-store.ts';
import { VersionMismatchError } from '../errors.ts';
import type { LogFields, Logger } from '../logging/logger.ts';

/**
 * Opens (or creates) the consumer's CSS record for `component` and adopts its version and
 * subscriptions; refuses snapshots of another version unless the component can migrate them.
 * Returns the offset the consumer restores at. A new consumer that starts at the head starts
 * at `watermark`, the seq its route was registered at.
 *
 * @example
 * const offset = openConsumerRecord(store, 'orders', component, registration.watermark);
 */
export function openConsumerRecord(store: ConsumerStore, consumer: string, component: Component, watermark: number): number {
  const record = store.open(consumer, component.name, component.version, component.patterns, component.startFrom === 'head' ? watermark : 0);
  if (!component.migrate) {
    // Snapshots of the old default (hash) versions read as 'auto'; any other version needs a migrate.
    const other = store.otherVersions(consumer, component.version).find((stored) => !readsAsIs(component.version, stored, component.logic));
    if (other !== undefined) throw new VersionMismatchError(component.name, undefined, other, component.version);
  }
  store.adopt(consumer, component.version, component.patterns);
  return record.offset;
}

/**
 * Says what a consumer restored from its CSS: its actors and offset, and the outcomes an earlier
 * version journaled in the CSS instead of recording them in the log (kept, no longer used).
 */
export function sayRestored(logger: Logger, store: ConsumerStore, fields: LogFields, offset: number, active: number): void {
  const consumer = fields.consumer as string;
  const stored = store.countSnapshots(consumer);
  logger.info(
    stored === 0
      ? `consumer ${consumer} starts at offset ${offset}, with no actors in the CSS`
      : `consumer ${consumer} restored ${stored} ${stored === 1 ? 'actor' : 'actors'} from the CSS (${active} in memory), at offset ${offset}`,
    { ...fields, offset, actors: stored, active },
  );
  const journaled = store.countJournalEntries(consumer);
  if (journaled === 0) return;
  logger.info(
    `consumer ${consumer} keeps ${journaled} outcomes journaled in its CSS by an earlier version, which did not record them in the log: its actors restored from their snapshots; a replay from before them runs without them`,
    { ...fields, journaled },
  );
}
