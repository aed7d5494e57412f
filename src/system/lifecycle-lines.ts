import { supervisorStateOf } from '../../actors/supervisor.machine.ts';
import type { SystemRole } from './deployments/deployment.ts';
import type { Machines } from './deployments/machines.ts';
import type { ResolvedOptions } from './system-options.ts';

/** The supervisor's end states; a runner ends in `stopped`. */
const ENDED: readonly string[] = ['stopped', 'failed'];

/**
 * Says at info level that this process's part of the system started (what it runs, on which
 * file, as which owner), and later that it stopped: when the supervisor ends, or, in a worker,
 * the runner.
 */
export function logLifecycle({ supervisor, runner }: Machines, role: SystemRole, o: ResolvedOptions): void {
  const components = o.components.map((c) => c.name);
  const fields = { role, db: o.db, owner: o.owner, components };
  const runs = components.length > 0 ? `components ${components.join(', ')}` : 'no components';
  o.logger.info(`started (${role}): ${runs}, on ${o.db}, as ${o.owner}`, fields);
  let said = false;
  const ended = (state: string | undefined) => {
    if (said || state === undefined || !ENDED.includes(state)) return;
    said = true;
    o.logger.info(`stopped (${role}) on ${o.db}${state === 'failed' ? ', after a failure' : ''}`, { ...fields, state });
  };
  if (supervisor) supervisor.subscribe({ next: (snapshot) => ended(supervisorStateOf(snapshot.value)), error: () => {} });
  else runner?.view.subscribe((snapshot) => ended(snapshot.context.runner));
}
