import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { InvalidPatternError, InvalidTopicError, RecqError } from '../src/errors.ts';
import { assertPattern, assertTopic, compilePattern, compilePatterns, MAX_TOPIC_LENGTH, MAX_TOPIC_TOKENS, patternToGlob } from '../src/topic.ts';

const tokens = (count: number, token = 'a'): string => Array.from({ length: count }, () => token).join('.');
/** A string of exactly `length` characters made of valid tokens. */
const ofLength = (length: number): string => 'x'.repeat(length);

/** How an error message shows a value: strings quoted as JSON, long values cut short. */
function shownPrefix(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value).slice(0, 100);
  if (value === undefined) return 'undefined';
  return JSON.stringify(value);
}

function caught(action: () => void): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to throw');
}

describe('assertTopic', () => {
  it.each([
    ['a'],
    ['orders'],
    ['orders.placed'],
    ['orders.placed.eu'],
    ['Orders.Placed'],
    ['A-b_c.0-9'],
    ['_'],
    ['-'],
    ['123.456'],
    [tokens(MAX_TOPIC_TOKENS)],
    [ofLength(MAX_TOPIC_LENGTH)],
    [`${ofLength(MAX_TOPIC_LENGTH - 2)}.b`],
  ])('accepts %j', (topic) => {
    expect(() => assertTopic(topic)).not.toThrow();
  });

  it.each<[string, unknown, string]>([
    ['an empty string', '', 'it is empty'],
    ['an empty middle token', 'a..b', 'token 2 is empty'],
    ['a leading dot', '.a', 'token 1 is empty'],
    ['a trailing dot', 'a.', 'token 2 is empty'],
    ['a lone dot', '.', 'token 1 is empty'],
    ['a space', 'orders placed', 'outside [A-Za-z0-9_-]'],
    ['a slash', 'orders/placed', 'outside [A-Za-z0-9_-]'],
    ['a colon', 'orders:placed', 'outside [A-Za-z0-9_-]'],
    ['a non-ASCII letter', 'bestellungen.größe', 'outside [A-Za-z0-9_-]'],
    ['a trailing newline', 'orders\n', 'outside [A-Za-z0-9_-]'],
    ['a GLOB bracket', 'orders.[a]', 'outside [A-Za-z0-9_-]'],
    ['a GLOB question mark', 'orders.?', 'outside [A-Za-z0-9_-]'],
    ['a * wildcard', 'orders.*', 'wildcards belong in subscriptions'],
    ['a > wildcard', 'orders.>', 'wildcards belong in subscriptions'],
    ['a lone *', '*', 'wildcards belong in subscriptions'],
    ['a lone >', '>', 'wildcards belong in subscriptions'],
    ['a * inside a token', 'orders.a*', 'outside [A-Za-z0-9_-]'],
    ['one token too many', tokens(MAX_TOPIC_TOKENS + 1), `${MAX_TOPIC_TOKENS + 1} tokens, over the limit of ${MAX_TOPIC_TOKENS}`],
    ['one character too many', ofLength(MAX_TOPIC_LENGTH + 1), `${MAX_TOPIC_LENGTH + 1} characters, over the limit of ${MAX_TOPIC_LENGTH}`],
    ['a number', 42, 'expected a string, got number'],
    ['null', null, 'expected a string, got null'],
    ['undefined', undefined, 'expected a string, got undefined'],
    ['an object', { topic: 'orders' }, 'expected a string, got object'],
    ['an array', ['orders', 'placed'], 'expected a string, got object'],
    ['a boolean', true, 'expected a string, got boolean'],
  ])('refuses %s with InvalidTopicError naming the value', (_name, topic, reason) => {
    const error = caught(() => assertTopic(topic));
    expect(error).toBeInstanceOf(InvalidTopicError);
    expect(error).toBeInstanceOf(RecqError);
    const typed = error as InvalidTopicError;
    expect(typed.code).toBe('INVALID_TOPIC');
    expect(typed.name).toBe('InvalidTopicError');
    expect(typed.topic).toEqual(topic);
    expect(typed.message).toContain(`Invalid topic ${shownPrefix(topic)}`);
    expect(typed.message).toContain(reason);
  });
});

