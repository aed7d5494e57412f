import type { System } from '../system/system.ts';
import { showCatchUp } from './catch-up.ts';

/**
 * Starts a system for as long as a command needs it, and stops it before the command goes on:
 * once `hold` resolves, or, if anything throws, quietly (the first error is the one reported).
 * Meanwhile a terminal shows the catch-up bar (see `showCatchUp`), erased before the stop.
 *
 * @example
 * const outcome = await holdSystem(() => createSystem(options), (system) => main(system));
 */
export async function holdSystem<T>(start: () => Promise<System>, hold: (system: System) => Promise<T>): Promise<T> {
  let system: System | undefined;
  let stopShowing = () => {};
  try {
    system = await start();
    stopShowing = showCatchUp(system);
    const result = await hold(system);
    stopShowing();
    await system.stop();
    return result;
  } catch (error) {
    stopShowing();
    await system?.stop().catch(() => {});
    throw error;
  }
}
