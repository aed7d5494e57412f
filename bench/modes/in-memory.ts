import { type Actor, createActor } from 'xstate';
import { type AddEvent, counterMachine, eventAt, keyAt, totalsMatch, type Workload } from '../workloads.ts';
import type { Mode } from './mode.ts';

/**
 * The baseline is repeated within its pass until it has run this long: one pass of W1 takes
 * ~0.2 s, short enough that a neighbour's burst on a shared machine swings its figure more
 * than recq's.
 */
export const BASELINE_MIN_SECONDS = 1;

/** Plain XState actors, no persistence: the ceiling recq is measured against. */
export const inMemoryMode: Mode = {
  name: 'in-memory',
  baseline: true,
  async run(workload) {
    const events: AddEvent[] = [];
    const keys: (string | undefined)[] = [];
    for (let i = 0; i < workload.events; i++) {
      events.push(eventAt(i));
      keys.push(keyAt(workload, i));
    }
    let rounds = 0;
    let seconds = 0;
    let verified = true;
    // Every round starts from fresh actors, so each one does exactly the work recq does once.
    while (rounds === 0 || seconds < BASELINE_MIN_SECONDS) {
      const round = await runOnce(workload, events, keys);
      rounds++;
      seconds += round.seconds;
      verified &&= round.verified;
    }
    return [{ mode: 'in-memory', events: workload.events * rounds, seconds, verified, durability: 'none', endToEnd: true, rounds }];
  },
};

async function runOnce(
  workload: Workload,
  events: readonly AddEvent[],
  keys: readonly (string | undefined)[],
): Promise<{ seconds: number; verified: boolean }> {
  const actors = new Map<string, Actor<typeof counterMachine>>();
  const started = performance.now();
  for (let i = 0; i < events.length; i++) {
    const key = keys[i] ?? '';
    let actor = actors.get(key);
    if (!actor) {
      actor = createActor(counterMachine).start();
      actors.set(key, actor);
    }
    actor.send(events[i] as AddEvent);
  }
  const seconds = (performance.now() - started) / 1000;
  const verified = await totalsMatch(workload, (key) => actors.get(key ?? '')?.getSnapshot().context);
  for (const actor of actors.values()) actor.stop();
  return { seconds, verified };
}
