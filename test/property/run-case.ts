import { expect } from 'vitest';
import {
  type AppendInput,
  type AppendResult,
  type Component,
  createSystem,
  InvalidEnvelopeError,
  InvalidEventError,
  InvalidTopicError,
  LeaseHeldError,
  type Logger,
  PayloadTooLargeError,
  SimulatedClock,
  type StoredEvent,
  type System,
  type SystemOptions,
  SystemStoppedError,
} from '../../src/index.ts';
import { readTables } from '../support/tables.ts';
import { type BadInput, type Case, type Checkpoint, KEYS, MAX_CRASHES, type PlannedEvent } from './case.ts';
import { components, type Failure, FailurePlan, NOISE_TOPIC, PRODUCER_TOPIC } from './fixtures.ts';

type Input = AppendInput<StoredEvent>;

const LEASE_TTL_MS = 15_000;
const MAX_PAYLOAD_BYTES = 2048;
/** A deadline for `settled()`, so a consumer that never settles fails the case instead of hanging it. */
const SETTLE_DEADLINE_MS = 20_000;

export const eventId = (n: number): string => `e-${n}`;

/** What the run saw, for the checks after recovery. */
export interface Observed {
  plan: FailurePlan;
  events: PlannedEvent[];
  /** Seq each acknowledged id was given. */
  acked: Map<string, number>;
  /** Ids that only ever appeared in refused publishes. */
  refused: Set<string>;
  crashes: number;
  /** Error-level log lines of every system of the run. */
  errors: string[];
}

interface LeaseRow {
  resource: string;
  owner: string;
  epoch: number;
}

const badExpectations: Record<BadInput, new (...args: never[]) => Error> = {
  topic: InvalidTopicError,
  event: InvalidEventError,
  meta: InvalidEventError,
  key: InvalidEnvelopeError,
  size: PayloadTooLargeError,
};

/**
 * Runs one generated case against real systems on one SQLite file: publishes, lets them run,
 * halts and reopens them, then reopens a last time and waits until everything settled.
 * Returns that last system (still running) and what was observed on the way.
 */
export class CaseRun {
  readonly observed: Observed;
  readonly #file: string;
  readonly #case: Case;
  readonly #components: Component[];
  readonly #logger: Logger;
  readonly #inFlight: Promise<void>[] = [];
  readonly #batches: Input[][] = [];
  #system: System | undefined;
  #clock = new SimulatedClock(1_000_000);
  #owner = 'owner-0';
  #owners = 0;
  #next = 0;
  #bad = 0;

  constructor(file: string, testCase: Case) {
    this.#file = file;
    this.#case = testCase;
    const failures = new Map<string, Failure>(testCase.events.map((event, n) => [eventId(n), event.failure]));
    const plan = new FailurePlan(failures);
    this.#components = components(plan);
    this.observed = { plan, events: testCase.events, acked: new Map(), refused: new Set(), crashes: 0, errors: [] };
    const errors = this.observed.errors;
    this.#logger = { info: () => {}, warn: () => {}, error: (message, fields) => errors.push(`${message} ${describe(fields)}`) };
  }

  /** The system running now, if any: halted by `dispose` if the case fails half-way. */
  get system(): System | undefined {
    return this.#system;
  }

