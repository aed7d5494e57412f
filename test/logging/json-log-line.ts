/**
 * A pattern for one JSON log line (as consoleLogger writes when stderr is not a terminal) at
 * `level` with message `msg` and at least `fields`, in any order; multiline, for a process's stderr.
 *
 * @example
 * await worker.waitFor(jsonLogLine('warn', 'NATS reconnected', { server }), 'the reconnect', { stream: 'stderr' });
 */
export function jsonLogLine(level: string, msg: string, fields: Record<string, unknown>): RegExp {
  const parts = Object.entries({ level, ...fields, msg }).map(
    ([name, value]) => `(?=[^\\n]*${escapeRegExp(`${JSON.stringify(name)}:${JSON.stringify(value)}`)}[,}])`,
  );
  return new RegExp(`^\\{${parts.join('')}[^\\n]*\\}$`, 'm');
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
