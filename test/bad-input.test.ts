import { beforeEach, describe, expect, it } from 'vitest';
import { assign, setup } from 'xstate';
import { SimulatedClock } from '../src/clock.ts';
import { type Component, defineComponent } from '../src/component/component.ts';
import type { AppendInput, EventObject } from '../src/envelope.ts';
import {
  InvalidComponentError,
  InvalidEnvelopeError,
  InvalidEventError,
  InvalidOptionError,
  InvalidPatternError,
  InvalidTopicError,
  NonJsonValueError,
  PayloadTooLargeError,
  RecqError,
  SystemStoppedError,
  UnknownComponentError,
  UnknownKeyError,
} from '../src/errors.ts';
import { silentLogger } from '../src/logging/logger.ts';
import { createSystem, type System, type SystemOptions } from '../src/system/system.ts';
import { useScratch } from './support/scratch.ts';
import { readTables } from './support/tables.ts';

const MAX_PAYLOAD_BYTES = 1024;

const counterMachine = setup({
  types: { context: {} as { count: number }, events: {} as { type: 'increment' } },
}).createMachine({
  id: 'counter',
  context: { count: 0 },
  on: { increment: { actions: assign({ count: ({ context }) => context.count + 1 }) } },
});

const auditMachine = setup({
  types: { context: {} as { seen: number }, events: {} as EventObject },
}).createMachine({
  id: 'audit',
  context: { seen: 0 },
  on: { '*': { actions: assign({ seen: ({ context }) => context.seen + 1 }) } },
});

const counter = defineComponent({ name: 'counter', logic: counterMachine, subscribe: 'counts.*', key: true });
const audit = defineComponent({ name: 'audit', logic: auditMachine, subscribe: ['orders.>'] });
const components: Component[] = [counter, audit];

type ErrorClass = abstract new (...args: never[]) => RecqError;

/** How an error message shows a bad value: strings as JSON, other values as JSON or their String form. */
function shown(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  return JSON.stringify(value) ?? String(value);
}

const scratch = useScratch();
let file: string;
let clock: SimulatedClock;

function start(options: Partial<SystemOptions> = {}): Promise<System> {
  return scratch.start({ db: file, components, clock, logger: silentLogger, maxPayloadBytes: MAX_PAYLOAD_BYTES, ...options });
}

beforeEach(() => {
  file = scratch.file();
  clock = new SimulatedClock(Date.UTC(2030, 0, 1));
});

/**
 * Runs `action` on a settled system and asserts it was refused with `expected`, whose message
 * names every string in `named`, and that no table of the SSS or CSS changed.
 */
async function expectRefused(
  system: System,
  action: () => unknown,
  expected: ErrorClass,
  code: string | undefined,
  named: readonly string[],
): Promise<RecqError> {
  await system.settled();
  const before = readTables(file);
  const head = await system.head();
  let failure: unknown;
  try {
    await action();
  } catch (error) {
    failure = error;
  }
  expect(failure, 'the call was not refused').toBeDefined();
  expect(failure).toBeInstanceOf(expected);
  const error = failure as RecqError;
  if (code === undefined) expect(error.code).toEqual(expect.any(String));
  else expect(error.code).toBe(code);
  for (const part of named) expect(error.message).toContain(part);
  await system.settled();
  expect(await system.head()).toBe(head);
  expect(readTables(file)).toEqual(before);
  return error;
}

