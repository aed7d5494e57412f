import { RecqError } from './recq-error.ts';
import { shown } from './shown.ts';

/**
 * A machine created a child from inline logic (`spawn(logic)` in `assign`, or `spawnChild(logic)`)
 * instead of logic named in `setup({ actors })`. XState persists such a child with its logic
 * object in place of a name, so no snapshot of it could be restored: recq refuses it at
 * registration or before the first checkpoint holds it, never after a restart.
 */
export class InlineSpawnError extends RecqError {
  /** Retrying cannot fix it: the event is dead-lettered at once. */
  readonly permanent = true;

  constructor(
    readonly component: string,
    readonly key: string | undefined,
    readonly state: unknown,
    readonly child: string,
  ) {
    super(
      'INVALID_COMPONENT',
      `Component "${component}"${key === undefined ? '' : ` key ${shown(key)}`} in state ${shown(state)} spawns child ${shown(child)} from inline logic, which no snapshot can restore. Name the logic in setup({ actors: { myLogic } }) and spawn it by name: spawn('myLogic').`,
    );
  }
}
