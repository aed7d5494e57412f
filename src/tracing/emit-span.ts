import { type Context, ROOT_CONTEXT, SpanKind } from '@opentelemetry/api';
import type { PreparedAppend } from '../envelope.ts';
import type { TraceContext } from '../trace-context.ts';
import { ATTR, messagingAttributes, traceContextOf, tracer, tracingEnabled } from './spans.ts';

/**
 * Records that an actor emitted `emitted`: a PRODUCER span `emit <topic>` (`messaging.operation.type`
 * = `create`: the event is sent later, with its checkpoint or through the outbox), a child of
 * `parent` (the process span of the event being applied; none, e.g. for a timer, starts a new
 * trace). Returns the span's context to store with the emitted event, if a tracer recorded one.
 *
 * @example
 * prepared.trace = emitSpan(processContextOf(envelope), prepared, 'orders');
 */
export function emitSpan(parent: Context | undefined, emitted: PreparedAppend, component: string): TraceContext | undefined {
  if (!tracingEnabled()) return undefined;
  const attributes = messagingAttributes('create', 'emit', emitted.topic);
  attributes[ATTR.messageId] = emitted.id;
  attributes[ATTR.component] = component;
  if (emitted.key !== null) attributes[ATTR.key] = emitted.key;
  if (emitted.correlationId !== null) attributes[ATTR.conversationId] = emitted.correlationId;
  const span = tracer().startSpan(`emit ${emitted.topic}`, { kind: SpanKind.PRODUCER, attributes }, parent ?? ROOT_CONTEXT);
  span.end();
  return traceContextOf(span.spanContext());
}
