import { afterEach, describe, expect, it, vi } from 'vitest';
import { systemClock } from '../src/clock.ts';

describe('systemClock', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('waits the whole of a delay longer than a Node timer can hold (30 days), not at once', () => {
    vi.useFakeTimers({ now: 0 });
    const fired: number[] = [];
    systemClock.setTimeout(() => fired.push(Date.now()), 30 * 86_400_000);
    vi.advanceTimersByTime(2 ** 31);
    expect(fired).toEqual([]);
    vi.advanceTimersByTime(30 * 86_400_000 - 2 ** 31);
    expect(fired).toEqual([30 * 86_400_000]);
  });

  it('cancels a long timer in any of its steps', () => {
    vi.useFakeTimers({ now: 0 });
    const fired: number[] = [];
    const handle = systemClock.setTimeout(() => fired.push(Date.now()), 60 * 86_400_000);
    vi.advanceTimersByTime(2 ** 31 + 1000);
    systemClock.clearTimeout(handle);
    vi.advanceTimersByTime(60 * 86_400_000);
    expect(fired).toEqual([]);
  });
});