describe('bad input to a running system', () => {
  let system: System;

  beforeEach(async () => {
    system = await start();
    await system.publish('counts.up', { type: 'increment' }, { key: 'c-1' });
    await system.publish('counts.up', { type: 'increment' }, { key: 'c-1' });
    await system.publish('counts.up', { type: 'increment' }, { key: 'c-2' });
    await system.publish('orders.placed', { type: 'order.placed' }, { key: 'o-1' });
    // a keyed component cannot take an event without a key: this one is parked
    await system.publish('counts.up', { type: 'increment' });
    await system.settled();
    const tables = readTables(file);
    // every table the checks compare holds rows, so a change to any of them would show
    expect(tables.events).toHaveLength(5);
    expect(tables.snapshots).toHaveLength(3);
    expect(tables.dead_letters).toHaveLength(1);
    expect(tables.consumers).toHaveLength(2);
    expect(tables.leases?.length).toBeGreaterThan(0);
  });

  it('notices a refusal that changed the store, so the checks below can fail', async () => {
    const sneaky = async () => {
      await system.publish('counts.up', { type: 'increment' }, { key: 'c-1' });
      throw new InvalidTopicError('counts..up', 'thrown after a write');
    };
    await expect(expectRefused(system, sneaky, InvalidTopicError, 'INVALID_TOPIC', ['"counts..up"'])).rejects.toThrow();
  });

  describe('topics', () => {
    it.each<[string, unknown]>([
      ['an empty token', 'orders..x'],
      ['a wildcard', 'orders.*'],
      ['a trailing wildcard', 'orders.>'],
      ['an empty string', ''],
      ['a number', 42],
      ['null', null],
    ])('refuses a topic with %s as InvalidTopicError naming it', async (_name, topic) => {
      const error = await expectRefused(system, () => system.publish(topic as string, { type: 'order.placed' }), InvalidTopicError, 'INVALID_TOPIC', [
        `Invalid topic ${shown(topic)}`,
      ]);
      expect((error as InvalidTopicError).topic).toEqual(topic);
    });
  });

  describe('payload size', () => {
    it('refuses an event over maxPayloadBytes as PayloadTooLargeError naming the topic and both sizes', async () => {
      const event = { type: 'order.placed', note: 'x'.repeat(2048) };
      const bytes = Buffer.byteLength(JSON.stringify(event));
      const error = await expectRefused(system, () => system.publish('orders.placed', event, { key: 'o-2' }), PayloadTooLargeError, 'PAYLOAD_TOO_LARGE', [
        '"orders.placed"',
        `${bytes} bytes`,
        `limit of ${MAX_PAYLOAD_BYTES} bytes`,
      ]);
      expect(error).toMatchObject({ topic: 'orders.placed', bytes, limit: MAX_PAYLOAD_BYTES });
    });

    it('counts bytes, not characters', async () => {
      // 400 characters, but 1,200 bytes of UTF-8
      const event = { type: 'order.placed', note: '€'.repeat(400) };
      const bytes = Buffer.byteLength(JSON.stringify(event));
      expect(JSON.stringify(event).length).toBeLessThan(MAX_PAYLOAD_BYTES);
      await expectRefused(system, () => system.publish('orders.placed', event), PayloadTooLargeError, 'PAYLOAD_TOO_LARGE', [`${bytes} bytes`]);
    });

    it('accepts an event of exactly maxPayloadBytes', async () => {
      const base = JSON.stringify({ type: 'order.placed', note: '' }).length;
      const event = { type: 'order.placed', note: 'x'.repeat(MAX_PAYLOAD_BYTES - base) };
      expect(Buffer.byteLength(JSON.stringify(event))).toBe(MAX_PAYLOAD_BYTES);
      await expect(system.publish('orders.placed', event)).resolves.toMatchObject({ seq: 6 });
    });
  });

  describe('events', () => {
    it.each<[string, unknown, string]>([
      ['a string', 'order.placed', 'got string'],
      ['an array', [{ type: 'order.placed' }], 'got an array'],
      ['null', null, 'got null'],
      ['undefined', undefined, 'got undefined'],
      ['a number', 7, 'got number'],
      ['an object without type', { total: 30 }, 'no "type"'],
      ['an empty type', { type: '' }, 'no "type"'],
      ['a numeric type', { type: 1 }, 'no "type"'],
      ['a reserved meta field', { type: 'order.placed', meta: { seq: 1 } }, '"meta" is reserved'],
    ])('refuses %s as InvalidEventError naming it', async (_name, event, reason) => {
      const error = await expectRefused(system, () => system.publish('orders.placed', event as EventObject), InvalidEventError, 'INVALID_EVENT', [
        `Invalid event ${shown(event)}`,
        reason,
      ]);
      expect((error as InvalidEventError).event).toEqual(event);
    });

    it.each<[string, (event: Record<string, unknown>) => void, string, string]>([
      ['a cycle', (e) => Object.assign(e, { self: e }), 'event.self', 'cycle'],
      ['a BigInt field', (e) => Object.assign(e, { total: 10n }), 'event.total', 'bigint'],
      ['NaN', (e) => Object.assign(e, { total: Number.NaN }), 'event.total', 'is NaN, which JSON stores as null'],
      ['Infinity in an array', (e) => Object.assign(e, { lines: [1, Number.POSITIVE_INFINITY] }), 'event.lines[1]', 'is Infinity'],
      ['a function', (e) => Object.assign(e, { callback: () => 1 }), 'event.callback', 'is a function'],
      ['an undefined field', (e) => Object.assign(e, { note: undefined }), 'event.note', 'is undefined, which JSON drops'],
      ['a Date', (e) => Object.assign(e, { at: new Date(0) }), 'event.at', 'is a Date, which JSON reads back as a string; use date.toISOString()'],
      ['a Map deep inside', (e) => Object.assign(e, { cart: { 'line items': new Map() } }), 'event.cart["line items"]', 'is a Map'],
    ])('refuses an event holding %s as NonJsonValueError naming its path', async (_name, spoil, path, reason) => {
      const event: Record<string, unknown> = { type: 'order.placed' };
      spoil(event);
      const error = await expectRefused(system, () => system.publish('orders.placed', event as unknown as EventObject), InvalidEventError, 'INVALID_EVENT', [
        path,
        reason,
      ]);
      expect(error).toBeInstanceOf(NonJsonValueError);
      expect((error as NonJsonValueError).path).toBe(path);
    });
  });

  describe('envelope fields', () => {
    it.each<[string, 'key' | 'id' | 'causation' | 'correlationId', unknown]>([
      ['a numeric key', 'key', 42],
      ['an object key', 'key', { id: 'c-1' }],
      ['an empty key', 'key', ''],
      ['a numeric id', 'id', 7],
      ['an array id', 'id', ['a']],
      ['an empty id', 'id', ''],
      ['an overlong id', 'id', 'i'.repeat(513)],
      ['a numeric causation', 'causation', 1],
      ['a boolean correlationId', 'correlationId', true],
    ])('refuses %s as InvalidEnvelopeError naming the field and value', async (_name, field, value) => {
      const shownValue = shown(value).slice(0, 60);
      const error = await expectRefused(
        system,
        () => system.publish('counts.up', { type: 'increment' }, { key: 'c-1', [field]: value }),
        InvalidEnvelopeError,
        'INVALID_ENVELOPE',
        [`'${field}' ${shownValue}`],
      );
      expect(error).toMatchObject({ field, value });
    });
  });

  describe('publishMany', () => {
    it.each<[string, AppendInput, ErrorClass, string, string]>([
      ['a bad topic', { topic: 'counts..up', event: { type: 'increment' }, key: 'c-1' }, InvalidTopicError, 'INVALID_TOPIC', '"counts..up"'],
      [
        'an event without type',
        { topic: 'counts.up', event: { kind: 'increment' } as never, key: 'c-1' },
        InvalidEventError,
        'INVALID_EVENT',
        '{"kind":"increment"}',
      ],
      ['a numeric key', { topic: 'counts.up', event: { type: 'increment' }, key: 5 as never }, InvalidEnvelopeError, 'INVALID_ENVELOPE', "'key' 5"],
      [
        'an oversize event',
        { topic: 'orders.placed', event: { type: 'order.placed', note: 'x'.repeat(2048) } as EventObject },
        PayloadTooLargeError,
        'PAYLOAD_TOO_LARGE',
        '"orders.placed"',
      ],
      ['a non-object input', 'counts.up' as never, InvalidEnvelopeError, 'INVALID_ENVELOPE', '"counts.up"'],
    ])('appends none of a batch with %s among good inputs', async (_name, bad, expected, code, named) => {
      const good = (n: number): AppendInput => ({ topic: 'counts.up', event: { type: 'increment' }, key: 'c-9', id: `good-${n}` });
      await expectRefused(system, () => system.publishMany([good(1), good(2), bad, good(3)]), expected, code, [named]);
      expect((await system.events({ after: 0 })).filter((e) => e.id.startsWith('good-'))).toEqual([]);
    });
  });

  describe('queries', () => {
    it('refuses an unknown component as UnknownComponentError naming it and the known ones', async () => {
      const error = await expectRefused(system, () => system.query('orders', 'o-1'), UnknownComponentError, 'UNKNOWN_COMPONENT', [
        '"orders"',
        'counter',
        'audit',
      ]);
      expect((error as UnknownComponentError).component).toBe('orders');
    });

    it('refuses dead letters of an unknown component as UnknownComponentError', async () => {
      await expectRefused(system, () => system.deadLetters('nope'), UnknownComponentError, 'UNKNOWN_COMPONENT', ['"nope"', 'counter, audit']);
    });

    it('refuses a key that never received an event as UnknownKeyError naming it', async () => {
      const error = await expectRefused(system, () => system.query('counter', 'c-404'), UnknownKeyError, 'UNKNOWN_KEY', ['"counter"', '"c-404"']);
      expect(error).toMatchObject({ component: 'counter', key: 'c-404' });
    });

    it('refuses a keyed query without a key as UnknownKeyError', async () => {
      await expectRefused(system, () => system.query('counter'), UnknownKeyError, 'UNKNOWN_KEY', ['"counter"', 'undefined']);
    });

    it('refuses a non-string key with a typed error naming it', async () => {
      await expectRefused(system, () => system.query('counter', { key: 'c-1' } as never), RecqError, undefined, ['{"key":"c-1"}']);
    });

    it('still answers good queries after the bad ones', async () => {
      await expect(system.query('counter', 'c-1')).resolves.toMatchObject({ key: 'c-1', context: { count: 2 } });
      await expect(system.query('audit')).resolves.toMatchObject({ context: { seen: 1 } });
    });
  });

  describe('component definitions', () => {
    it.each<[string, unknown, string]>([
      ['a > before the last token', 'orders.>.placed', "'>' may only be the last token"],
      ['an empty token', 'orders..placed', 'token 2 is empty'],
      ['a glued wildcard', 'orders.placed*', 'mixes wildcards'],
      ['an empty pattern', '', 'it is empty'],
      ['a numeric pattern', 5, 'expected a string'],
    ])('refuses a subscription with %s as InvalidPatternError naming it', async (_name, pattern, reason) => {
      await expectRefused(
        system,
        () => defineComponent({ name: 'bad', logic: counterMachine, subscribe: ['counts.*', pattern as string] }),
        InvalidPatternError,
        'INVALID_PATTERN',
        [`pattern ${shown(pattern)}`, reason],
      );
    });

    it.each<[string, unknown]>([
      ['a dot', 'order.view'],
      ['a space', 'order view'],
      ['an empty name', ''],
      ['a name over 64 characters', 'n'.repeat(65)],
      ['a number', 12],
    ])('refuses a component name with %s as InvalidComponentError naming it', async (_name, name) => {
      await expectRefused(
        system,
        () => defineComponent({ name: name as string, logic: counterMachine, subscribe: 'counts.*' }),
        InvalidComponentError,
        'INVALID_COMPONENT',
        [`Invalid component ${shown(name).slice(0, 60)}`, 'name must be'],
      );
    });

    it('refuses a component without subscriptions', async () => {
      await expectRefused(system, () => defineComponent({ name: 'idle', logic: counterMachine, subscribe: [] }), InvalidComponentError, 'INVALID_COMPONENT', [
        '"idle"',
        'at least one topic pattern',
      ]);
    });

    it('refuses a component checkpoint policy with negative maxEvents, as the system options do', async () => {
      await expectRefused(
        system,
        () => defineComponent({ name: 'eager', logic: counterMachine, subscribe: 'counts.*', checkpoint: { maxEvents: -1 } }),
        RecqError,
        undefined,
        ['maxEvents', '-1'],
      );
    });
  });

  describe('system options', () => {
    it('refuses duplicate component names as InvalidOptionError naming the name', async () => {
      const twin = defineComponent({ name: 'counter', logic: counterMachine, subscribe: 'other.*' });
      await expectRefused(
        system,
        () => createSystem({ db: file, components: [counter, audit, twin], clock, logger: silentLogger }),
        InvalidOptionError,
        'INVALID_OPTION',
        ['components', '"counter"', 'unique'],
      );
    });

    it.each<[string, Partial<SystemOptions>, string, string]>([
      ['a negative checkpoint.maxEvents', { checkpoint: { maxEvents: -1 } }, 'checkpoint.maxEvents', '-1'],
      ['a zero checkpoint.maxEvents', { checkpoint: { maxEvents: 0 } }, 'checkpoint.maxEvents', '0'],
      ['a negative checkpoint.maxDelayMs', { checkpoint: { maxDelayMs: -5 } }, 'checkpoint.maxDelayMs', '-5'],
      ['an unknown durability', { durability: 'fast' as never }, 'durability', '"fast"'],
      ['a zero leaseTtlMs', { leaseTtlMs: 0 }, 'leaseTtlMs', '0'],
      ['a zero readPageSize', { readPageSize: 0 }, 'readPageSize', '0'],
      ['a negative passivateAfterMs', { passivateAfterMs: -1 }, 'passivateAfterMs', '-1'],
      ['components that are not an array', { components: 'counter' as never }, 'components', '"counter"'],
    ])('refuses %s as InvalidOptionError naming the option and value', async (_name, options, option, value) => {
      const error = await expectRefused(
        system,
        () => createSystem({ db: file, components, clock, logger: silentLogger, ...options }),
        InvalidOptionError,
        'INVALID_OPTION',
        [`${option} = ${value}`],
      );
      expect((error as InvalidOptionError).option).toBe(option);
    });

    it('names a NaN option as NaN, not as null', async () => {
      await expectRefused(
        system,
        () => createSystem({ db: file, components, clock, logger: silentLogger, leaseTtlMs: Number.NaN }),
        InvalidOptionError,
        'INVALID_OPTION',
        ['leaseTtlMs = NaN'],
      );
    });

    it('refuses a zero maxPayloadBytes as InvalidOptionError, not as a lease conflict', async () => {
      await expectRefused(
        system,
        () => createSystem({ db: file, components, clock, logger: silentLogger, maxPayloadBytes: 0 }),
        InvalidOptionError,
        'INVALID_OPTION',
        ['maxPayloadBytes = 0'],
      );
    });
  });
});

