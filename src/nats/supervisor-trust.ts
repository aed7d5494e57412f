/**
 * The supervisor incarnation a process serves as, and the one it trusts deliveries from. Its
 * log service, while it serves, says here which incarnation it is, and its transport stamps
 * that on every delivery it routes; its log client notes the incarnation of each reply, and
 * its transport applies a delivery live only when the delivery carries the trusted one. A
 * process creates one and hands the same object to its transport, log service and log client:
 * that sharing is what lets a host trust exactly the supervisor it last heard from.
 *
 * @example
 * const trust = new SupervisorTrust();
 * const transport = new NatsTransport({ connection, trust });
 * const access = new NatsLogAccess({ connection, trust });
 * await access.head(); // from now on, `transport` applies deliveries from that supervisor only
 */
export class SupervisorTrust {
  #serving: string | undefined;
  #heard: string | undefined;

  /** The incarnation this process's deliveries carry: its log service's, while it serves. */
  get serving(): string | undefined {
    return this.#serving;
  }

  /** The incarnation deliveries are applied live from: the last one a reply came from, or else this process's own. */
  get trusted(): string | undefined {
    return this.#heard ?? this.#serving;
  }

  /**
   * Whether a delivery stamped with `incarnation` comes from the trusted supervisor. Before
   * anything is known, only unstamped deliveries are: a stamped one names a supervisor this
   * process never heard from.
   */
  trusts(incarnation: string | undefined): boolean {
    return incarnation === this.trusted;
  }

  /** This process's log service serves as `incarnation` (until `stoppedServing`). */
  startedServing(incarnation: string): void {
    this.#serving = incarnation;
  }

  /** The log service of `incarnation` stopped; a newer one that started since keeps serving. */
  stoppedServing(incarnation: string): void {
    if (this.#serving === incarnation) this.#serving = undefined;
  }

  /** A reply came from the supervisor of `incarnation`. */
  heardFrom(incarnation: string): void {
    this.#heard = incarnation;
  }
}
