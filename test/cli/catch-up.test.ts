import { describe, expect, it } from 'vitest';
import { CatchUp, type CatchUpStatus, showCatchUp } from '../../src/cli/catch-up.ts';
import type { ProgressStream } from '../../src/cli/progress.ts';

function fakeStream(isTTY: boolean): ProgressStream & { written: string[] } {
  const written: string[] = [];
  return { isTTY, columns: 120, written, write: (text: string) => written.push(text) };
}

type Phase = CatchUpStatus['consumers'][number]['hostState'];

/** A status of `head` with each consumer at its offset, live unless a phase is given. */
function status(head: number, offsets: Record<string, number | [number, Phase]>): CatchUpStatus {
  return {
    head,
    consumers: Object.entries(offsets).map(([consumer, at]) => {
      const [offset, hostState] = typeof at === 'number' ? [at, 'live' as const] : at;
      return { consumer, offset, hostState };
    }),
  };
}

const CLEAR = '\r\x1b[K';
const line = (label: string, filled: number, percent: string, counts: string) =>
  `${CLEAR}${label} [${'#'.repeat(filled)}${'-'.repeat(30 - filled)}] ${percent} ${counts}`;

describe('the catch-up bar', () => {
  it('sums what the consumers behind applied toward the first head, and erases the bar once both reached it', () => {
    const stream = fakeStream(true);
    const catchUp = CatchUp.begin(stream, status(5000, { orders: 1000, payments: 3000, caughtUp: 5000 }));
    expect(catchUp?.update(status(5200, { orders: 3000, payments: 4000, caughtUp: 5200 }))).toBe(true);
    // payments reached the goal and counts in full; events published meanwhile do not move the goal.
    expect(catchUp?.update(status(5600, { orders: 4000, payments: 5600, caughtUp: 5600 }))).toBe(true);
    expect(catchUp?.update(status(5600, { orders: 5001, payments: 5600, caughtUp: 5600 }))).toBe(false);
    const label = 'catching up 2 consumers to seq 5000';
    expect(stream.written).toEqual([line(label, 0, '  0%', '0/6000'), line(label, 15, ' 50%', '3000/6000'), line(label, 25, ' 83%', '5000/6000'), CLEAR]);
  });

  it('names a single consumer, and stops waiting for one that stops moving (paused, blocked, standby, ...)', () => {
    const stream = fakeStream(true);
    const catchUp = CatchUp.begin(stream, status(3000, { orders: 0, other: [0, 'standby'] }));
    expect(catchUp?.update(status(3000, { orders: [1500, 'blocked'], other: [0, 'standby'] }))).toBe(false);
    expect(stream.written).toEqual([line('catching up orders to seq 3000', 0, '  0%', '0/3000'), CLEAR]);
  });

  it('shows nothing for a gap of at most 1000 events in all, for stalled consumers, or off a terminal', () => {
    const terminal = fakeStream(true);
    expect(CatchUp.begin(terminal, status(1000, { orders: 0 }))).toBeUndefined();
    expect(CatchUp.begin(terminal, status(1500, { orders: 1000, payments: 1000 }))).toBeUndefined();
    expect(CatchUp.begin(terminal, status(9000, { orders: [0, 'paused'], payments: [0, 'failed'] }))).toBeUndefined();
    expect(terminal.written).toEqual([]);
    const pipe = fakeStream(false);
    expect(CatchUp.begin(pipe, status(9000, { orders: 0 }))).toBeUndefined();
    let asked = 0;
    const stop = showCatchUp(
      {
        status: async () => {
          asked++;
          return status(9000, { orders: 0 }) as never;
        },
      },
      pipe,
    );
    stop();
    expect(asked).toBe(0);
    expect(pipe.written).toEqual([]);
  });

  it('showCatchUp draws from the first status and erases the bar when stopped before the consumers caught up', async () => {
    const stream = fakeStream(true);
    let answer!: () => void;
    const asked = new Promise<void>((resolve) => {
      answer = resolve;
    });
    const stop = showCatchUp(
      {
        status: async () => {
          answer();
          return status(4000, { orders: 2000 }) as never;
        },
      },
      stream,
    );
    await asked;
    await Promise.resolve();
    stop();
    expect(stream.written).toEqual([line('catching up orders to seq 4000', 0, '  0%', '0/2000'), CLEAR]);
  });
});
