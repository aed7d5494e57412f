import type { LogFields } from './log-types.ts';

/**
 * The fields of a line about one event of a consumer (or a timer or child outcome of one of its
 * actors): which component and consumer, which actor (`key`, null for a singleton), which seq.
 *
 * @example
 * logger.warn(`component ${name} parked seq ${seq}`, eventFields(name, consumer, key, seq, { topic }));
 */
export function eventFields(component: string, consumer: string, key: string | undefined, seq: number | undefined, more?: LogFields): LogFields {
  return { component, consumer, key: key ?? null, seq, ...more };
}
