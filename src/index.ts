/**
 * `recq`: what a system's code calls — `createSystem`, `defineComponent`, `defineSystem`,
 * `startSupervisor`, `startWorker`, the `System` they return, their options, errors, clocks and
 * loggers. The NATS pieces are in `recq/nats`; the in-process bus, with the `Transport` type to
 * write another, in `recq/transport`; a test kit in `recq/testing`; the dashboard in
 * `recq/dashboard`.
 *
 * @example
 * import { createSystem, defineComponent } from 'recq';
 *
 * const accounts = defineComponent({ name: 'accounts', logic: account, subscribe: 'accounts.commands', key: true });
 * const system = await createSystem({ db: './bank.db', components: [accounts] });
 */

export { idempotencyKey } from './actor/idempotency-key.ts';
export { type Clock, SimulatedClock, systemClock } from './clock.ts';
export { type CheckpointPolicy, type Component, type ComponentConfig, defineComponent, type StandardSchema } from './component/component.ts';
export type { RetryPolicy } from './component/retry-policy.ts';
export type { DeadLetter, DeadLetterStatus } from './css/consumer-store.ts';
export type { Durability } from './db.ts';
export type { AppendInput, AppendResult, DeliveredEvent, Envelope, EventMeta, EventObject, TraceContext } from './envelope.ts';
// The errors a caller can meet, one line for each concern in src/errors/ (those only the recq
// command raises, or the dashboard's and inspector's servers answer with, stay inside).
// Waiting: `waitFor` gave up.
export { WaitTimeoutError } from './errors/command-errors.ts';
// Effects: a child spawned from inline logic, which no snapshot could restore.
export { InlineSpawnError } from './errors/effects-errors.ts';
// Bad input: a topic, event, option or component refused, naming the value.
export {
  EventRejectedError,
  InvalidComponentError,
  InvalidConsumerError,
  InvalidEnvelopeError,
  InvalidEventError,
  InvalidOptionError,
  InvalidPatternError,
  InvalidTopicError,
  MissingKeyError,
  NonJsonValueError,
  PayloadTooLargeError,
  PermanentError,
  UnknownComponentError,
  UnknownKeyError,
} from './errors/input-errors.ts';
// The log on JetStream.
export { NotLeadingError, StreamConfigError, UnreadableRecordError } from './errors/jetstream-errors.ts';
// Lifecycle: a system, consumer or file that is not (or no longer) running.
export { ConsumerUnavailableError, LogClosedError, NotStartedError, StartFailedError, StorageError, SystemStoppedError } from './errors/lifecycle-errors.ts';
// Over NATS: connecting, messages, the supervisor's replies.
export { ExceedsMaxPayloadError, MalformedMessageError, NatsConnectError, SupervisorFailedError, SupervisorUnreachableError } from './errors/nats-errors.ts';
// Operator commands on a running system (pause, resume, replay, a dead letter's retry or skip) that do not fit.
export { InvalidCommandError } from './errors/operator-errors.ts';
// Ownership: leases on the log and on consumers.
export { HaltedError, LeaseExpiredError, LeaseHeldError, NotRegisteredError, StaleEpochError } from './errors/ownership-errors.ts';
// What they all are: a RecqError with a code.
export { isRecqError, RecqError, type RecqErrorCode } from './errors/recq-error.ts';
// Snapshots: a stored actor that does not fit its machine.
export { IncompatibleSnapshotError, SnapshotFailedError, SnapshotRestoreError, VersionMismatchError } from './errors/snapshot-errors.ts';
// Trust: a lease presented with the current epoch but not its holder's owner or token.
export { LeaseNotHeldError } from './errors/trust-errors.ts';
export type { ActorView } from './host/component-host.ts';
export type { InspectionObserver, InspectOption } from './inspect/inspect-option.ts';
export { type LocalInspector, type ServeInspectorOptions, serveInspector } from './inspect/local-inspector.ts';
export { type ConsoleLoggerOptions, consoleLogger, type LogFields, type Logger, type LogLevel, pinoLogger, silentLogger } from './logging/logger.ts';
export type { MetricsOptions } from './metrics/metrics-options.ts';
export type { ReadQuery } from './sss/event-log.ts';
export type { RouteState } from './sss/log-access.ts';
export { ComponentHandle, type ContextOf, type EventOf, type StateValueOf, type TypedActorView } from './system/component-handle.ts';
export { defineSystem, type RunContext, type SystemDefinition } from './system/define-system.ts';
export {
  type ConsumerStatus,
  createSystem,
  type NatsOptions,
  type PublishOptions,
  System,
  type SystemMetrics,
  type SystemOptions,
  type SystemRole,
  type SystemStatus,
  startSupervisor,
  startWorker,
} from './system/system.ts';
