/**
 * Every error recq raises on purpose: a `RecqError` subclass with a stable `code` (one of
 * `RecqErrorCode`), a message that names the bad value and says what to do, and (where one
 * exists) the underlying `cause`. Classes that travel in a supervisor's reply rebuild
 * themselves with `static fromWire`.
 *
 * @example
 * try {
 *   await system.publish('orders..placed', { type: 'order.placed' });
 * } catch (error) {
 *   if (error instanceof InvalidTopicError) console.error(error.code, error.topic);
 * }
 */
export * from './errors/command-errors.ts';
export * from './errors/dashboard-errors.ts';
export * from './errors/effects-errors.ts';
export * from './errors/input-errors.ts';
export * from './errors/jetstream-errors.ts';
export * from './errors/lifecycle-errors.ts';
export * from './errors/nats-errors.ts';
export * from './errors/operator-errors.ts';
export * from './errors/ownership-errors.ts';
export { isRecqError, RecqError, type RecqErrorCode, type WireError } from './errors/recq-error.ts';
export * from './errors/snapshot-errors.ts';
export * from './errors/trust-errors.ts';
