import { closeSync, existsSync, fsyncSync, openSync, readFileSync, writeSync } from 'node:fs';

/** One call a stand-in service received, as its log keeps it. */
export interface RecordedCall {
  service: 'model' | 'tool';
  key: string;
  conversation: string;
  pid: number;
}

/** The call log sits next to the database, so every process on that file appends to the same one. */
export function callLogPath(db: string): string {
  return `${db}.calls`;
}

/**
 * Appends one call and fsyncs it before returning: a call that reached the service is on disk
 * before the service answers, so a SIGKILL cannot hide it from the count.
 */
export function recordCall(file: string, call: RecordedCall): void {
  const fd = openSync(file, 'a');
  try {
    writeSync(fd, `${JSON.stringify(call)}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Every complete line of the log, in the order the calls arrived. */
export function readCalls(file: string): RecordedCall[] {
  if (!existsSync(file)) return [];
  const lines = readFileSync(file, 'utf8').split('\n');
  // A line is complete only once its newline is written; the last element is what follows the last one.
  lines.pop();
  return lines.map((line) => JSON.parse(line) as RecordedCall);
}

/** How many times each idempotency key was called. */
export function countByKey(calls: readonly RecordedCall[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const call of calls) counts.set(call.key, (counts.get(call.key) ?? 0) + 1);
  return counts;
}
