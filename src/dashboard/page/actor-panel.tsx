import { useEffect, useState } from 'preact/hooks';
import type { DashboardActor, DashboardComponent, DashboardReplay } from '../wire.ts';
import { getJson, timeOf, timerLabel, typeOf } from './api.ts';
import { EffectsList } from './effects-list.tsx';
import { InputRecord, inputValue } from './input-record.tsx';
import { Statechart } from './statechart.tsx';
import { shownAt, TimeTravelBar, type Travel } from './time-travel.tsx';

export interface ActorChoice {
  component: string;
  key: string | undefined;
}

/** Search by component and key; the actor's statechart, state, context, pending timers, effects (its input records) and history, and time travel through it. */
export function ActorPanel(props: {
  components: readonly DashboardComponent[];
  watch: ActorChoice | undefined;
  actor: DashboardActor | undefined;
  error: string | undefined;
  onWatch(choice: ActorChoice): void;
}) {
  const [component, setComponent] = useState(props.watch?.component ?? '');
  const [key, setKey] = useState(props.watch?.key ?? '');
  const [travel, setTravel] = useState<Travel | undefined>(undefined);
  const [travelError, setTravelError] = useState<string | undefined>(undefined);
  useEffect(() => {
    setTravel(undefined);
    setTravelError(undefined);
    if (props.watch) {
      setComponent(props.watch.component);
      setKey(props.watch.key ?? '');
    }
  }, [props.watch]);
  useEffect(() => {
    if (!component && props.components[0]) setComponent(props.components[0].component);
  }, [props.components, component]);
  const definition = props.components.find((c) => c.component === props.actor?.component);
  const actor = props.actor;

  const startTravel = (target: DashboardActor) => {
    setTravelError(undefined);
    const q = new URLSearchParams({ component: target.component, ...(target.key === undefined ? {} : { key: target.key }) });
    getJson<DashboardReplay>(`/api/replay?${q}`).then(
      (replay) => setTravel({ replay, at: replay.steps.length }),
      (error: unknown) => setTravelError(error instanceof Error ? error.message : String(error)),
    );
  };
  const moveTo = (at: number) => setTravel((t) => (t ? { ...t, at: Math.max(0, Math.min(t.replay.steps.length, at)) } : t));
  const shown = travel ? shownAt(travel) : actor;

  return (
    <section class="panel actor">
      <h2>Actor</h2>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (component) props.onWatch({ component, key: key.trim() === '' ? undefined : key.trim() });
        }}
      >
        <select aria-label="component" value={component} onChange={(e) => setComponent(e.currentTarget.value)}>
          {props.components.map((c) => (
            <option key={c.component} value={c.component}>
              {c.component}
            </option>
          ))}
        </select>
        <input aria-label="key" placeholder="key (empty for a singleton)" value={key} onInput={(e) => setKey(e.currentTarget.value)} />
        <button type="submit">Show</button>
        {actor && !props.error && !travel && (
          <button type="button" onClick={() => startTravel(actor)}>
            Time travel
          </button>
        )}
      </form>
      {props.error && <p class="error-text">{props.error}</p>}
      {travelError && <p class="error-text">{travelError}</p>}
      {actor && shown && !props.error && (
        <div class="actor-body">
          <div class="actor-chart">
            {definition?.chart ? (
              <Statechart chart={definition.chart} value={shown.value} />
            ) : (
              <p class="muted">
                No statechart: the dashboard has not got this component's logic. Start it with the system's module (recq dashboard &lt;module&gt; --db FILE) or
                pass components to serveDashboard.
              </p>
            )}
          </div>
          <div class="actor-facts">
            {travel && <TimeTravelBar travel={travel} actor={actor} onMove={moveTo} onLeave={() => setTravel(undefined)} />}
            <p>
              <strong>{actor.key === undefined ? actor.component : `${actor.component} · ${actor.key}`}</strong> · {shown.status}
              {shown.seq === undefined ? '' : ` · seq ${shown.seq}`}
              {travel ? ' · replayed' : ''}
            </p>
            <p>
              state <code data-testid="state-value">{JSON.stringify(shown.value)}</code>
            </p>
            <h3>Context</h3>
            <pre data-testid="context">{JSON.stringify(shown.context, null, 2)}</pre>
            {!travel && (
              <>
                <h3>Pending timers</h3>
                {actor.unavailable.timers ? (
                  <p class="gap">{actor.unavailable.timers}.</p>
                ) : actor.timers.length === 0 ? (
                  <p class="muted">None.</p>
                ) : (
                  <ul class="timers">
                    {actor.timers.map((t) => (
                      <li key={t.id}>
                        <code>{timerLabel(typeOf(t.event))}</code> due {timeOf(t.due)}
                      </li>
                    ))}
                  </ul>
                )}
              </>
            )}
            <h3>Effects</h3>
            <EffectsList effects={actor.effects} />
            <h3>History</h3>
            {actor.history.length === 0 ? (
              <p class="muted">No events of this actor in the recent log.</p>
            ) : (
              <ol class="timeline">
                {actor.history.map((e) => {
                  const at = travel ? travel.replay.steps.findIndex((s) => s.event.seq === e.seq) + 1 : 0;
                  const selected = travel !== undefined && at === travel.at;
                  const label = e.input ? <InputRecord input={e.input} /> : <code>{typeOf(e.event)}</code>;
                  return (
                    <li
                      key={e.seq}
                      class={`${e.seq <= actor.seq ? 'applied' : 'pending'}${e.input ? ' input' : ''}${selected ? ' selected' : ''}`}
                      data-seq={e.seq}
                    >
                      <span class="seq">#{e.seq}</span>{' '}
                      {at > 0 ? (
                        <button type="button" class="link" onClick={() => moveTo(at)}>
                          {label}
                        </button>
                      ) : (
                        label
                      )}{' '}
                      <span class="muted">{timeOf(e.time)}</span>
                      {e.input?.value !== null && (
                        <div class="json" title={JSON.stringify(e.event)}>
                          {e.input ? inputValue(e.input) : JSON.stringify(e.event)}
                        </div>
                      )}
                    </li>
                  );
                })}
              </ol>
            )}
          </div>
        </div>
      )}
    </section>
  );
}
