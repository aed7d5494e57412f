import type { Logger } from '../../src/index.ts';

/** A logger that records lines and lets a test wait for one. */
export function listeningLogger() {
  const lines: string[] = [];
  let waiters: { pattern: RegExp; resolve: (line: string) => void }[] = [];
  const write = (message: string) => {
    lines.push(message);
    waiters = waiters.filter((w) => {
      if (!w.pattern.test(message)) return true;
      w.resolve(message);
      return false;
    });
  };
  const logger: Logger = { info: write, warn: write, error: write };
  const next = (pattern: RegExp) => {
    const seen = lines.find((line) => pattern.test(line));
    if (seen) return Promise.resolve(seen);
    return new Promise<string>((resolve) => waiters.push({ pattern, resolve }));
  };
  /** Waits for a line not seen before this call. */
  const nextNew = (pattern: RegExp) => new Promise<string>((resolve) => waiters.push({ pattern, resolve }));
  return { logger, lines, next, nextNew };
}
