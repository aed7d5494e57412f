import { createActor } from 'xstate';
import { SimulatedClock } from '../../src/clock.ts';
import type { ConformanceCase, Outcome } from './conformance-case.ts';
import { settleTurns } from './settle-turns.ts';

/** Runs a case in plain in-memory XState on a simulated clock, as XState's own tests do. */
export async function runPlain(c: ConformanceCase): Promise<Outcome> {
  const clock = new SimulatedClock(0);
  const errors: unknown[] = [];
  const actor = createActor(c.machine, { clock, input: { key: undefined } });
  actor.subscribe({ error: (error) => errors.push(error) });
  actor.start();
  await settleTurns();
  for (const step of c.steps) {
    if ('advance' in step) clock.advance(step.advance);
    else actor.send(step.send);
    await settleTurns();
  }
  const { value, context, status } = actor.getSnapshot();
  actor.stop();
  return { value, context: JSON.parse(JSON.stringify(context ?? null)), status };
}
