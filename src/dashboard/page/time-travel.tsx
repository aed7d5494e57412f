import type { DashboardActor, DashboardReplay } from '../wire.ts';
import { timeOf, typeOf } from './api.ts';
import { InputRecord, inputValue } from './input-record.tsx';

/** Where the actor view stands in a replay: 0 is the start, n is after the replay's nth step. */
export interface Travel {
  replay: DashboardReplay;
  at: number;
}

/** What the actor view shows at a point of a replay: the state after that step (or at the start). */
export function shownAt(travel: Travel): { value: unknown; context: unknown; status: string; seq: number | undefined } {
  const step = travel.replay.steps[travel.at - 1];
  return step ? { value: step.value, context: step.context, status: step.status, seq: step.event.seq } : { ...travel.replay.start, seq: undefined };
}

/**
 * Previous and next buttons and a slider over an actor's replayed history (its events and input
 * records); the panel shows the state after the chosen one. Says what is worth knowing at that
 * step (a record that changed nothing) and for the whole replay (what is still pending at its end).
 */
export function TimeTravelBar(props: { travel: Travel; actor: DashboardActor; onMove(at: number): void; onLeave(): void }) {
  const { replay, at } = props.travel;
  const last = replay.steps.length;
  const step = replay.steps[at - 1];
  const end = replay.steps[last - 1] ?? replay.start;
  const matchesNow = JSON.stringify(end.value) === JSON.stringify(props.actor.value) && JSON.stringify(end.context) === JSON.stringify(props.actor.context);
  return (
    <div class="travel" data-testid="time-travel">
      <div class="travel-controls">
        <button type="button" aria-label="Previous step" disabled={at === 0} onClick={() => props.onMove(at - 1)}>
          ◀
        </button>
        <input type="range" aria-label="step" min={0} max={last} value={at} onInput={(e) => props.onMove(Number(e.currentTarget.value))} />
        <button type="button" aria-label="Next step" disabled={at === last} onClick={() => props.onMove(at + 1)}>
          ▶
        </button>
        <button type="button" onClick={props.onLeave}>
          Back to now
        </button>
      </div>
      <p data-testid="travel-step">
        {step ? (
          <>
            Step {at} of {last}: after <span class="seq">#{step.event.seq}</span>{' '}
            {step.event.input ? (
              <>
                <InputRecord input={step.event.input} />
                {step.event.input.value !== null && <span class="json"> {inputValue(step.event.input)}</span>}
              </>
            ) : (
              <code>{typeOf(step.event.event)}</code>
            )}{' '}
            <span class="muted">{timeOf(step.event.time)}</span>
          </>
        ) : (
          <>Step 0 of {last}: the actor as it starts, before its first event</>
        )}
      </p>
      {step?.failed && <p class="error-text">This event failed ({step.failed}): the system dead-lettered it and the actor went on without it.</p>}
      {step?.notes.map((n) => (
        <p class="gap" key={n}>
          {n}.
        </p>
      ))}
      {at === last && (
        <p class={matchesNow ? 'muted' : 'gap'}>
          {matchesNow
            ? 'The replay ends where the actor is now.'
            : 'The replay ends elsewhere than the actor is now (see the notes, or events it has not applied yet).'}
        </p>
      )}
      {replay.notes.map((n) => (
        <p class="gap" key={n}>
          {n}
        </p>
      ))}
    </div>
  );
}
