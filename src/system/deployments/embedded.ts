import { openDatabase } from '../../db.ts';
import { NotRegisteredError } from '../../errors.ts';
import { LogNode } from '../../sss/log-node.ts';
import { MemoryTransport } from '../../transport/memory.ts';
import type { Transport } from '../../transport/transport.ts';
import type { ResolvedOptions } from '../system-options.ts';
import { type Deployment, logNodeBasics } from './deployment.ts';

/**
 * The embedded deployment: one process, one SQLite file holding the log and every consumer's
 * store, and the in-process bus. A checkpoint's emitted events are appended to the log in the
 * checkpoint's own transaction, and that transaction checks the consumer's lease itself.
 *
 * @example
 * const deployment = embeddedDeployment(resolveOptions({ db: './shop.db', components }));
 */
export function embeddedDeployment(o: ResolvedOptions, transport?: Transport): Deployment {
  const bus =
    transport ??
    new MemoryTransport({ onObserverError: (error, envelope) => o.logger.error('an observer failed', { seq: envelope.seq, topic: envelope.topic, error }) });
  const db = openDatabase(o.db, o.durability, { busyTimeoutMs: o.busyTimeoutMs });
  let node: LogNode;
  try {
    node = new LogNode({ ...logNodeBasics(db, o, bus), waitForLease: o.waitForLease });
  } catch (error) {
    db.close();
    throw error;
  }
  return {
    role: 'embedded',
    db,
    node,
    hostLog: node.access,
    apiLog: node.access,
    transport: bus,
    commits: {
      sink: node.log,
      // The lease table is in the same file: the checkpoint checks the lease in its own transaction.
      fence: (held) => () => node.leases.assertCurrent(held.current ?? notHeld()),
    },
    attach() {},
    async close() {
      await bus.close();
      db.close();
    },
  };
}

const notHeld = (): never => {
  throw new NotRegisteredError(undefined, 'commit without a lease');
};
