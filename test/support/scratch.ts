import { afterEach, beforeEach } from 'vitest';
import { createSystem, type System, type SystemOptions } from '../../src/index.ts';
import { TempDir } from './temp-dir.ts';

/** What a test gets from `useScratch()`: its own directory, and systems that are stopped after it. */
export interface Scratch {
  /** A path inside the running test's own directory (`recq.db` by default); whoever opens it creates the file. */
  file(name?: string): string;
  /** Starts a system with `createSystem`; it is stopped after the test. */
  start(options: SystemOptions): Promise<System>;
  /** Stops `system` after the test too, for one started some other way (`startWorker`, `startSupervisor`). */
  keep<S extends System>(system: S): S;
}

/**
 * Registers a `beforeEach` that makes a fresh temp directory and an `afterEach` that stops every
 * system the test started or kept (latest first), then removes the directory, whether the test
 * passed or not. A test may stop a system itself: stopping again after it does nothing.
 * Vitest runs `afterEach` hooks as a stack, so hooks registered before this call (a nats-server
 * the systems use) end after the systems stop, and hooks registered after it end before.
 *
 * @example
 * describe('durable timers', () => {
 *   const scratch = useScratch();
 *
 *   it('fires once after a restart', async () => {
 *     let system = await scratch.start({ db: scratch.file('timers.db'), components: [payments()] });
 *     await system.stop();
 *     system = await scratch.start({ db: scratch.file('timers.db'), components: [payments()] });
 *   });
 * });
 */
export function useScratch(): Scratch {
  let dir: TempDir | undefined;
  const systems: System[] = [];

  beforeEach(() => {
    dir = new TempDir();
  });
  afterEach(async () => {
    try {
      // A system that failed, halted or was stopped by the test must not hide the others' cleanup.
      for (const system of systems.splice(0).reverse()) await system.stop().catch(() => {});
    } finally {
      dir?.remove();
      dir = undefined;
    }
  });

  const keep = <S extends System>(system: S): S => {
    systems.push(system);
    return system;
  };

  return {
    file: (name) => {
      if (dir === undefined) throw new Error('useScratch(): the directory exists only while a test runs');
      return dir.file(name);
    },
    start: async (options) => keep(await createSystem(options)),
    keep,
  };
}
