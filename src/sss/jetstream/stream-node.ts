import type { JetStreamClient, JetStreamManager } from 'nats';
import type { SupervisorWork } from '../../../actors/supervisor.machine.ts';
import { NotLeadingError, StreamConfigError, SystemStoppedError } from '../../errors.ts';
import { LocalLogAccess } from '../local-log-access.ts';
import type { LogNodeOptions } from '../log-node.ts';
import { type LogService, serveLog } from '../nats/log-service.ts';
import { Router } from '../router.ts';
import { createSupervisorTable, type SupervisorRecord, storeSupervisorState } from '../tables/supervisor-state.ts';
import { EpochClaim } from './epoch-claim.ts';
import { Liveness } from './liveness.ts';
import { StreamIndex } from './stream-index.ts';
import { StreamLog } from './stream-log.ts';
import { ensureLogStream, openLivenessBucket, type StreamPlace } from './stream-setup.ts';
import { StreamTail } from './stream-tail.ts';
import { StreamWriter } from './stream-writer.ts';
import { type SupervisorReport, SupervisorReports } from './supervisor-reports.ts';
import { TermLeaseTable } from './term-leases.ts';

/** A log node's options, with the NATS connection required and where the stream is. */
export interface StreamNodeOptions extends Omit<LogNodeOptions, 'nats' | 'waitForLease'> {
  nats: NonNullable<LogNodeOptions['nats']>;
  place: StreamPlace;
}

/**
 * What the supervisor machine drives when the log is a JetStream stream shared by several
 * supervisors: open (the stream, the liveness bucket, the local index), stand by (tail the
 * stream, watch the leader's liveness, claim the next epoch when it lapses), lead (append
 * through the `StreamWriter`, beat the liveness entry, serve the log and route it), and step
 * down when an append is refused.
 */
export class StreamNode implements SupervisorWork {
  readonly index: StreamIndex;
  readonly log: StreamLog;
  readonly leases: TermLeaseTable;
  readonly router: Router;
  readonly access: LocalLogAccess;
  readonly renewEveryMs: number;
  readonly #o: StreamNodeOptions;
  readonly #js: JetStreamClient;
  readonly #tail: StreamTail;
  readonly #deposedListeners = new Set<(error: unknown) => void>();
  #jsm: JetStreamManager | undefined;
  #liveness: Liveness | undefined;
  #reports: SupervisorReports | undefined;
  #writer: StreamWriter | undefined;
  #service: LogService | undefined;
  #state: SupervisorRecord | undefined;
  #claim: EpochClaim | undefined;
  #closed = false;
  #wasDeposed = false;

