import type { SystemRole } from './deployments/deployment.ts';
import type { ResolvedOptions } from './system-options.ts';

/** The supervisor's end states; a runner ends in `stopped`. */
const ENDED: readonly string[] = ['stopped', 'failed'];

/**
 * Says at info level that this process's part of the system started (what it runs, on which
 * file, as which owner). Returns what to call with each new state of the machine that ends it
 * (the supervisor, or in a worker the runner): it says once that the part stopped.
 */
export function logLifecycle(role: SystemRole, o: ResolvedOptions): (state: string) => void {
  const components = o.components.map((c) => c.name);
  const fields = { role, db: o.db, owner: o.owner, components };
  const runs = components.length > 0 ? `components ${components.join(', ')}` : 'no components';
  o.logger.info(`started (${role}): ${runs}, on ${o.db}, as ${o.owner}`, fields);
  let said = false;
  return (state) => {
    if (said || !ENDED.includes(state)) return;
    said = true;
    o.logger.info(`stopped (${role}) on ${o.db}${state === 'failed' ? ', after a failure' : ''}`, { ...fields, state });
  };
}
