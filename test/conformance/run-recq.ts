import { join } from 'node:path';
import { SimulatedClock } from '../../src/clock.ts';
import { defineComponent, silentLogger } from '../../src/index.ts';
import { type TestSystem, testSystem } from '../../src/public/testing.ts';
import type { ConformanceCase, Outcome } from './conformance-case.ts';
import { settleTurns } from './settle-turns.ts';

/**
 * Runs a case in recq as a singleton component, stopping and restarting the system before every
 * step, so each event and each clock advance meets an actor restored from its snapshot.
 */
export async function runRecq(c: ConformanceCase, dir: string, file: string): Promise<Outcome> {
  const component = defineComponent({ name: 'conformance', logic: c.machine, subscribe: 'conformance.step', checkpoint: { maxDelayMs: 0 } });
  const t: TestSystem = await testSystem({ db: join(dir, file), clock: new SimulatedClock(0), components: [component], logger: silentLogger });
  try {
    await settleTurns(() => t.settled());
    for (const step of c.steps) {
      await t.restart();
      if ('advance' in step) await t.advance(step.advance);
      else await t.publish('conformance.step', step.send);
      await settleTurns(() => t.settled());
    }
    const { value, context, status } = await t.query('conformance');
    return { value, context, status };
  } finally {
    await t.close();
  }
}
