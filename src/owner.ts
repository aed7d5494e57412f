import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';

/**
 * This process's default identity in leases: `host:pid:random`. The host and pid let another
 * process on the same machine tell that the owner is gone (a crash), so a restart need not
 * wait for its dead predecessor's lease to expire.
 */
export function processOwner(): string {
  return `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
}

/**
 * True only when `owner` names a process on this machine that no longer runs. Owners of another
 * machine, owners named by hand (`worker-1`) and processes that still run are not known to be
 * gone: their leases are waited for. (A pid reused by a new process reads as alive, which errs
 * on the side of waiting.)
 *
 * @example
 * ownerIsGone(`${hostname()}:999999:ab12cd34`); // true if no process 999999 runs here
 * ownerIsGone('worker-1');                      // false: nothing to check
 */
export function ownerIsGone(owner: string): boolean {
  const match = /^(.+):(\d+):[0-9a-f]{8}$/.exec(owner);
  if (!match || match[1] !== hostname()) return false;
  const pid = Number(match[2]);
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    // EPERM: it runs, under another user.
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
