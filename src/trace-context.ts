/**
 * The W3C Trace Context an event carries in its envelope: the values of the `traceparent`
 * and `tracestate` headers of the span that published (or emitted) it. The process span of
 * every consumer that applies the event is a child of it, and links to it.
 *
 * @example
 * const trace: TraceContext = { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', tracestate: 'vendor=v1' };
 */
export interface TraceContext {
  /** `version-traceid-spanid-flags`, lowercase hex, e.g. `00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01`. */
  traceparent: string;
  /** Vendor entries, `key=value` separated by commas; at most 512 characters. */
  tracestate?: string;
}

/** The longest `tracestate` stored: W3C asks every vendor to pass on at least this much. */
export const MAX_TRACESTATE_LENGTH = 512;

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-[0-9a-zA-Z-]*)?$/;
const ZERO_TRACE_ID = '0'.repeat(32);
const ZERO_SPAN_ID = '0'.repeat(16);
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

/** Why `traceparent` is not a W3C traceparent, or undefined if it is one. */
export function traceparentProblem(traceparent: unknown): string | undefined {
  if (typeof traceparent !== 'string') return 'traceparent must be a string';
  const match = TRACEPARENT.exec(traceparent);
  if (!match) return 'traceparent must be "<2 hex version>-<32 hex trace id>-<16 hex span id>-<2 hex flags>", lowercase';
  const [, version, traceId, spanId] = match;
  if (version === 'ff') return 'traceparent version ff is invalid';
  if (version === '00' && match[5] !== undefined) return 'a version 00 traceparent has exactly four fields';
  if (traceId === ZERO_TRACE_ID) return 'the trace id of traceparent is all zeros';
  if (spanId === ZERO_SPAN_ID) return 'the span id of traceparent is all zeros';
  return undefined;
}

/** Why `value` is not a `TraceContext` recq stores, or undefined if it is one. */
export function traceContextProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'expected { traceparent, tracestate? }';
  const { traceparent, tracestate, ...rest } = value as Record<string, unknown>;
  const extra = Object.keys(rest);
  if (extra.length > 0) return `it has fields other than traceparent and tracestate (${extra.join(', ')})`;
  const problem = traceparentProblem(traceparent);
  if (problem) return problem;
  if (tracestate === undefined) return undefined;
  if (typeof tracestate !== 'string') return 'tracestate must be a string';
  if (tracestate.length > MAX_TRACESTATE_LENGTH) return `tracestate is longer than ${MAX_TRACESTATE_LENGTH} characters`;
  const entries = tracestate.split(',').map((entry) => entry.trim());
  if (!PRINTABLE_ASCII.test(tracestate) || entries.some((entry) => entry !== '' && !/^[^=]+=[^=]+$/.test(entry))) {
    return 'tracestate must be comma-separated key=value entries of printable ASCII';
  }
  return undefined;
}

/**
 * The trace context as stored: `undefined` for none, a copy holding only its two fields
 * (an empty `tracestate` is left out). Call after `traceContextProblem` found nothing.
 */
export function storedTraceContext(value: TraceContext | undefined | null): TraceContext | undefined {
  if (value === undefined || value === null) return undefined;
  return value.tracestate ? { traceparent: value.traceparent, tracestate: value.tracestate } : { traceparent: value.traceparent };
}

/**
 * The trace context in a record read back from storage another writer may reach (a stream
 * record, a row): a malformed one is dropped rather than the event refused, since the event
 * itself is sound and tracing is advisory.
 */
export function readTraceContext(value: unknown): TraceContext | undefined {
  if (value === undefined || value === null) return undefined;
  return traceContextProblem(value) === undefined ? storedTraceContext(value as TraceContext) : undefined;
}

/** The trace context a row's `traceparent` and `tracestate` columns hold, if any. */
export function traceContextOfColumns(traceparent: string | null | undefined, tracestate: string | null | undefined): TraceContext | undefined {
  if (traceparent === null || traceparent === undefined) return undefined;
  return readTraceContext(tracestate === null || tracestate === undefined ? { traceparent } : { traceparent, tracestate });
}
