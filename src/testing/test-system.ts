import { join } from 'node:path';
import { SimulatedClock } from '../clock.ts';
import type { AppendInput, AppendResult, Envelope, EventObject } from '../envelope.ts';
import type { ActorView } from '../host/component-host.ts';
import { createSystem, type PublishOptions, type System, type SystemOptions } from '../system/system.ts';
import { causedBy } from './caused-by.ts';
import { tempDirectory } from './temp-files.ts';

/** `createSystem`'s options, with a temp file and a `SimulatedClock` unless you give your own. */
export interface TestSystemOptions extends Omit<SystemOptions, 'db' | 'clock'> {
  /** The SQLite file. Default: `recq.db` in a fresh temp directory, removed by `close()`. */
  db?: string;
  /** The clock every restart shares. Default `new SimulatedClock(0)`. */
  clock?: SimulatedClock;
  /**
   * How long (real time) `settled()` may take before it fails with the consumers' status instead
   * of hanging, e.g. while a retry waits for a clock nobody advances. Default 10 s.
   */
  settleTimeoutMs?: number;
}

/** How `restart` ends the running system before opening a new one on the same file and clock. */
export interface RestartOptions {
  /** `true`: `halt()`, as a crash would (nothing since the last checkpoint is committed). Default `false`: `stop()`. */
  crash?: boolean;
  /** The new system's components (a new version of a machine, say). Default: the same as before. */
  components?: SystemOptions['components'];
}

/** Where a publish came from: its result, its envelope, or its id. */
export type Cause = AppendResult | Envelope | string;

const open = new Set<TestSystem>();

/**
 * A system for one test: a temp database, a `SimulatedClock`, publishes that wait until the
 * system has settled, what an event caused, and restarts (a clean stop, or a crash) on the same
 * file and clock. Failed events are retried with no backoff, so a test needs no clock advance to
 * see them dead-lettered.
 *
 * @example
 * const t = await testSystem({ components: [accounts] });
 * const deposit = await t.publish('accounts.commands', { type: 'deposit', amount: 100 }, { key: 'alice' });
 * await t.advance(30_000);
 * await t.restart({ crash: true });
 * expect((await t.query('accounts', 'alice')).context.balance).toBe(100);
 * await t.close();
 */
export class TestSystem {
  readonly clock: SimulatedClock;
  /** The SQLite file every restart opens. */
  readonly db: string;
  #system: System;
  #options: SystemOptions;
  readonly #settleTimeoutMs: number;
  readonly #removeFiles: () => void;
  #closing: Promise<void> | undefined;

  /** Use `testSystem()`. */
  private constructor(system: System, options: SystemOptions, settleTimeoutMs: number, removeFiles: () => void) {
    this.#system = system;
    this.#options = options;
    this.clock = options.clock as SimulatedClock;
    this.db = options.db as string;
    this.#settleTimeoutMs = settleTimeoutMs;
    this.#removeFiles = removeFiles;
  }

  /** Starts a test system. @internal Use `testSystem()`. */
  static async start(options: TestSystemOptions): Promise<TestSystem> {
    const { settleTimeoutMs = 10_000, ...rest } = options;
    const dir = rest.db === undefined ? tempDirectory() : undefined;
    const systemOptions: SystemOptions = {
      ...rest,
      db: rest.db ?? join(dir?.path as string, 'recq.db'),
      clock: rest.clock ?? new SimulatedClock(0),
      // One owner across restarts takes its own leases back at once, as a restarted process on the same host would.
      owner: rest.owner ?? 'recq-test',
      retry: { initialDelayMs: 0, maxDelayMs: 0, ...rest.retry },
      // Leases renew every third of their time-to-live: on a simulated clock moved by days, the
      // default 15 s would mean hundreds of thousands of renewals. Nothing else owns the file.
      leaseTtlMs: rest.leaseTtlMs ?? 24 * 60 * 60 * 1000,
    };
    try {
      const test = new TestSystem(await createSystem(systemOptions), systemOptions, settleTimeoutMs, () => dir?.remove());
      open.add(test);
      return test;
    } catch (error) {
      dir?.remove();
      throw error;
    }
  }

  /** The running system; a new one after each `restart`. */
  get system(): System {
    return this.#system;
  }

  /**
   * Publishes one event and waits until the system has settled: the event and everything it
   * caused are applied and checkpointed.
   *
   * @example
   * const { seq, id } = await t.publish('orders.placed', { type: 'order.placed', total: 30 }, { key: 'o-1' });
   */
  async publish<TEvent extends EventObject>(topic: string, event: TEvent, options?: PublishOptions): Promise<AppendResult> {
    const result = await this.#system.publish(topic, event, options);
    await this.settled();
    return result;
  }

