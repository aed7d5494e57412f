import { type Context, context, ROOT_CONTEXT, SpanKind, trace } from '@opentelemetry/api';
import { ATTR, recordFailure, tracer, tracingEnabled } from './spans.ts';

/** A delayed event falling due in one actor: its timer name (`timer/<seq>/<id>`) and the id of the event that set it. */
export interface FiredTimer {
  consumer: string;
  component: string;
  key: string | undefined;
  timer: string;
  causation: string | undefined;
}

/**
 * Runs `fire`, one delayed event's firing, inside an INTERNAL span `timer <component>`, active
 * while the actor runs; `fire` gets the span's context, the parent of what the actor emits.
 * The span starts a new trace (the context of the event that set the timer is not kept with
 * it); `recq.causation` names that event. `fire` returns false when the actor failed, whose
 * `failure()` is then recorded.
 *
 * @example
 * const fired = timerSpan({ consumer, component: 'payments', key, timer: tag, causation }, (trace) => cell.fireTimer(timer, trace), () => cell.failure);
 */
export function timerSpan(fired: FiredTimer, fire: (trace: Context | undefined) => boolean, failure: () => unknown): boolean {
  if (!tracingEnabled()) return fire(undefined);
  const attributes: Record<string, string> = { [ATTR.component]: fired.component, [ATTR.consumer]: fired.consumer, [ATTR.timer]: fired.timer };
  if (fired.key !== undefined) attributes[ATTR.key] = fired.key;
  if (fired.causation !== undefined) attributes[ATTR.causation] = fired.causation;
  const span = tracer().startSpan(`timer ${fired.component}`, { kind: SpanKind.INTERNAL, attributes }, ROOT_CONTEXT);
  const active = trace.setSpan(ROOT_CONTEXT, span);
  try {
    const ok = context.with(active, () => fire(active));
    if (!ok) recordFailure(span, failure());
    return ok;
  } catch (error) {
    recordFailure(span, error);
    throw error;
  } finally {
    span.end();
  }
}
