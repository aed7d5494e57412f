import { type Actor, createActor } from 'xstate';
import { type AddEvent, counterMachine, eventAt, keyAt, totalsMatch } from '../workloads.ts';
import type { Mode } from './mode.ts';

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
    return [{ mode: 'in-memory', events: workload.events, seconds, verified, durability: 'none', endToEnd: true }];
  },
};