  async run(): Promise<System> {
    let system = await this.#open(this.#case.checkpoint);
    for (const step of this.#case.steps) {
      switch (step.kind) {
        case 'publish': {
          const inputs = this.#nextInputs(step.count);
          if (inputs.length > 0) await this.#publish(system, inputs, step.batch, step.wait);
          break;
        }
        case 'republish': {
          const inputs = this.#batches[step.pick % Math.max(1, this.#batches.length)];
          if (inputs) await this.#publish(system, inputs, true, step.wait);
          break;
        }
        case 'turns':
          await turns(step.turns);
          break;
        case 'settle':
          await settle(system);
          break;
        case 'tick':
          this.#clock.advance(step.ms);
          break;
        case 'crash':
          if (this.observed.crashes >= MAX_CRASHES) break;
          await turns(step.turns);
          system = await this.#crashAndReopen(system, step.checkpoint, step.newOwner);
          break;
        case 'bad':
          await this.#publishBad(system, step.input, step.withGood);
          break;
      }
    }
    if (this.#case.ending === 'halt') {
      system = await this.#crashAndReopen(system, this.#case.checkpoint, false);
    } else {
      await system.stop();
      system = await this.#open(this.#case.checkpoint);
    }
    // Every publish has an outcome by now: it committed, or the halt refused it.
    await Promise.all(this.#inFlight.splice(0));
    await settle(system);
    return system;
  }

  async dispose(): Promise<void> {
    await this.#system?.halt();
    this.#system = undefined;
    await Promise.allSettled(this.#inFlight.splice(0));
  }

  async #open(checkpoint: Checkpoint): Promise<System> {
    this.#system = await createSystem(this.#options(checkpoint));
    return this.#system;
  }

  #options(checkpoint: Checkpoint): SystemOptions {
    return {
      db: this.#file,
      components: this.#components,
      clock: this.#clock,
      owner: this.#owner,
      logger: this.#logger,
      leaseTtlMs: LEASE_TTL_MS,
      checkpoint,
      passivateAfterMs: 5,
      maxPayloadBytes: MAX_PAYLOAD_BYTES,
    };
  }

