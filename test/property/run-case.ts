import { expect } from 'vitest';
import type { StoredEvent } from '../../src/envelope.ts';
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
  type System,
  type SystemOptions,
  SystemStoppedError,
} from '../../src/index.ts';
import { readTables } from '../support/tables.ts';
import { type BadInput, type Case, type Checkpoint, KEYS, MAX_CRASHES, type PlannedEvent } from './case.ts';
import { checkCommitted } from './check-committed.ts';
import { checkSettled } from './check-settled.ts';
import { components, type Failure, FailurePlan, LossyTransport, NOISE_TOPIC, PRODUCER_TOPIC } from './fixtures.ts';

type Input = AppendInput<StoredEvent>;

const LEASE_TTL_MS = 15_000;
const MAX_PAYLOAD_BYTES = 2048;
// Deadlines on real time, so that a system that never settles or stops fails its case instead
// of hanging the run. Stopping takes a few turns of the event loop; settling, a few hundred.
const SETTLE_DEADLINE_MS = 20_000;
const STOP_DEADLINE_MS = 5_000;

export const eventId = (n: number): string => `e-${n}`;

/** What the run saw, for the checks after recovery. */
export interface Observed {
  plan: FailurePlan;
  events: PlannedEvent[];
  /** Seq each acknowledged id was given. */
  acked: Map<string, number>;
  /** Ids that only ever appeared in refused publishes. */
  refused: Set<string>;
  /** Halts, the last one included. */
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
  #opened = 0;
  #bad = 0;

  constructor(file: string, testCase: Case) {
    this.#file = file;
    this.#case = testCase;
    const failures = new Map<string, Failure>(testCase.events.map((event, n) => [eventId(n), event.failure]));
    const plan = new FailurePlan(failures);
    this.#components = components(plan, testCase.retryDelayMs);
    this.observed = { plan, events: testCase.events, acked: new Map(), refused: new Set(), crashes: 0, errors: [] };
    const errors = this.observed.errors;
    this.#logger = { info: () => {}, warn: () => {}, error: (message, fields) => errors.push(`${message} ${describe(fields)}`) };
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
          await settle(system, this.#clock);
          await checkSettled(system);
          break;
        case 'tick':
          this.#clock.advance(step.ms);
          break;
        case 'crash':
          // One crash is kept for the end.
          if (this.observed.crashes >= MAX_CRASHES - 1) break;
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
      // Stopping needs no time to pass: the clock stands still meanwhile.
      await within(system.stop(), STOP_DEADLINE_MS, system, 'stop()');
      checkCommitted(this.#file, this.observed.plan);
      system = await this.#open(this.#case.checkpoint);
    }
    // Every publish has an outcome by now: it committed, or the halt refused it.
    await Promise.all(this.#inFlight.splice(0));
    await settle(system, this.#clock);
    await checkSettled(system);
    return system;
  }

  async dispose(): Promise<void> {
    const system = this.#system;
    this.#system = undefined;
    // A stop that hung waiting on the clock finishes once the clock moves; anything else is
    // left behind rather than hiding the case's own failure.
    if (system) await whileTicking(this.#clock, within(system.halt(), STOP_DEADLINE_MS, system, 'halt()')).catch(() => {});
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
      readPageSize: this.#case.readPageSize,
      transport: new LossyTransport(this.#case.lossSeed + this.#opened++, this.#case.lossShare),
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
    checkCommitted(this.#file, this.observed.plan);
    await expect(system.publish(PRODUCER_TOPIC, { type: 'add', amount: 1 }, { key: 'k0', id: 'after-halt' })).rejects.toBeInstanceOf(SystemStoppedError);
    await expect(system.settled()).rejects.toBeInstanceOf(SystemStoppedError);
    expect(await refusal(() => system.events())).toBeInstanceOf(SystemStoppedError);

    if (newOwner) {
      // Until the halted owner's leases expire, another owner is refused and changes nothing.
      const tables = readTables(this.#file);
      const early = await createSystem({ ...this.#options(checkpoint), owner: `owner-${this.#owners + 1}` }).then(
        (intruder) => intruder.halt(),
        (error: unknown) => error,
      );
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
    expect([...leasesAfter.keys()]).toEqual(expect.arrayContaining(['consumer:acc', 'consumer:tally', 'log']));
    for (const before of leasesBefore) {
      const after = leasesAfter.get(before.resource);
      expect(after?.owner, before.resource).toBe(this.#owner);
      expect(after?.epoch, before.resource).toBeGreaterThan(before.epoch);
    }
    // The reopened hosts are already at work, so the log may grow between the two reads.
    const head = await reopened.head();
    const seqs = (await reopened.events({ limit: 1_000_000 })).map((e) => e.seq);
    expect(seqs.length).toBeGreaterThanOrEqual(head);
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
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
  return readTables(file, ['leases']).leases;
}

/** Lets the event loop turn `n` times: commits, deliveries and retries at zero delay happen meanwhile. */
export async function turns(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve));
}

/**
 * Waits until `system` settled, moving its clock on a millisecond per turn of the event loop
 * meanwhile, so that retries waiting on a backoff fall due.
 */
export function settle(system: System, clock: SimulatedClock): Promise<void> {
  return whileTicking(clock, within(system.settled(), SETTLE_DEADLINE_MS, system, 'settled()'));
}

/** Resolves as `work` does, or fails with the system's status if that takes longer than `ms`. */
async function within<T>(work: Promise<T>, ms: number, system: System, what: string): Promise<T> {
  let deadline: NodeJS.Timeout | undefined;
  const overdue = new Promise<never>((_, reject) => {
    deadline = setTimeout(() => {
      const status = Promise.resolve()
        .then(() => system.status())
        .then((value) => JSON.stringify(value), String);
      void status.then((text) => reject(new Error(`${what} did not finish within ${ms} ms; status: ${text}`)));
    }, ms);
  });
  try {
    return await Promise.race([work, overdue]);
  } finally {
    clearTimeout(deadline);
    // Once the deadline won, `work` may still fail later: nobody is listening any more.
    work.catch(() => {});
  }
}

/** Runs `work` while the clock moves on a millisecond per turn of the event loop. */
async function whileTicking<T>(clock: SimulatedClock, work: Promise<T>): Promise<T> {
  let waiting = true;
  const ticking = (async () => {
    while (waiting) {
      await turns(1);
      clock.advance(1);
    }
  })();
  try {
    return await work;
  } finally {
    waiting = false;
    await ticking;
  }
}

function describe(fields: Record<string, unknown> | undefined): string {
  if (!fields) return '';
  return JSON.stringify(fields, (_key, value) => (value instanceof Error ? `${value.name}: ${value.message}` : value));
}
