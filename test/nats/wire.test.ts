import { describe, expect, it } from 'vitest';
import type { Envelope } from '../../src/envelope.ts';
import { InvalidTopicError, LeaseHeldError, MalformedMessageError, PayloadTooLargeError, RecqError, StaleEpochError } from '../../src/errors.ts';
import { subjectsFor } from '../../src/nats/subjects.ts';
import { errorFromWire, errorToWire } from '../../src/nats/wire-error.ts';
import type { HeaderReader } from '../../src/nats/wire-message.ts';
import { decodeReply, encodeErrorReply, encodeOkReply } from '../../src/sss/nats/wire-reply.ts';
import { decodeRequest } from '../../src/sss/nats/wire-request.ts';
import { decodeDeliveries, encodeDeliveries } from '../../src/transport/wire-delivery.ts';

const wire: HeaderReader = { get: (name) => (name === 'Recq-Wire' ? '1' : '') };
const envelope: Envelope = { seq: 3, id: 'e-3', topic: 'orders.placed', time: 5, event: { type: 'order.placed', total: 2 }, key: 'o-1' };

describe('wire format', () => {
  it('names subjects under a namespace and refuses namespaces that are not one token', () => {
    const subjects = subjectsFor('shop');
    expect([subjects.route('billing'), subjects.event('orders.placed'), subjects.observe('orders.>'), subjects.sss('read'), subjects.sssAll]).toEqual([
      'shop.route.billing',
      'shop.evt.orders.placed',
      'shop.evt.orders.>',
      'shop.sss.read',
      'shop.sss.*',
    ]);
    expect(subjectsFor().route('billing')).toBe('recq.route.billing');
    expect(subjects.opOf('shop.sss.heartbeat')).toBe('heartbeat');
    expect(subjects.opOf('shop.sss.drop')).toBeUndefined();
    for (const bad of ['', 'a.b', 'a*', 'x'.repeat(33), 7]) expect(() => subjectsFor(bad as string)).toThrow(/Invalid option namespace/);
  });

  it('round-trips a delivery and refuses one whose envelope or prev is wrong, saying which field', () => {
    expect(decodeDeliveries(JSON.stringify({ prev: 2, envelope }), wire)).toEqual({ ok: true, value: [{ envelope, prev: 2 }] });
    const bad = (body: unknown) => {
      const decoded = decodeDeliveries(JSON.stringify(body), wire);
      return decoded.ok ? 'accepted' : decoded.error.message;
    };
    expect(bad({ envelope: { ...envelope, seq: 1.5 }, prev: 0 })).toMatch(/envelope\.seq is 1\.5, expected an integer >= 1/);
    expect(bad({ envelope: { ...envelope, id: '' }, prev: 0 })).toMatch(/envelope\.id is "", expected a non-empty string/);
    expect(bad({ envelope: { ...envelope, time: 'now' }, prev: 0 })).toMatch(/envelope\.time is "now", expected a finite number/);
    expect(bad({ envelope: { ...envelope, event: { total: 1 } }, prev: 0 })).toMatch(/envelope\.event\.type is missing/);
    expect(bad({ envelope: { ...envelope, key: 4 }, prev: 0 })).toMatch(/envelope\.key is 4/);
    expect(bad({ envelope: { ...envelope, topic: 'orders.*' }, prev: 0 })).toMatch(/Invalid topic "orders\.\*"/);
    expect(bad({ envelope })).toMatch(/prev is missing/);
    expect(bad([1, 2])).toMatch(/delivery is \[1,2\], expected an object/);
    expect(decodeDeliveries(new Uint8Array([0xff, 0xfe]), wire)).toMatchObject({ ok: false, error: { code: 'MALFORMED_MESSAGE' } });
    expect(decodeDeliveries(JSON.stringify({ prev: 2, envelope }), { get: () => '2' })).toMatchObject({
      ok: false,
      error: { message: expect.stringMatching(/header Recq-Wire is "2", expected "1"/) },
    });
  });

  it('round-trips a batch of deliveries, chaining each prev to the seq before it, and refuses a batch out of order', () => {
    const next: Envelope = { ...envelope, seq: 9, id: 'e-9' };
    const batch = encodeDeliveries(2, [JSON.stringify(envelope), JSON.stringify(next)]);
    expect(decodeDeliveries(batch, wire)).toEqual({
      ok: true,
      value: [
        { envelope, prev: 2 },
        { envelope: next, prev: 3 },
      ],
    });
    const refused = decodeDeliveries(encodeDeliveries(2, [JSON.stringify(next), JSON.stringify(envelope)]), wire);
    expect(refused).toMatchObject({ ok: false, error: { message: expect.stringMatching(/envelopes\[1\]\.seq is 3, expected seqs increasing from prev/) } });
    expect(decodeDeliveries(encodeDeliveries(3, [JSON.stringify(envelope)]), wire)).toMatchObject({
      ok: false,
      error: { message: expect.stringMatching(/prev is 3/) },
    });
    expect(decodeDeliveries(encodeDeliveries(0, []), wire)).toMatchObject({
      ok: false,
      error: { message: expect.stringMatching(/envelopes is \[\], expected at least one envelope/) },
    });
  });

  it('turns reply errors back into the RecqError subclass their code names', () => {
    const roundTrip = (error: RecqError) => errorFromWire(JSON.parse(JSON.stringify(errorToWire(error))));
    const stale = roundTrip(new StaleEpochError('consumer:billing', 3, 4));
    expect(stale).toBeInstanceOf(StaleEpochError);
    expect(stale).toMatchObject({
      code: 'STALE_EPOCH',
      resource: 'consumer:billing',
      epoch: 3,
      currentEpoch: 4,
      message: new StaleEpochError('consumer:billing', 3, 4).message,
    });
    expect(roundTrip(new LeaseHeldError('consumer:billing', 'w1', 9))).toMatchObject({ owner: 'w1', expiresAt: 9 });
    expect(roundTrip(new LeaseHeldError('consumer:billing', 'w1', 9))).toBeInstanceOf(LeaseHeldError);
    const topic = roundTrip(new InvalidTopicError('a..b', 'token 2 is empty'));
    expect(topic).toBeInstanceOf(InvalidTopicError);
    expect(topic.message).toBe(new InvalidTopicError('a..b', 'token 2 is empty').message);
    expect(roundTrip(new PayloadTooLargeError('docs', 10, 5))).toBeInstanceOf(PayloadTooLargeError);
    const unknown = errorFromWire({ code: 'SOMETHING_NEW', message: 'a newer supervisor said no' });
    expect(unknown).toBeInstanceOf(RecqError);
    expect([unknown.constructor, unknown.code, unknown.message]).toEqual([RecqError, 'SOMETHING_NEW', 'a newer supervisor said no']);
  });

  it('decodes replies with their incarnation, and refuses replies of the wrong shape', () => {
    expect(decodeReply('head', encodeOkReply(7, 'inc-1'), wire)).toEqual({ ok: true, value: 7, incarnation: 'inc-1' });
    const refused = decodeReply('heartbeat', encodeErrorReply(new StaleEpochError('consumer:b', 1, 2), 'inc-2'), wire);
    expect(refused.ok).toBe(false);
    expect(refused.incarnation).toBe('inc-2');
    expect(!refused.ok && refused.error).toBeInstanceOf(StaleEpochError);
    const wrong = decodeReply('register', encodeOkReply({ watermark: 1 }, 'inc-3'), wire);
    expect(!wrong.ok && wrong.error).toBeInstanceOf(MalformedMessageError);
    expect(!wrong.ok && wrong.error.message).toMatch(/Malformed register reply: value\.lease is missing/);
  });

  it('validates requests field by field before anything runs', () => {
    const message = (op: 'append' | 'register' | 'heartbeat', body: unknown) => {
      const decoded = decodeRequest(op, JSON.stringify(body), wire);
      return decoded.ok ? 'accepted' : decoded.error.message;
    };
    expect(message('append', { inputs: [{}], lease: { resource: 'consumer:b', epoch: 0 } })).toMatch(/lease\.epoch is 0, expected an integer >= 1/);
    expect(message('register', { consumer: 'b', patterns: [], owner: 'w' })).toMatch(/patterns is \[\], expected an array of 1-1000 items/);
    expect(message('heartbeat', { lease: { resource: 'consumer:b', owner: 'w', epoch: 1 } })).toMatch(/lease\.expiresAt is missing/);
    expect(decodeRequest('append', JSON.stringify({ inputs: [{ anything: true }] }), wire)).toEqual({
      ok: true,
      value: { op: 'append', inputs: [{ anything: true }] },
    });
  });
});
