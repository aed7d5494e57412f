import { RecqError, type WireError, wireNumber, wireText } from './recq-error.ts';

// One owner (invariant 6): a consumer or the log is written only by the holder of its lease.

/** Another owner holds the lease on a consumer or on the log. */
export class LeaseHeldError extends RecqError {
  constructor(
    readonly resource: string,
    readonly owner: string,
    readonly expiresAt: number,
    wire?: WireError,
  ) {
    super(
      'LEASE_HELD',
      wire?.message ?? `"${resource}" is owned by ${owner} until ${new Date(expiresAt).toISOString()}. Stop that process, or wait for its lease to expire.`,
    );
  }

  static fromWire(wire: WireError): LeaseHeldError {
    return new LeaseHeldError(wireText(wire.resource), wireText(wire.owner), wireNumber(wire.expiresAt), wire);
  }
}

/** A write from an owner whose lease epoch has been superseded. */
export class StaleEpochError extends RecqError {
  constructor(
    readonly resource: string,
    readonly epoch: number,
    readonly currentEpoch: number,
    wire?: WireError,
  ) {
    super(
      'STALE_EPOCH',
      wire?.message ??
        `Write to "${resource}" with epoch ${epoch} refused: another owner holds epoch ${currentEpoch}. This process no longer owns it and has stopped writing.`,
    );
  }

  static fromWire(wire: WireError): StaleEpochError {
    return new StaleEpochError(wireText(wire.resource), wireNumber(wire.epoch), wireNumber(wire.currentEpoch), wire);
  }
}

/** A consumer's host could not renew its lease in time: another worker may own the consumer now. */
export class LeaseExpiredError extends RecqError {
  constructor(readonly consumer: string) {
    super('LEASE_EXPIRED', `consumer ${consumer} could not renew its lease in time, so another worker may own it now; it stops writing and registers again`);
  }
}

/**
 * A write (commit, replay, append) from a process that holds no lease for it: a consumer that
 * has not registered, or (with `consumer` undefined) a supervisor without its lease on the log.
 *
 * @example
 * throw new NotRegisteredError('billing', 'commit'); // consumer billing has no lease; it cannot commit
 */
export class NotRegisteredError extends RecqError {
  constructor(
    readonly consumer: string | undefined,
    readonly action: string,
  ) {
    super(
      'NOT_REGISTERED',
      consumer === undefined
        ? `this process does not hold the lease on the log; it cannot ${action}`
        : `consumer ${consumer} has no lease; it cannot ${action}`,
    );
  }
}

/** A consumer's host was halted (its system is stopping, or it was fenced): it writes nothing more. */
export class HaltedError extends RecqError {
  constructor(readonly consumer: string) {
    super('HALTED', `consumer ${consumer} was halted`);
  }
}
