/** Turns of the event loop after each step: enough for children that settle at once (a resolved promise) to be delivered. */
const TURNS = 4;

/** Lets the event loop turn a few times, without any timer or clock. */
export async function settleTurns(afterEach?: () => Promise<void>): Promise<void> {
  for (let i = 0; i < TURNS; i++) {
    await new Promise<void>((resolve) => setImmediate(resolve));
    await afterEach?.();
  }
}
