import { RecqError, type WireError, wireNumber, wireText } from './recq-error.ts';

// Trust nothing on the wire: what a supervisor refuses because the sender could not prove it.

/**
 * A renewal, release, commit or relay that names the current epoch of a lease but not its
 * holder: the owner or the secret token it presented is not the one the lease was given with.
 * The epoch is public (a routes reply shows it); only the holder knows the token.
 */
export class LeaseNotHeldError extends RecqError {
  constructor(
    readonly resource: string,
    readonly epoch: number,
    readonly owner: string,
    wire?: WireError,
  ) {
    super(
      'LEASE_NOT_HELD',
      wire?.message ??
        `"${resource}" at epoch ${epoch} is not held by ${JSON.stringify(owner)} with the token presented: only the process that acquired the lease may renew, release or write under it. Register to take a lease of your own.`,
    );
  }

  static fromWire(wire: WireError): LeaseNotHeldError {
    return new LeaseNotHeldError(wireText(wire.resource), wireNumber(wire.epoch), wireText(wire.owner), wire);
  }
}
