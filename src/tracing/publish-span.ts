import { context, type Span, SpanKind } from '@opentelemetry/api';
import type { AppendInput, AppendResult, EventObject } from '../envelope.ts';
import { type TraceContext, traceContextProblem } from '../trace-context.ts';
import { ATTR, contextOf, messagingAttributes, recordFailure, traceContextOf, tracer, tracingEnabled } from './spans.ts';

/**
 * Publishes `inputs` through `append` inside one PRODUCER span per event, `publish <topic>`
 * (`messaging.operation.type` = `send`), and stores each span's W3C context with its event.
 * The span is a child of the input's own `trace` when it has one, else of the active span
 * (none: a new trace). It ends once the log has committed (or refused) the events.
 *
 * @example
 * const results = await publishTraced(inputs, (traced) => log.appendMany(traced));
 */
export async function publishTraced<TEvent extends EventObject>(
  inputs: readonly AppendInput<TEvent>[],
  append: (traced: readonly AppendInput<TEvent>[]) => Promise<AppendResult[]>,
): Promise<AppendResult[]> {
  // Not a list: the log's refusal says what is wrong with it. Without an SDK, a given context is stored as given.
  if (!Array.isArray(inputs) || !tracingEnabled()) return append(inputs);
  const spans: (Span | undefined)[] = [];
  const traced = inputs.map((input) => {
    const span = startPublishSpan(input, inputs.length);
    spans.push(span);
    // A malformed context the producer gave stays, for the log to refuse, as it is without an SDK.
    const stored = span && !hasMalformedTrace(input) && traceContextOf(span.spanContext());
    return stored ? { ...input, trace: stored } : input;
  });
  let results: AppendResult[];
  try {
    results = await append(traced);
  } catch (error) {
    for (const span of spans) {
      if (!span) continue;
      recordFailure(span, error);
      span.end();
    }
    throw error;
  }
  for (let i = 0; i < spans.length; i++) {
    const span = spans[i];
    const result = results[i];
    if (!span) continue;
    if (result && span.isRecording()) {
      span.setAttribute(ATTR.messageId, result.id);
      span.setAttribute(ATTR.seq, result.seq);
      if (result.duplicate) span.setAttribute(ATTR.duplicate, true);
    }
    span.end();
  }
  return results;
}

function hasMalformedTrace(input: unknown): boolean {
  const given = (input as { trace?: unknown }).trace;
  return given !== undefined && given !== null && traceContextProblem(given) !== undefined;
}

/** The producer span of one input; none for an input that is not an object (the log refuses it). */
function startPublishSpan(input: unknown, batch: number): Span | undefined {
  if (typeof input !== 'object' || input === null) return undefined;
  const { topic, key, id, correlationId, trace: given } = input as Record<string, unknown>;
  const destination = typeof topic === 'string' ? topic : '';
  const attributes = messagingAttributes('send', 'publish', destination);
  if (typeof id === 'string') attributes[ATTR.messageId] = id;
  if (typeof key === 'string') attributes[ATTR.key] = key;
  if (typeof correlationId === 'string') attributes[ATTR.conversationId] = correlationId;
  if (batch > 1) attributes[ATTR.batchCount] = batch;
  // A malformed context is left for the log to refuse; the span then starts from the active one.
  const parent = given !== undefined && given !== null && !hasMalformedTrace(input) ? contextOf(given as TraceContext, context.active()) : context.active();
  return tracer().startSpan(destination ? `publish ${destination}` : 'publish', { kind: SpanKind.PRODUCER, attributes }, parent);
}
