import {
  type Attributes,
  type Context,
  createTraceState,
  isSpanContextValid,
  ProxyTracerProvider,
  ROOT_CONTEXT,
  type Span,
  type SpanContext,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import type { TraceContext } from '../trace-context.ts';

/** The instrumentation scope of recq's spans. */
export const TRACER_NAME = 'recq';

/** Attribute names of the OpenTelemetry messaging conventions, and recq's own. */
export const ATTR = {
  system: 'messaging.system',
  destination: 'messaging.destination.name',
  messageId: 'messaging.message.id',
  conversationId: 'messaging.message.conversation_id',
  operationType: 'messaging.operation.type',
  operationName: 'messaging.operation.name',
  consumerGroup: 'messaging.consumer.group.name',
  batchCount: 'messaging.batch.message_count',
  errorType: 'error.type',
  seq: 'recq.seq',
  key: 'recq.key',
  component: 'recq.component',
  duplicate: 'recq.duplicate',
  consumer: 'recq.consumer',
  timer: 'recq.timer',
  causation: 'recq.causation',
} as const;

/** The value of `messaging.system` on every recq span. */
export const MESSAGING_SYSTEM = 'recq';

/**
 * recq's tracer, looked up on every use: a provider registered (or replaced) after recq was
 * loaded is the one that records. Without one, spans are no-ops and nothing is stored.
 */
export function tracer(): Tracer {
  return trace.getTracer(TRACER_NAME);
}

const NOOP_PROVIDER = new ProxyTracerProvider().getDelegate();

/**
 * False while no SDK is registered: recq then makes no spans at all (a no-op span still costs
 * microseconds per event) and adds no trace context. Any provider another copy of the API
 * registered counts as one, unless it is that copy's no-op.
 */
export function tracingEnabled(): boolean {
  const provider = trace.getTracerProvider() as Partial<ProxyTracerProvider>;
  const delegate = typeof provider.getDelegate === 'function' ? provider.getDelegate() : provider;
  return delegate !== NOOP_PROVIDER && delegate?.constructor?.name !== 'NoopTracerProvider';
}

/** The W3C trace context of a span, to store with an event; undefined when the span has none (no SDK registered). */
export function traceContextOf(spanContext: SpanContext): TraceContext | undefined {
  if (!isSpanContextValid(spanContext)) return undefined;
  const flags = (spanContext.traceFlags & 0xff).toString(16).padStart(2, '0');
  const traceparent = `00-${spanContext.traceId}-${spanContext.spanId}-${flags}`;
  const tracestate = spanContext.traceState?.serialize();
  return tracestate ? { traceparent, tracestate } : { traceparent };
}

/** The span context a stored trace context names, as a remote parent. Call on a validated one. */
export function spanContextOf(stored: TraceContext): SpanContext {
  const [, traceId = '', spanId = '', flags = '00'] = stored.traceparent.split('-');
  const spanContext: SpanContext = { traceId, spanId, traceFlags: Number.parseInt(flags, 16), isRemote: true };
  if (stored.tracestate) spanContext.traceState = createTraceState(stored.tracestate);
  return spanContext;
}

/** A context whose active span is the one `stored` names, on top of `base` (default: an empty one). */
export function contextOf(stored: TraceContext, base: Context = ROOT_CONTEXT): Context {
  return trace.setSpanContext(base, spanContextOf(stored));
}

/** Marks `span` failed with `error`: the exception as a span event, status ERROR, and `error.type`. */
export function recordFailure(span: Span, error: unknown): void {
  if (!span.isRecording()) return;
  const exception = error instanceof Error ? error : new Error(String(error));
  span.recordException(exception);
  span.setStatus({ code: SpanStatusCode.ERROR, message: exception.message });
  const code = (error as { code?: unknown } | null)?.code;
  span.setAttribute(ATTR.errorType, typeof code === 'string' ? code : exception.name);
}

/** The attributes every recq span starts with. */
export function messagingAttributes(operationType: string, operationName: string, topic: string): Attributes {
  return { [ATTR.system]: MESSAGING_SYSTEM, [ATTR.operationType]: operationType, [ATTR.operationName]: operationName, [ATTR.destination]: topic };
}
