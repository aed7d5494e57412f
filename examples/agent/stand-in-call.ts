import { setTimeout as delay } from 'node:timers/promises';
import { type RecordedCall, recordCall } from './call-log.ts';

/** How the stand-in services (model and tool) take a call. */
export interface StandInOptions {
  /** The append-only call log (`callLogPath(db)`). */
  callLog: string;
  /**
   * Real milliseconds before the answer, as a remote service takes: the window in which a call
   * is in flight, and a SIGKILL finds it unanswered.
   */
  answerAfterMs: number;
  /** Told of each call once it is on disk and before it is answered (the driver kills on it). */
  announce?: (call: RecordedCall) => void;
}

/** Records the call (fsync'd), announces it, then waits out the answer time. */
export async function takeCall(options: StandInOptions, call: RecordedCall): Promise<void> {
  recordCall(options.callLog, call);
  options.announce?.(call);
  if (options.answerAfterMs > 0) await delay(options.answerAfterMs);
}
