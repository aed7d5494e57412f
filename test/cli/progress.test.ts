import { describe, expect, it } from 'vitest';
import { ProgressBar, type ProgressStream, waitingLine } from '../../src/cli/progress.ts';

/** A stream that records what is written to it, a terminal of `columns` or a pipe. */
function fakeStream(isTTY: boolean, columns = 80): ProgressStream & { written: string[] } {
  const written: string[] = [];
  return { isTTY, columns, written, write: (text: string) => written.push(text) };
}

describe('progress on a terminal', () => {
  it('redraws one line in place with the bar, percentage and counts, then closes it with a line of its own', () => {
    const stream = fakeStream(true);
    const bar = ProgressBar.on(stream, 'rebuilding jobs');
    expect(bar).toBeDefined();
    bar?.update(0, 10);
    bar?.update(5, 10);
    bar?.update(10, 10);
    bar?.done('recq: consumer jobs rebuilt up to seq 10');
    expect(stream.written).toEqual([
      `\r\x1b[Krebuilding jobs [${'-'.repeat(30)}]   0% 0/10`,
      `\r\x1b[Krebuilding jobs [${'#'.repeat(15)}${'-'.repeat(15)}]  50% 5/10`,
      `\r\x1b[Krebuilding jobs [${'#'.repeat(30)}] 100% 10/10`,
      '\r\x1b[Krecq: consumer jobs rebuilt up to seq 10\n',
    ]);
  });

  it('draws nothing when the line would not change, clamps counts past the total, and narrows the bar to the terminal', () => {
    const stream = fakeStream(true, 40);
    const bar = ProgressBar.on(stream, 'rebuilding jobs');
    bar?.update(3, 4);
    bar?.update(3, 4);
    bar?.update(9, 4);
    expect(stream.written).toEqual([
      `\r\x1b[Krebuilding jobs [${'#'.repeat(9)}${'-'.repeat(3)}]  75% 3/4`,
      `\r\x1b[Krebuilding jobs [${'#'.repeat(12)}] 100% 4/4`,
    ]);
    bar?.clear();
    bar?.clear();
    expect(stream.written.slice(2)).toEqual(['\r\x1b[K']);
  });

  it('gives no bar and no waiting line off a terminal, where readers want the outcome', () => {
    const pipe = fakeStream(false);
    expect(ProgressBar.on(pipe, 'rebuilding jobs')).toBeUndefined();
    waitingLine(pipe, 'waiting for it');
    expect(pipe.written).toEqual([]);
    const terminal = fakeStream(true);
    waitingLine(terminal, 'waiting up to 30 s for host-1 to pause consumer jobs; Ctrl-C stops waiting (the command stays queued)');
    expect(terminal.written).toEqual(['recq: waiting up to 30 s for host-1 to pause consumer jobs; Ctrl-C stops waiting (the command stays queued)\n']);
  });
});