  /**
   * Halts `system` as a crash would and opens a new one on the file: by the same owner (it
   * takes its leases back at once), or by a new owner once the old leases have expired.
   */
  async #crashAndReopen(system: System, checkpoint: Checkpoint, newOwner: boolean): Promise<System> {
    const leasesBefore = leases(this.#file);
    await system.halt();
    this.#system = undefined;
    this.observed.crashes++;
    await expect(system.publish(PRODUCER_TOPIC, { type: 'add', amount: 1 }, { key: 'k0', id: 'after-halt' })).rejects.toBeInstanceOf(SystemStoppedError);
    await expect(system.settled()).rejects.toBeInstanceOf(SystemStoppedError);
    expect(await refusal(() => system.events())).toBeInstanceOf(SystemStoppedError);

    if (newOwner) {
      // Until the halted owner's leases expire, another owner is refused and changes nothing.
      const tables = readTables(this.#file);
      const early = await refusal(() => createSystem({ ...this.#options(checkpoint), owner: `owner-${this.#owners + 1}` }));
      expect(early).toBeInstanceOf(LeaseHeldError);
      expect(readTables(this.#file)).toEqual(tables);
      this.#owner = `owner-${++this.#owners}`;
    }
    // Time goes on from where the halted system left it; a new owner waits out the old leases.
    this.#clock = new SimulatedClock(this.#clock.now() + (newOwner ? LEASE_TTL_MS + 1 : 0));
    const reopened = await this.#open(checkpoint);

    // Each lease was taken again with a higher epoch, so whatever the halted owner might still
    // try to write under its old epoch is refused.
    const leasesAfter = new Map(leases(this.#file).map((row) => [row.resource, row]));
    expect([...leasesAfter.keys()].sort()).toEqual(['consumer:acc', 'consumer:tally', 'log']);
    for (const before of leasesBefore) {
      const after = leasesAfter.get(before.resource);
      expect(after?.owner, before.resource).toBe(this.#owner);
      expect(after?.epoch, before.resource).toBeGreaterThan(before.epoch);
    }
    const head = await reopened.head();
    expect((await reopened.events({ limit: head + 1 })).map((e) => e.seq)).toEqual(Array.from({ length: head }, (_, i) => i + 1));
    return reopened;
  }

  #nextInputs(count: number): Input[] {
    const inputs: Input[] = [];
    for (; inputs.length < count && this.#next < this.#case.events.length; this.#next++) {
      const planned = this.#case.events[this.#next] as PlannedEvent;
      inputs.push({
        topic: planned.noise ? NOISE_TOPIC : PRODUCER_TOPIC,
        event: { type: 'add', amount: planned.amount },
        key: KEYS[planned.key],
        id: eventId(this.#next),
      });
    }
    if (inputs.length > 0) this.#batches.push(inputs);
    return inputs;
  }

  async #publish(system: System, inputs: Input[], batch: boolean, wait: boolean): Promise<void> {
    const calls: Promise<AppendResult[]>[] = batch
      ? [system.publishMany(inputs)]
      : inputs.map((input) => system.publish(input.topic, input.event, { key: input.key, id: input.id }).then((result) => [result]));
    const outcome = Promise.all(
      calls.map((call, at) =>
        call.then(
          (results) => {
            results.forEach((result, i) => {
              const input = batch ? inputs[i] : inputs[at];
              expect(result.id).toBe(input?.id);
              const earlier = this.observed.acked.get(result.id);
              if (earlier !== undefined) expect(result.seq, `the seq of ${result.id} changed`).toBe(earlier);
              this.observed.acked.set(result.id, result.seq);
            });
          },
          (error: unknown) => {
            // Only a halt may refuse a valid publish.
            if (!(error instanceof SystemStoppedError)) throw error;
          },
        ),
      ),
    ).then(() => {});
    if (wait) await outcome;
    else this.#inFlight.push(outcome);
  }

  async #publishBad(system: System, input: BadInput, withGood: boolean): Promise<void> {
    const n = this.#bad++;
    const bad = badInput(input, `bad-${n}`);
    const good: Input = { topic: PRODUCER_TOPIC, event: { type: 'add', amount: 1 }, key: 'k0', id: `refused-${n}` };
    const refused = withGood ? system.publishMany([good, bad]) : system.publish(bad.topic, bad.event, { key: bad.key, id: bad.id });
    await expect(refused).rejects.toBeInstanceOf(badExpectations[input]);
    this.observed.refused.add(bad.id as string);
    if (withGood) this.observed.refused.add(good.id as string);
  }
}

function badInput(kind: BadInput, id: string): Input {
  const base = { topic: PRODUCER_TOPIC, key: 'k0', id };
  switch (kind) {
    case 'topic':
      return { ...base, topic: 'prop..add', event: { type: 'add', amount: 1 } };
    case 'event':
      return { ...base, event: { amount: 1 } as unknown as StoredEvent };
    case 'meta':
      return { ...base, event: { type: 'add', amount: 1, meta: { seq: 1 } } };
    case 'key':
      return { ...base, key: 42 as unknown as string, event: { type: 'add', amount: 1 } };
    case 'size':
      return { ...base, event: { type: 'add', amount: 1, blob: 'x'.repeat(MAX_PAYLOAD_BYTES) } };
  }
}

/** What `action` threw or rejected with, whether it reports synchronously or not. */
async function refusal(action: () => unknown): Promise<unknown> {
  try {
    await action();
  } catch (error) {
    return error;
  }
  return undefined;
}

function leases(file: string): LeaseRow[] {
  return readTables(file, ['leases']).leases as LeaseRow[];
}

/** Lets the event loop turn `n` times: commits, deliveries and retries at zero delay happen meanwhile. */
export async function turns(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve));
}

export async function settle(system: System): Promise<void> {
  let deadline: NodeJS.Timeout | undefined;
  const settled = system.settled();
  const overdue = new Promise((_, reject) => {
    deadline = setTimeout(() => {
      const status = Promise.resolve()
        .then(() => system.status())
        .then((value) => JSON.stringify(value), String);
      void status.then((text) => reject(new Error(`the system did not settle within ${SETTLE_DEADLINE_MS} ms; status: ${text}`)));
    }, SETTLE_DEADLINE_MS);
  });
  try {
    await Promise.race([settled, overdue]);
  } finally {
    clearTimeout(deadline);
    // Once the deadline won, the system is halted later and this rejects: nobody is listening.
    settled.catch(() => {});
  }
}

function describe(fields: Record<string, unknown> | undefined): string {
  if (!fields) return '';
  return JSON.stringify(fields, (_key, value) => (value instanceof Error ? `${value.name}: ${value.message}` : value));
}
