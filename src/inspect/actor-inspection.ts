import type { AnyActorRef, InspectionEvent } from 'xstate';
import type { InspectionListener } from './inspect-option.ts';

/**
 * The id a component's actor has in XState, and so in an inspector: `component/key`, or the
 * component's name for a singleton.
 */
export const actorIdOf = (component: string, key: string | undefined): string => (key === undefined ? component : `${component}/${key}`);

/**
 * Streams a freshly created (not yet started) root actor's inspection events to `listener`:
 * the actor's own announcement (with its snapshot, the restored one for a restored actor), then
 * its events, snapshots, actions and children. Call it right after `createActor`: the cell's
 * journal has taken over the actor system's inspection sender by then (to see children created),
 * so this wraps it, and repeats the announcement the journal alone heard.
 */
export function inspectActor(actor: AnyActorRef, listener: InspectionListener): void {
  const system = actor.system as unknown as { _sendInspectionEvent: (event: InspectionEvent) => void };
  const journal = system._sendInspectionEvent;
  const rootId = actor.sessionId;
  system._sendInspectionEvent = (event) => {
    journal(event);
    listener({ ...event, rootId } as InspectionEvent);
  };
  listener({ type: '@xstate.actor', actorRef: actor, rootId });
}
