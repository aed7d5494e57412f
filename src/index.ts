/**
 * `recq`: what a system's code calls — `createSystem`, `defineComponent`, `defineSystem`,
 * `startSupervisor`, `startWorker`, the `System` they return, their options, errors, clocks and
 * loggers. The NATS pieces are in `recq/nats`, the in-process bus in `recq/transport`, and a
 * test kit in `recq/testing`.
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
export type { DeadLetter, DeadLetterStatus, HostState } from './css/consumer-store.ts';
export type { Durability } from './db.ts';
export type { AppendInput, AppendResult, DeliveredEvent, Envelope, EventMeta, EventObject, StoredEvent, TraceContext } from './envelope.ts';
export * from './errors.ts';
export type { ActorView } from './host/component-host.ts';
export type { InspectionObserver, InspectOption } from './inspect/inspect-option.ts';
export { type LocalInspector, type ServeInspectorOptions, serveInspector } from './inspect/local-inspector.ts';
export { type ConsoleLoggerOptions, consoleLogger, type LogFields, type Logger, type LogLevel, pinoLogger, silentLogger } from './logging/logger.ts';
export type { MetricsOptions } from './metrics/metrics-options.ts';
export type { ConsumerView, SystemViewContext } from './runner/system-view.ts';
export type { ReadQuery } from './sss/event-log.ts';
export type { RouteState } from './sss/log-access.ts';
export type { ComponentHandle, ContextOf, EventOf, StateValueOf, TypedActorView } from './system/component-handle.ts';
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
export { assertPattern, assertTopic, compilePattern } from './topic.ts';
export type { Delivery, Transport } from './transport/transport.ts';
