/**
 * `recq/testing`: a system for a test in one line — a temp SQLite file, a `SimulatedClock`,
 * publishes that wait until everything they caused is applied, what an event caused, time moved
 * on demand, and restarts after a clean stop or a crash on the same file and clock.
 *
 * @example
 * import { closeTestSystems, testSystem } from 'recq/testing';
 * afterEach(closeTestSystems);
 *
 * it('times a payment out after 30 s, also across a crash', async () => {
 *   const t = await testSystem({ components: [payments] });
 *   const placed = await t.publish('payments.requested', { type: 'payment.requested', amount: 30 }, { key: 'p-1' });
 *   await t.restart({ crash: true });
 *   await t.advance(30_000);
 *   expect((await t.causedBy(placed)).map((e) => e.event.type)).toEqual(['payment.timedOut']);
 * });
 */
export { SimulatedClock } from '../clock.ts';
export { type Cause, closeTestSystems, type RestartOptions, TestSystem, type TestSystemOptions, testSystem } from '../testing/test-system.ts';
