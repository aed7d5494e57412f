import type { Component } from '../component/component.ts';
import { readsAsIs } from '../component/logic-version.ts';
import type { ConsumerStore } from '../css/consumer-store.ts';
import { VersionMismatchError } from '../errors.ts';

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
