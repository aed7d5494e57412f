import { describe, expect, it } from 'vitest';
import {
  ExceedsMaxPayloadError,
  InvalidConsumerError,
  InvalidEnvelopeError,
  InvalidEventError,
  InvalidOptionError,
  InvalidPatternError,
  InvalidTopicError,
  LeaseHeldError,
  LogClosedError,
  MalformedMessageError,
  PayloadTooLargeError,
  RecqError,
  StaleEpochError,
  StorageError,
  SupervisorFailedError,
  SystemStoppedError,
} from '../../src/errors.ts';
import { errorFromWire, errorToWire } from '../../src/nats/wire-error.ts';

const overTheWire = (error: RecqError) => errorFromWire(JSON.parse(JSON.stringify(errorToWire(error))));

describe('errors on the wire', () => {
  it('keeps the version 1 format: code, message and the small fields of the error', () => {
    const error = new StaleEpochError('consumer:billing', 3, 4);
    expect(errorToWire(error)).toEqual({ code: 'STALE_EPOCH', message: error.message, resource: 'consumer:billing', epoch: 3, currentEpoch: 4 });
  });

  it.each([
    new InvalidTopicError('a..b', 'token 2 is empty'),
    new InvalidPatternError('a.>.b', "'>' must be the last token"),
    new InvalidEventError('not an event', 'expected an object'),
    new InvalidEnvelopeError('key', 7, 'expected a string'),
    new InvalidConsumerError('orders.*', 'expected tokens'),
    new InvalidOptionError('namespace', 'a.b', 'expected one token'),
    new PayloadTooLargeError('docs.uploaded', 2048, 1024),
    new LeaseHeldError('consumer:billing', 'w1', 9),
    new StaleEpochError('consumer:billing', 3, 4),
    new StorageError('append', Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' })),
    new SystemStoppedError('serve append'),
    new LogClosedError(),
    new MalformedMessageError('append request', 'inputs', 'is missing, expected an array'),
    new ExceedsMaxPayloadError('read reply', 2_000_000, 1_048_576, 12),
    new SupervisorFailedError('read', new Error('disk on fire')),
  ])('rebuilds $name with its own fields and the sender’s message', (error) => {
    const rebuilt = overTheWire(error);
    expect(rebuilt.constructor).toBe(error.constructor);
    expect(rebuilt.message).toBe(error.message);
    expect(errorToWire(rebuilt)).toEqual(errorToWire(error));
  });

  it('keeps a code it has no class for as a plain RecqError, even one named like a property of every object', () => {
    for (const code of ['SOMETHING_NEW', 'constructor', '__proto__']) {
      const error = errorFromWire({ code, message: 'a newer supervisor said no' });
      expect([error.constructor, error.code, error.message]).toEqual([RecqError, code, 'a newer supervisor said no']);
    }
  });
});
