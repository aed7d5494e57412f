import { expect } from 'vitest';
import type { System } from '../../src/index.ts';

/**
 * What `settled()` promises: every consumer has applied and checkpointed everything routed to
 * it (lost deliveries included), and is live.
 */
export async function checkSettled(system: System): Promise<void> {
  const { head, routes } = await system.routes();
  const status = await system.status();
  for (const consumer of status.consumers) {
    expect(consumer, `${consumer.consumer} after settled(), with routes ${JSON.stringify(routes)} and head ${head}`).toMatchObject({
      hostState: 'live',
      offset: consumer.committedOffset,
    });
    expect(consumer.committedOffset, `${consumer.consumer} after settled(), routed through ${routes[consumer.consumer]}`).toBeGreaterThanOrEqual(
      routes[consumer.consumer] ?? 0,
    );
  }
}