  /** Publishes several events atomically, then waits until the system has settled. */
  async publishMany<TEvent extends EventObject>(inputs: readonly AppendInput<TEvent>[]): Promise<AppendResult[]> {
    const results = await this.#system.publishMany(inputs);
    await this.settled();
    return results;
  }

  /**
   * Waits until every event in the log is applied and checkpointed, including what was emitted
   * on the way. Fails with the consumers' status if that takes longer than `settleTimeoutMs`.
   */
  async settled(): Promise<void> {
    const system = this.#system;
    let deadline: NodeJS.Timeout | undefined;
    const overdue = new Promise<never>((_, reject) => {
      deadline = setTimeout(() => {
        void system
          .status()
          .then(
            (status) => reject(new Error(`settled() took longer than ${this.#settleTimeoutMs} ms; consumers: ${JSON.stringify(status.consumers)}`)),
            reject,
          );
      }, this.#settleTimeoutMs);
    });
    try {
      await Promise.race([system.settled(), overdue]);
    } finally {
      clearTimeout(deadline);
    }
  }

  /**
   * Moves the clock forward by `ms`, firing the delayed events that fall due on the way, then
   * waits until the system has settled.
   *
   * @example
   * await t.advance(30_000); // the 30 s payment timeout fires
   */
  async advance(ms: number): Promise<void> {
    this.clock.advance(ms);
    await this.settled();
  }

  /** A component's actor (value, context, status), as `system.query` gives it. */
  query(component: string, key?: string): Promise<ActorView> {
    return this.#system.query(component, key);
  }

  /**
   * Every event in the log, in seq order, or those on topics matching `patterns`.
   *
   * @example
   * const withdrawals = await t.events('accounts.withdrawn');
   */
  async events(patterns?: string | readonly string[]): Promise<Envelope[]> {
    const all: Envelope[] = [];
    const query = patterns === undefined ? {} : { patterns: typeof patterns === 'string' ? [patterns] : patterns };
    for (;;) {
      const page = await this.#system.events({ ...query, after: all.at(-1)?.seq ?? 0, limit: 1000 });
      all.push(...page);
      if (page.length < 1000) return all;
    }
  }

  /**
   * The events `cause` led to, in seq order: what components emitted while processing it (and
   * when timers it scheduled fired), what they emitted in turn, and so on.
   *
   * @example
   * const withdraw = await t.publish('accounts.commands', { type: 'withdraw', amount: 30 }, { key: 'alice' });
   * expect((await t.causedBy(withdraw)).map((e) => e.event)).toEqual([{ type: 'accounts.withdrawn', amount: 30 }]);
   */
  async causedBy(cause: Cause): Promise<Envelope[]> {
    const id = typeof cause === 'string' ? cause : cause.id;
    return causedBy(await this.events(), id);
  }

  /**
   * Ends the running system, with `stop()` or (`crash: true`) `halt()`, and opens a new one on the
   * same file and clock. Resolves once the new system is live: restored and caught up.
   *
   * @example
   * await t.restart({ crash: true });
   * expect(await t.query('accounts', 'alice')).toMatchObject({ context: { balance: 70 } });
   */
  async restart(options: RestartOptions = {}): Promise<System> {
    if (options.crash === true) await this.#system.halt();
    else await this.#system.stop();
    if (options.components !== undefined) this.#options = { ...this.#options, components: options.components };
    this.#system = await createSystem(this.#options);
    return this.#system;
  }

  /** Stops the system and removes its temp directory. Closing again does nothing. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      open.delete(this);
      try {
        await this.#system.stop();
      } finally {
        this.#removeFiles();
      }
    })();
    return this.#closing;
  }
}

/**
 * Starts a system for a test on a fresh temp file with a `SimulatedClock`. Close it when the
 * test ends (`t.close()`, or `closeTestSystems()` in an `afterEach`); temp files left behind
 * are removed when the process exits.
 *
 * @example
 * import { closeTestSystems, testSystem } from 'recq/testing';
 * afterEach(closeTestSystems);
 *
 * it('keeps the balance across a crash', async () => {
 *   const t = await testSystem({ components: [accounts] });
 *   await t.publish('accounts.commands', { type: 'deposit', amount: 100 }, { key: 'alice' });
 *   await t.restart({ crash: true });
 *   expect((await t.query('accounts', 'alice')).context).toEqual({ balance: 100 });
 * });
 */
export function testSystem(options: TestSystemOptions): Promise<TestSystem> {
  return TestSystem.start(options);
}

/**
 * Closes every test system not closed yet (latest first), for an `afterEach` or `afterAll`.
 *
 * @example
 * afterEach(closeTestSystems);
 */
export async function closeTestSystems(): Promise<void> {
  const errors: unknown[] = [];
  for (const test of [...open].reverse()) await test.close().catch((error: unknown) => errors.push(error));
  if (errors.length > 0) throw errors.length === 1 ? errors[0] : new AggregateError(errors, `${errors.length} test systems failed to close`);
}