  constructor(options: StreamNodeOptions) {
    this.#o = options;
    this.renewEveryMs = Math.max(1, Math.floor(options.place.livenessTtlMs / 3));
    this.#js = options.nats.connection.jetstream({ timeout: options.place.ackTimeoutMs });
    this.index = new StreamIndex(options.db);
    this.log = new StreamLog(options.db, this.index, {
      clock: options.clock,
      maxPayloadBytes: options.maxPayloadBytes,
      onListenerError: (error) => options.logger.error('a commit listener failed; the commit itself stands', { error }),
    });
    this.leases = new TermLeaseTable(options.db, options.clock);
    this.router = new Router(options.transport);
    createSupervisorTable(options.db);
    this.access = new LocalLogAccess(this.log, this.leases, this.router, options.leaseTtlMs, () => this.#state);
    this.#tail = new StreamTail({ js: this.#js, stream: options.place.stream, index: this.index, logger: options.logger });
  }

  /** The epoch this process leads at, or undefined while it stands by. */
  get leadingEpoch(): number | undefined {
    return this.#writer && !this.#writer.failure ? this.#writer.epoch : undefined;
  }

  recordState(state: string): void {
    this.#state = { owner: this.#o.owner, state, since: this.#o.clock.now() };
    try {
      storeSupervisorState(this.#o.db, this.#state);
    } catch (error) {
      this.#o.logger.warn('could not record the supervisor state', { state, error });
    }
  }

  async open(): Promise<void> {
    this.#jsm = await this.#o.nats.connection.jetstreamManager({ timeout: this.#o.place.ackTimeoutMs });
    await ensureLogStream(this.#jsm, this.#o.place);
    const bucket = await openLivenessBucket(this.#o.nats.connection, this.#o.place);
    this.#liveness = new Liveness(bucket);
    this.#reports = new SupervisorReports(bucket);
  }

  retryOpenAfter(error: unknown): { ms: number; why: string } | undefined {
    if (this.#closed || error instanceof StreamConfigError) return undefined;
    return { ms: 1000, why: `JetStream is not available yet (${error instanceof Error ? error.message : String(error)})` };
  }

  /** Stands by until this process wins an epoch: tails the stream, and claims the next epoch once the leader's liveness lapses. */
  async lead(): Promise<void> {
    const liveness = this.#liveness;
    if (!liveness) throw new Error('lead() before open()');
    this.#claim = new EpochClaim({
      js: this.#js,
      subject: this.#o.place.subject,
      index: this.index,
      tail: this.#tail,
      liveness,
      clock: this.#o.clock,
      logger: this.#o.logger,
      owner: this.#o.owner,
      checkEveryMs: this.renewEveryMs,
      livenessTtlMs: this.#o.place.livenessTtlMs,
      ackTimeoutMs: this.#o.place.ackTimeoutMs,
      // A deposed leader's own entry says nothing about a restart: it waits for the entry to lapse like any standby,
      // so a leader whose appends are refused for a reason that lasts claims at most once per time-to-live.
      claimOwnEntry: !this.#wasDeposed,
      onLook: () => this.#report('standby', this.index.epoch),
    });
    const epoch = await this.#claim.won();
    this.#claim = undefined;
    if (this.#closed) throw new SystemStoppedError('lead the log');
    const writer = new StreamWriter({
      js: this.#js,
      subject: this.#o.place.subject,
      index: this.index,
      clock: this.#o.clock,
      epoch,
      ackTimeoutMs: this.#o.place.ackTimeoutMs,
      committed: (envelopes) => this.log.announce(envelopes),
      deposed: (error) => this.#deposed(error),
      onUnconfirmed: (cause) =>
        this.#o.logger.warn(`an append at epoch ${epoch} was not confirmed; sending the unconfirmed records again, in order, until the stream answers`, {
          error: cause,
        }),
    });
    this.#writer = writer;
    // The consumers' leases are those the stream holds: their holders keep them, at their epochs.
    this.leases.beginTerm(epoch, this.#o.leaseTtlMs, this.index.leases(), (entry) => writer.recordLease(entry));
    this.log.lead(writer);
    this.#o.logger.warn(`leads the log at epoch ${epoch}, from seq ${this.index.head}`, {});
    await liveness.beat({ owner: this.#o.owner, epoch }).catch((error: unknown) => this.#o.logger.warn('could not write the liveness entry', { error }));
    this.#report('leading', epoch);
  }

  async serve(): Promise<void> {
    this.#service = await serveLog({ ...this.#o.nats, access: this.access, logger: this.#o.logger });
  }

  onDeposed(deposed: (error: unknown) => void): () => void {
    this.#deposedListeners.add(deposed);
    return () => this.#deposedListeners.delete(deposed);
  }

  /**
   * Beats the liveness entry, and checks that nobody else has written the stream since (a
   * leader that was paused past its liveness and writes nothing learns so here).
   */
  renew(): void {
    const writer = this.#writer;
    if (!writer || writer.failure || this.#closed) return;
    const beat = () => {
      if (this.#writer !== writer || writer.failure) return;
      void this.#liveness
        ?.beat({ owner: this.#o.owner, epoch: writer.epoch })
        .catch((error: unknown) => this.#o.logger.warn('could not write the liveness entry', { error }));
      this.#report('leading', writer.epoch);
    };
    // Checked before the beat, so a leader resumed after a pause does not advertise a term it lost.
    void this.#jsm?.streams.info(this.#o.place.stream).then(
      (info) => {
        if (this.#writer !== writer || writer.failure) return;
        if (info.state.last_seq <= writer.lastSent) return beat();
        writer.stop(
          new NotLeadingError('lead the log', writer.epoch, `the stream is at seq ${info.state.last_seq}, past this leader's last write ${writer.lastSent}`),
        );
        this.#deposed(writer.failure as unknown as NotLeadingError);
      },
      // The stream may be electing a leader: the entry is a hint, keep it fresh.
      beat,
    );
  }

  isLeaseLost(): boolean {
    return false;
  }

  /** After being deposed: stops serving and routing, and reads the stream again from the index head. */
  async stepDown(): Promise<void> {
    await this.#service?.stop();
    this.#service = undefined;
    for (const consumer of Object.keys(this.router.routes())) this.router.unregister(consumer);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#claim?.cancel();
    this.leases.endTerm();
    const writer = this.#writer;
    await this.#service?.stop();
    await this.#tail.stop();
    this.log.close();
    // A clean stop hands over at once: a standby need not wait the liveness out.
    if (writer && !writer.failure) await this.#liveness?.clear(this.#o.owner).catch(() => {});
    await this.#reports?.withdraw(this.#o.owner).catch(() => {});
    writer?.stop(new NotLeadingError('append to the log', writer.epoch, 'it stopped'));
  }

  /** Stops at once, as a crash would: in-flight appends are refused, the liveness entry is left to lapse. */
  async halt(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#claim?.cancel();
    this.leases.endTerm();
    this.log.abandon(new SystemStoppedError('publish (the system was halted)'));
    await this.#service?.stop();
    await this.#tail.stop();
  }

  /** Says, for `recq status --nats`, what this supervisor does now; a report that cannot be written is left to lapse. */
  #report(role: SupervisorReport['role'], epoch: number): void {
    void this.#reports?.put({ owner: this.#o.owner, role, epoch, indexed: this.index.head, time: this.#o.clock.now() }).catch(() => {});
  }

  #deposed(error: NotLeadingError): void {
    this.#writer = undefined;
    this.#wasDeposed = true;
    this.leases.endTerm();
    this.log.lead(undefined, () => error);
    this.#o.logger.warn(`steps down from epoch ${error.epoch}: ${error.message}`, { error });
    for (const listener of this.#deposedListeners) listener(error);
  }
}
