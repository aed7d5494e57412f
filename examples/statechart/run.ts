import { type Actor, createActor } from 'xstate';
import { createSystem, defineComponent, type Logger, SimulatedClock, type System } from '../../src/index.ts';
import { documentMachine } from './document.machine.ts';
import { type Scenario, scenarios } from './scenarios.ts';

/** One document per key; a checkpoint after every batch, since the demo's clock only moves when told. */
export const documents = defineComponent({
  name: 'documents',
  logic: documentMachine,
  subscribe: 'documents.commands',
  key: true,
  checkpoint: { maxDelayMs: 0 },
});

/** How the system goes down between two steps: a clean stop, a crash (`halt`), or not at all. */
export type Restart = 'stop' | 'crash' | 'none';

export interface ScenarioResult {
  document: string;
  story: string;
  /** The state value, as plain XState has it after the same steps. */
  expected: unknown;
  actual: unknown;
  matches: boolean;
}

export interface Run {
  results: ScenarioResult[];
  restarts: number;
  /** `document.published` events in the log, and as many as plain XState emitted. */
  published: { log: number; expected: number };
}

/**
 * Replays every scenario on recq, restarting the system between every two steps, and on plain
 * in-memory XState actors, then compares each document's state value and context. Time is a
 * `SimulatedClock` shared by both, so the 48 h deadlines and 30 day archive take no real time.
 *
 * @example
 * const run = await runScenarios({ db: './documents.db', restart: 'crash' });
 * run.results.every((r) => r.matches); // true
 */
export async function runScenarios(options: { db: string; restart: Restart; logger?: Logger }): Promise<Run> {
  const clock = new SimulatedClock(Date.UTC(2026, 0, 5, 9));
  // One owner across restarts: a crashed system's leases are this process's own to take back.
  const start = () =>
    createSystem({
      db: options.db,
      components: [documents],
      clock,
      owner: 'statechart-demo',
      // Leases renew every third of their time-to-live, and this clock jumps by days: a day-long
      // lease keeps that to a few renewals (the default 15 s would mean tens of thousands).
      leaseTtlMs: 24 * 60 * 60 * 1000,
      ...(options.logger ? { logger: options.logger } : {}),
    });
  const reference = new Map<string, Actor<typeof documentMachine>>();
  let expectedPublished = 0;
  for (const { document } of scenarios) {
    const actor = createActor(documentMachine, { input: { key: document }, clock });
    actor.on('document.published', () => expectedPublished++);
    reference.set(document, actor.start());
  }

  let system: System = await start();
  let restarts = 0;
  try {
    const steps = scenarios.flatMap((scenario) => scenario.steps.map((step, n) => ({ scenario, step, n })));
    for (const [i, { scenario, step, n }] of steps.entries()) {
      await apply(system, reference, scenario, step, n, clock);
      if (options.restart === 'none' || i === steps.length - 1) continue;
      if (options.restart === 'crash') await system.halt();
      else await system.stop();
      system = await start();
      restarts++;
    }
    const results: ScenarioResult[] = [];
    for (const scenario of scenarios) {
      const expected = (reference.get(scenario.document) as Actor<typeof documentMachine>).getSnapshot();
      const actual = await system.component(documents).query(scenario.document);
      const matches = JSON.stringify([actual.value, actual.context]) === JSON.stringify([expected.value, expected.context]);
      results.push({ document: scenario.document, story: scenario.story, expected: expected.value, actual: actual.value, matches });
    }
    const log = (await system.events({ patterns: ['document.published'], limit: 10_000 })).length;
    return { results, restarts, published: { log, expected: expectedPublished } };
  } finally {
    await system.stop();
    for (const actor of reference.values()) actor.stop();
  }
}

async function apply(
  system: System,
  reference: Map<string, Actor<typeof documentMachine>>,
  scenario: Scenario,
  step: Scenario['steps'][number],
  n: number,
  clock: SimulatedClock,
) {
  if ('event' in step) {
    // Fixed ids: a step published again after a crash is stored once.
    await system.component(documents).publish('documents.commands', step.event, { key: scenario.document, id: `${scenario.document}/${n}` });
    reference.get(scenario.document)?.send(step.event);
  } else {
    clock.advance(step.advanceMs);
  }
  await system.settled();
}