describe('assertPattern', () => {
  it.each([
    ['*'],
    ['>'],
    ['orders'],
    ['orders.placed'],
    ['orders.*'],
    ['orders.>'],
    ['*.placed'],
    ['a.*.c'],
    ['*.*'],
    ['*.>'],
    ['*.*.>'],
    [tokens(MAX_TOPIC_TOKENS, '*')],
    [`${tokens(MAX_TOPIC_TOKENS - 1, '*')}.>`],
    [ofLength(MAX_TOPIC_LENGTH)],
  ])('accepts %j', (pattern) => {
    expect(() => assertPattern(pattern)).not.toThrow();
  });

  it.each<[string, unknown, string]>([
    ['an empty string', '', 'it is empty'],
    ['an empty middle token', 'a..b', 'token 2 is empty'],
    ['an empty token between wildcards', '*..>', 'token 2 is empty'],
    ['a leading dot', '.a', 'token 1 is empty'],
    ['a trailing dot', 'a.*.', 'token 3 is empty'],
    ['> before a token', '>.a', "'>' may only be the last token"],
    ['> in the middle', 'a.>.b', "'>' may only be the last token"],
    ['> twice', '>.>', "'>' may only be the last token"],
    ['* glued after a literal', 'a*', 'mixes wildcards'],
    ['* glued before a literal', '*b', 'mixes wildcards'],
    ['> glued after a literal', 'a>', 'mixes wildcards'],
    ['> glued before a literal', '>b', 'mixes wildcards'],
    ['a double *', '**', 'mixes wildcards'],
    ['* glued inside a later token', 'orders.placed*', 'mixes wildcards'],
    ['a GLOB question mark', 'orders.?', 'outside [A-Za-z0-9_-]'],
    ['a GLOB bracket', 'orders.[ab]', 'outside [A-Za-z0-9_-]'],
    ['a space', 'orders. *', 'outside [A-Za-z0-9_-]'],
    ['one token too many', tokens(MAX_TOPIC_TOKENS + 1, '*'), `${MAX_TOPIC_TOKENS + 1} tokens, over the limit of ${MAX_TOPIC_TOKENS}`],
    ['one character too many', ofLength(MAX_TOPIC_LENGTH + 1), `${MAX_TOPIC_LENGTH + 1} characters, over the limit of ${MAX_TOPIC_LENGTH}`],
    ['a number', 7, 'expected a string, got number'],
    ['null', null, 'expected a string, got null'],
    ['an array of patterns', ['orders.*'], 'expected a string, got object'],
  ])('refuses %s with InvalidPatternError naming the value', (_name, pattern, reason) => {
    const error = caught(() => assertPattern(pattern));
    expect(error).toBeInstanceOf(InvalidPatternError);
    const typed = error as InvalidPatternError;
    expect(typed.code).toBe('INVALID_PATTERN');
    expect(typed.name).toBe('InvalidPatternError');
    expect(typed.pattern).toEqual(pattern);
    expect(typed.message).toContain(`Invalid subscription pattern ${shownPrefix(pattern)}`);
    expect(typed.message).toContain(reason);
  });

  it('refuses an invalid pattern when compiling it, too', () => {
    const error = caught(() => compilePattern('a.>.b'));
    expect(error).toBeInstanceOf(InvalidPatternError);
    expect((error as InvalidPatternError).message).toContain('"a.>.b"');
    expect(() => compilePatterns(['orders.*', 'a*'])).toThrow(InvalidPatternError);
  });
});

