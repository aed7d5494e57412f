import { createHash } from 'node:crypto';
import { InvalidConsumerError, InvalidOptionError } from '../errors.ts';
import { assertPattern, assertTopic } from '../topic.ts';

/** The namespace used when none is given: subjects start with `recq.`. */
export const DEFAULT_NAMESPACE = 'recq';

/** The request/reply operations the supervisor serves on `<ns>.sss.<op>`. */
export const SSS_OPS = ['append', 'read', 'head', 'routes', 'register', 'heartbeat', 'unregister'] as const;
export type SssOp = (typeof SSS_OPS)[number];

const NAMESPACE = /^[A-Za-z0-9_-]{1,32}$/;
const CONSUMER_TOKEN = /^[A-Za-z0-9_-]+$/;
const MAX_CONSUMER_LENGTH = 255;

/**
 * Checks that `namespace` can prefix NATS subjects: 1–32 letters, digits, '_' or '-'.
 *
 * @example
 * assertNamespace('recq-staging'); // ok
 * assertNamespace('a.b');          // throws InvalidOptionError
 */
export function assertNamespace(namespace: unknown): asserts namespace is string {
  if (typeof namespace !== 'string' || !NAMESPACE.test(namespace)) {
    throw new InvalidOptionError('namespace', namespace, "expected 1-32 letters, digits, '_' or '-' (it becomes the first token of every NATS subject)");
  }
}

/**
 * Checks that `consumer` can be the tail of a route subject: dot-separated tokens of
 * `[A-Za-z0-9_-]`. Wildcards or spaces would make a route reach the wrong consumers.
 *
 * @example
 * assertConsumer('order-saga'); // ok
 * assertConsumer('orders.*');   // throws InvalidConsumerError
 */
export function assertConsumer(consumer: unknown): asserts consumer is string {
  const fail = (reason: string) => new InvalidConsumerError(consumer, reason);
  if (typeof consumer !== 'string') throw fail(`expected a string, got ${consumer === null ? 'null' : typeof consumer}`);
  if (consumer.length === 0 || consumer.length > MAX_CONSUMER_LENGTH) throw fail(`expected 1-${MAX_CONSUMER_LENGTH} characters`);
  if (!consumer.split('.').every((token) => CONSUMER_TOKEN.test(token))) throw fail("expected dot-separated tokens of letters, digits, '_' or '-'");
}

/** The NATS subjects of one recq system. */
export interface Subjects {
  readonly namespace: string;
  /** Where the router delivers `{ envelope, prev }` for one consumer. */
  route(consumer: string): string;
  /** Where a committed event is announced once, for observers. */
  event(topic: string): string;
  /** What an observer of a recq topic pattern subscribes to (recq patterns are NATS wildcards). */
  observe(pattern: string): string;
  /** The topic an announcement subject carries, or undefined if the subject is not one. */
  topicOf(subject: string): string | undefined;
  /** Where the supervisor answers one request/reply operation. */
  sss(op: SssOp): string;
  /** What the supervisor subscribes to, to serve every operation. */
  readonly sssAll: string;
  /** The operation a request subject names, or undefined if it names none. */
  opOf(subject: string): SssOp | undefined;
  /** Where every process that runs hosts answers a status request (each replies; the asker collects). */
  readonly workerStatus: string;
  /** Where the process whose leases carry `owner` answers queries and operator commands for its consumers. */
  workerControl(owner: string): string;
}

/**
 * The subjects of a system under `namespace` (default `recq`), so that several systems can
 * share one NATS server without seeing each other's traffic.
 *
 * @example
 * const subjects = subjectsFor('shop');
 * subjects.route('order-saga');   // 'shop.route.order-saga'
 * subjects.event('orders.placed'); // 'shop.evt.orders.placed'
 * subjects.observe('orders.>');    // 'shop.evt.orders.>'
 * subjects.sss('append');          // 'shop.sss.append'
 * subjects.workerStatus;            // 'shop.status.workers'
 * subjects.workerControl('w-1');    // 'shop.control.<16 hex digits of the owner's hash>'
 */
export function subjectsFor(namespace: string = DEFAULT_NAMESPACE): Subjects {
  assertNamespace(namespace);
  const routePrefix = `${namespace}.route.`;
  const eventPrefix = `${namespace}.evt.`;
  const sssPrefix = `${namespace}.sss.`;
  const ops = new Set<string>(SSS_OPS);
  return {
    namespace,
    route(consumer) {
      assertConsumer(consumer);
      return routePrefix + consumer;
    },
    event(topic) {
      assertTopic(topic);
      return eventPrefix + topic;
    },
    observe(pattern) {
      assertPattern(pattern);
      return eventPrefix + pattern;
    },
    topicOf(subject) {
      return subject.startsWith(eventPrefix) ? subject.slice(eventPrefix.length) : undefined;
    },
    sss: (op) => sssPrefix + op,
    sssAll: `${sssPrefix}*`,
    opOf(subject) {
      if (!subject.startsWith(sssPrefix)) return undefined;
      const op = subject.slice(sssPrefix.length);
      return ops.has(op) ? (op as SssOp) : undefined;
    },
    workerStatus: `${namespace}.status.workers`,
    // Owners hold dots and colons (host names, pids): a hash makes one token of any of them.
    workerControl: (owner) => `${namespace}.control.${createHash('sha256').update(owner).digest('hex').slice(0, 16)}`,
  };
}
