import { InvalidPatternError, InvalidTopicError } from './errors.ts';

/** Longest topic or pattern, in characters. */
export const MAX_TOPIC_LENGTH = 255;
/** Most tokens in a topic or pattern. */
export const MAX_TOPIC_TOKENS = 16;

const TOKEN = /^[A-Za-z0-9_-]+$/;

/**
 * The first token of recq's own topics: `$input.<consumer>` holds the input records of one
 * consumer (its timers' firings, its children's outcomes and events). Producers cannot publish
 * there, a consumer's host appends them under its lease, and no wildcard matches them: they are
 * routed to the consumer they name and read only by name.
 */
export const INPUT_TOKEN = '$input';

/** The topic of `consumer`'s input records. */
export const inputTopicOf = (consumer: string): string => `${INPUT_TOKEN}.${consumer}`;

/** Whether `topic` is a topic of input records (`$input.<consumer>`). */
export const isInputTopic = (topic: string): boolean => topic.startsWith(`${INPUT_TOKEN}.`);

/** The consumer an input topic names. */
export const consumerOfInput = (topic: string): string => topic.slice(INPUT_TOKEN.length + 1);

/**
 * Refuses an input topic where `appender` may not write it: a producer (no appender) never,
 * a consumer's host only its own (`$input.<its consumer>`).
 */
export function assertAppendable(topic: string, appender?: string): void {
  if (!isInputTopic(topic) || consumerOfInput(topic) === appender) return;
  throw new InvalidTopicError(
    topic,
    appender === undefined
      ? `${INPUT_TOKEN} topics hold recq's own input records, which a consumer's host appends under its lease; publish under a topic of your own`
      : `consumer ${appender} may append its own input records (${inputTopicOf(appender)}) only`,
  );
}

function checkShape(value: unknown, fail: (reason: string) => Error): string[] {
  if (typeof value !== 'string') throw fail(`expected a string, got ${value === null ? 'null' : typeof value}`);
  if (value.length === 0) throw fail('it is empty');
  if (value.length > MAX_TOPIC_LENGTH) throw fail(`it is ${value.length} characters, over the limit of ${MAX_TOPIC_LENGTH}`);
  const tokens = value.split('.');
  if (tokens.length > MAX_TOPIC_TOKENS) throw fail(`it has ${tokens.length} tokens, over the limit of ${MAX_TOPIC_TOKENS}`);
  return tokens;
}

/**
 * Checks that `topic` is a publishable topic: dot-separated tokens of `[A-Za-z0-9_-]`.
 * Wildcards are not allowed in topics.
 *
 * @example
 * assertTopic('orders.placed'); // ok
 * assertTopic('orders.*');      // throws InvalidTopicError
 */
export function assertTopic(topic: unknown): asserts topic is string {
  if (typeof topic === 'string' && validTopics.has(topic)) return;
  const tokens = checkShape(topic, (reason) => new InvalidTopicError(topic, reason));
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i] as string;
    if (token.length === 0) throw new InvalidTopicError(topic, `token ${i + 1} is empty`);
    if (i === 0 && token === INPUT_TOKEN && tokens.length > 1) continue;
    if (!TOKEN.test(token)) {
      const what =
        token === '*' || token === '>' ? 'wildcards belong in subscriptions, not in topics' : `token "${token}" has a character outside [A-Za-z0-9_-]`;
      throw new InvalidTopicError(topic, what);
    }
  }
  if (validTopics.size >= 10_000) validTopics.clear();
  validTopics.add(topic as string);
}

// A system sees few distinct topics and many events: remember the ones already checked.
const validTopics = new Set<string>();

/**
 * Checks that `pattern` is a valid subscription: topic tokens, `*` for exactly one token,
 * `>` as the last token for one or more tokens (NATS semantics).
 *
 * @example
 * assertPattern('orders.*');   // ok
 * assertPattern('orders.>.x'); // throws InvalidPatternError
 */
export function assertPattern(pattern: unknown): asserts pattern is string {
  const tokens = checkShape(pattern, (reason) => new InvalidPatternError(pattern, reason));
  const input = tokens[0] === INPUT_TOKEN;
  if (input && (tokens.length === 1 || tokens.some((t) => t === '*' || t === '>'))) {
    throw new InvalidPatternError(pattern, `${INPUT_TOKEN} topics are read by name only: "${INPUT_TOKEN}.<consumer>"`);
  }
  for (let i = input ? 1 : 0; i < tokens.length; i++) {
    const token = tokens[i] as string;
    if (token.length === 0) throw new InvalidPatternError(pattern, `token ${i + 1} is empty`);
    if (token === '*') continue;
    if (token === '>') {
      if (i !== tokens.length - 1) throw new InvalidPatternError(pattern, "'>' may only be the last token");
      continue;
    }
    if (!TOKEN.test(token)) {
      throw new InvalidPatternError(pattern, `token "${token}" mixes wildcards with other characters or has a character outside [A-Za-z0-9_-]`);
    }
  }
}

/** A compiled test of topics against one pattern. */
export type TopicMatcher = (topic: string) => boolean;

/**
 * Compiles a validated pattern into a matcher. A wildcard never matches an input topic
 * (`$input.<consumer>`); only that topic, named in full, does.
 *
 * @example
 * const match = compilePattern('orders.>');
 * match('orders.placed.eu'); // true
 * match('orders');           // false: '>' needs at least one token
 */
export function compilePattern(pattern: string): TopicMatcher {
  assertPattern(pattern);
  if (!pattern.includes('*') && !pattern.includes('>')) return (topic) => topic === pattern;
  const tokens = pattern.split('.');
  const last = tokens[tokens.length - 1];
  const tail = last === '>';
  const fixed = tail ? tokens.length - 1 : tokens.length;
  return (topic) => {
    if (isInputTopic(topic)) return false;
    const parts = topic.split('.');
    if (tail ? parts.length <= fixed : parts.length !== fixed) return false;
    for (let i = 0; i < fixed; i++) {
      const token = tokens[i];
      if (token !== '*' && token !== parts[i]) return false;
    }
    return true;
  };
}

/**
 * Compiles a set of patterns into one matcher that accepts a topic matching any of them.
 * Results are cached per topic, since a system sees few distinct topics and many events.
 */
export function compilePatterns(patterns: readonly string[]): TopicMatcher {
  const matchers = patterns.map(compilePattern);
  const cache = new Map<string, boolean>();
  return (topic) => {
    let hit = cache.get(topic);
    if (hit === undefined) {
      hit = matchers.some((match) => match(topic));
      if (cache.size > 10_000) cache.clear();
      cache.set(topic, hit);
    }
    return hit;
  };
}

/**
 * A SQLite GLOB that accepts every topic the pattern matches (and possibly more), so the log
 * can narrow a read in SQL before the exact match runs in code.
 */
export function patternToGlob(pattern: string): string {
  return pattern
    .split('.')
    .map((token) => (token === '*' ? '*' : token === '>' ? '?*' : token))
    .join('.');
}
