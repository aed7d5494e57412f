import { type Context, context, type Link, ROOT_CONTEXT, SpanKind, trace } from '@opentelemetry/api';
import type { Envelope } from '../envelope.ts';
import { ATTR, messagingAttributes, recordFailure, spanContextOf, tracer, tracingEnabled } from './spans.ts';

/** Who applies an event: the consumer (its `messaging.consumer.group.name`), its component and the actor's key. */
export interface ProcessTarget {
  consumer: string;
  component: string;
  key: string | undefined;
}

// The context of the span that applied an envelope, kept for as long as the envelope is: what
// the actor emits while processing it (also when a rollback applies it again) is its child.
const processContexts = new WeakMap<Envelope, Context>();

/** The context of the process span of `envelope`, while or after it was applied; undefined if it never was. */
export function processContextOf(envelope: Envelope): Context | undefined {
  return processContexts.get(envelope);
}

/**
 * Runs `work`, one event's processing by one consumer, inside a CONSUMER span `process <topic>`
 * (`messaging.operation.type` = `process`), active while the actor runs. The span is a child of
 * the trace context stored with the event and links to it, as the messaging conventions
 * recommend for one message; an event without one starts a new trace. A failure that `work`
 * returns is recorded on the span (exception event, status ERROR, `error.type`).
 *
 * @example
 * const failure = processSpan(envelope, { consumer, component: 'billing', key }, () => apply(envelope));
 */
export function processSpan<T extends { error: unknown } | undefined>(envelope: Envelope, target: ProcessTarget, work: () => T): T {
  if (!tracingEnabled()) return work();
  const attributes = messagingAttributes('process', 'process', envelope.topic);
  attributes[ATTR.messageId] = envelope.id;
  attributes[ATTR.consumerGroup] = target.consumer;
  attributes[ATTR.component] = target.component;
  attributes[ATTR.seq] = envelope.seq;
  if (target.key !== undefined) attributes[ATTR.key] = target.key;
  if (envelope.correlationId !== undefined) attributes[ATTR.conversationId] = envelope.correlationId;
  let parent = ROOT_CONTEXT;
  let links: Link[] | undefined;
  if (envelope.trace) {
    const creation = spanContextOf(envelope.trace);
    parent = trace.setSpanContext(ROOT_CONTEXT, creation);
    links = [{ context: creation }];
  }
  const span = tracer().startSpan(`process ${envelope.topic}`, { kind: SpanKind.CONSUMER, attributes, ...(links ? { links } : {}) }, parent);
  const active = trace.setSpan(parent, span);
  processContexts.set(envelope, active);
  try {
    const failure = context.with(active, work);
    if (failure !== undefined) recordFailure(span, failure.error);
    return failure;
  } catch (error) {
    recordFailure(span, error);
    throw error;
  } finally {
    span.end();
  }
}