/** [pattern, topic, matches] under NATS subject semantics. */
const MATCH_CASES: readonly [string, string, boolean][] = [
  // literal tokens: exact, whole-token and case-sensitive
  ['orders.placed', 'orders.placed', true],
  ['orders.placed', 'Orders.placed', false],
  ['orders.placed', 'orders.Placed', false],
  ['orders.placed', 'orders', false],
  ['orders.placed', 'orders.placed.eu', false],
  ['orders.placed', 'orders.placedx', false],
  ['orders', 'orders', true],
  ['orders', 'order', false],
  // '*' matches exactly one token
  ['*', 'orders', true],
  ['*', 'orders.placed', false],
  ['orders.*', 'orders.placed', true],
  ['orders.*', 'orders', false],
  ['orders.*', 'orders.placed.eu', false],
  ['orders.*', 'ordersx.placed', false],
  ['orders.*', 'Orders.placed', false],
  ['*.placed', 'orders.placed', true],
  ['*.placed', 'orders.Placed', false],
  ['*.placed', 'placed', false],
  ['*.placed', 'a.orders.placed', false],
  ['a.*.c', 'a.b.c', true],
  ['a.*.c', 'a.xyz.c', true],
  ['a.*.c', 'a.c', false],
  ['a.*.c', 'a.b.d', false],
  ['a.*.c', 'a.b.b.c', false],
  ['a.*.c', 'a.b.c.d', false],
  ['*.*', 'a.b', true],
  ['*.*', 'a', false],
  ['*.*', 'a.b.c', false],
  // '>' matches one or more trailing tokens, never zero
  ['>', 'orders', true],
  ['>', 'orders.placed.eu', true],
  ['orders.>', 'orders.placed', true],
  ['orders.>', 'orders.placed.eu', true],
  ['orders.>', 'orders', false],
  ['orders.>', 'ordersx.placed', false],
  ['orders.>', 'Orders.placed', false],
  ['orders.>', 'shop.orders.placed', false],
  ['*.>', 'a', false],
  ['*.>', 'a.b', true],
  ['*.>', 'a.b.c', true],
  ['*.*.>', 'a.b', false],
  ['*.*.>', 'a.b.c', true],
  ['a.*.>', 'a.b', false],
  ['a.*.>', 'a.b.c', true],
  ['a.*.>', 'x.b.c', false],
  // the limits
  [tokens(MAX_TOPIC_TOKENS, '*'), tokens(MAX_TOPIC_TOKENS), true],
  [tokens(MAX_TOPIC_TOKENS, '*'), tokens(MAX_TOPIC_TOKENS - 1), false],
  [`${tokens(MAX_TOPIC_TOKENS - 1, '*')}.>`, tokens(MAX_TOPIC_TOKENS), true],
  [`${tokens(MAX_TOPIC_TOKENS - 1, '*')}.>`, tokens(MAX_TOPIC_TOKENS - 1), false],
];

describe('compilePattern', () => {
  it.each(MATCH_CASES)('%j matching %j is %s', (pattern, topic, expected) => {
    expect(compilePattern(pattern)(topic)).toBe(expected);
  });

  it('compilePatterns matches a topic when any of its patterns does, and only then', () => {
    const match = compilePatterns(['orders.*', 'payments.>', 'audit']);
    expect(match('orders.placed')).toBe(true);
    expect(match('payments.card.captured')).toBe(true);
    expect(match('audit')).toBe(true);
    expect(match('orders.placed.eu')).toBe(false);
    expect(match('payments')).toBe(false);
    expect(match('audit.x')).toBe(false);
    // the cache must give the same answer the second time
    expect(match('orders.placed.eu')).toBe(false);
    expect(match('orders.placed')).toBe(true);
  });

  it('compilePatterns of no patterns matches nothing', () => {
    expect(compilePatterns([])('orders.placed')).toBe(false);
  });
});

describe('patternToGlob', () => {
  const db = new Database(':memory:');
  const glob = db.prepare('SELECT ? GLOB ?').pluck();
  const globMatches = (topic: string, pattern: string): boolean => glob.get(topic, patternToGlob(pattern)) === 1;
  afterAll(() => db.close());

  const patterns = [...new Set(MATCH_CASES.map(([pattern]) => pattern))];
  const topics = [...new Set(MATCH_CASES.map(([, topic]) => topic))];

  it.each(MATCH_CASES.filter(([, , expected]) => expected))('the GLOB of %j accepts %j, which the pattern matches', (pattern, topic) => {
    expect(globMatches(topic, pattern)).toBe(true);
  });

  it('accepts every topic its pattern matches, over every pattern and topic of the table', () => {
    const missed: string[] = [];
    for (const pattern of patterns) {
      const match = compilePattern(pattern);
      for (const topic of topics) {
        if (match(topic) && !globMatches(topic, pattern)) missed.push(`${pattern} ~ ${topic} (glob ${patternToGlob(pattern)})`);
      }
    }
    expect(missed).toEqual([]);
  });

  it('is exact for patterns without wildcards, which the log reads with GLOB alone', () => {
    const wrong: string[] = [];
    for (const pattern of patterns.filter((p) => !p.includes('*') && !p.includes('>'))) {
      for (const topic of topics) {
        if (globMatches(topic, pattern) !== compilePattern(pattern)(topic)) wrong.push(`${pattern} ~ ${topic}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('over-matches where the exact match must run in code', () => {
    // '*' in GLOB spans dots, so the log filters these rows out after reading them.
    expect(globMatches('a.b.c', 'a.*')).toBe(true);
    expect(compilePattern('a.*')('a.b.c')).toBe(false);
  });
});