describe('bad options on a fresh file', () => {
  it('leave the file free for the next system after refusing maxPayloadBytes', async () => {
    await expect(createSystem({ db: file, components, clock, logger: silentLogger, maxPayloadBytes: -1 })).rejects.toBeInstanceOf(InvalidOptionError);
    // the refused system must not keep the log's lease (or the file) open
    const system = await start();
    await expect(system.publish('orders.placed', { type: 'order.placed' })).resolves.toMatchObject({ seq: 1 });
  });
});

describe('a stopped system', () => {
  it('refuses publish and publishMany with SystemStoppedError and changes nothing', async () => {
    const system = await start();
    await system.publish('orders.placed', { type: 'order.placed' }, { key: 'o-1' });
    await system.settled();
    await system.stop();
    const before = readTables(file);

    const error = await system.publish('orders.placed', { type: 'order.placed' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SystemStoppedError);
    expect(error).toMatchObject({ code: 'SYSTEM_STOPPED', message: expect.stringContaining('Cannot publish') });
    await expect(system.publishMany([{ topic: 'orders.placed', event: { type: 'order.placed' } }])).rejects.toBeInstanceOf(SystemStoppedError);
    await expect(system.settled()).rejects.toBeInstanceOf(SystemStoppedError);
    // a bad publish after stop is still refused as stopped, whatever else is wrong with it
    await expect(system.publish('orders..x', { type: '' })).rejects.toBeInstanceOf(SystemStoppedError);
    expect(readTables(file)).toEqual(before);
  });

  it('refuses queries and reads with SystemStoppedError', async () => {
    const system = await start();
    await system.publish('counts.up', { type: 'increment' }, { key: 'c-1' });
    await system.settled();
    await system.stop();
    await expect(system.query('counter', 'c-1')).rejects.toBeInstanceOf(SystemStoppedError);
    await expect(system.events()).rejects.toBeInstanceOf(SystemStoppedError);
    await expect(system.status()).rejects.toBeInstanceOf(SystemStoppedError);
    await expect(system.head()).rejects.toBeInstanceOf(SystemStoppedError);
    expect(() => system.deadLetters()).toThrow(SystemStoppedError);
  });
});
