import { describe, expect, it } from 'vitest';
import type { DeadLetter } from '../../src/css/records.ts';
import { fitLetters, MAX_LISTED_LETTERS } from '../../src/operator/worker-control.ts';

function letter(id: number, error = 'card declined'): DeadLetter {
  return {
    id,
    consumer: 'payments',
    seq: id,
    eventId: `e-${id}`,
    key: undefined,
    topic: 'payments.charged',
    event: '{"type":"charge"}',
    error,
    stack: undefined,
    attempts: 1,
    firstFailedAt: 1,
    lastFailedAt: 1,
    status: 'parked',
  };
}

/** What a worker's `deadLetters` control reply holds of a consumer's letters. */
describe('fitLetters', () => {
  it(`keeps the newest ${MAX_LISTED_LETTERS}, oldest first, and counts them all`, () => {
    const letters = Array.from({ length: 150 }, (_, i) => letter(i + 1));
    const page = fitLetters(letters, 1024 * 1024);
    expect(page.total).toBe(150);
    expect(page.letters.map((l) => l.id)).toEqual(Array.from({ length: MAX_LISTED_LETTERS }, (_, i) => i + 51));
  });

  it('drops the oldest letters that do not fit max_payload, and lists none if the newest alone does not fit', () => {
    const letters = [letter(1, 'x'.repeat(600)), letter(2, 'y'.repeat(600)), letter(3, 'z'.repeat(600))];
    const page = fitLetters(letters, 2000);
    expect(page).toMatchObject({ total: 3 });
    expect(page.letters.map((l) => l.id)).toEqual([2, 3]);
    expect(JSON.stringify({ ok: true, value: page }).length).toBeLessThan(2000);
    expect(fitLetters([letter(1, 'x'.repeat(3000))], 2000)).toEqual({ letters: [], total: 1 });
  });
});
