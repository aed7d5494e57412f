import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, beforeEach } from 'vitest';

/** The spans a test's code ended, as an SDK exports them. */
export interface RecordedSpans {
  /** Every span ended since the test began, in the order they ended. */
  all(): ReadableSpan[];
  /** The spans named `name`, in the order they ended. */
  named(name: string): ReadableSpan[];
  /** The one span named `name`; fails if there is none or more than one. */
  one(name: string): ReadableSpan;
}

/**
 * Registers an OpenTelemetry SDK for the test file, as an application would: a tracer provider
 * exporting to memory, and an AsyncLocalStorage context manager. Spans are cleared before each test.
 *
 * @example
 * const spans = recordSpans();
 * it('traces', async () => { ...; expect(spans.one('publish orders').kind).toBe(SpanKind.PRODUCER); });
 */
export function recordSpans(): RecordedSpans {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const contextManager = new AsyncLocalStorageContextManager();
  beforeAll(() => {
    context.setGlobalContextManager(contextManager.enable());
    trace.setGlobalTracerProvider(provider);
  });
  beforeEach(() => exporter.reset());
  afterAll(async () => {
    await provider.shutdown();
    trace.disable();
    context.disable();
  });
  const all = () => exporter.getFinishedSpans();
  const named = (name: string) => all().filter((span) => span.name === name);
  return {
    all,
    named,
    one(name) {
      const matching = named(name);
      if (matching.length !== 1)
        throw new Error(
          `expected one span named "${name}", found ${matching.length}: ${all()
            .map((s) => s.name)
            .join(', ')}`,
        );
      return matching[0] as ReadableSpan;
    },
  };
}

/** The id of a span, as `traceparent` holds it. */
export const spanId = (span: ReadableSpan): string => span.spanContext().spanId;

/** The `traceparent` of a sampled span, as recq stores it with the event the span published. */
export const traceparentOf = (span: ReadableSpan | undefined): string | undefined => span && `00-${span.spanContext().traceId}-${spanId(span)}-01`;
