import { useEffect, useState } from 'preact/hooks';
import type { DashboardActor, DashboardComponent } from '../wire.ts';
import { timeOf, typeOf } from './api.ts';
import { Statechart } from './statechart.tsx';

export interface ActorChoice {
  component: string;
  key: string | undefined;
}

/** Search by component and key; the actor's statechart, state, context, pending timers and history. */
export function ActorPanel(props: {
  components: readonly DashboardComponent[];
  watch: ActorChoice | undefined;
  actor: DashboardActor | undefined;
  error: string | undefined;
  onWatch(choice: ActorChoice): void;
}) {
  const [component, setComponent] = useState(props.watch?.component ?? '');
  const [key, setKey] = useState(props.watch?.key ?? '');
  useEffect(() => {
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
      </form>
      {props.error && <p class="error-text">{props.error}</p>}
      {actor && !props.error && (
        <div class="actor-body">
          <div class="actor-chart">
            {definition?.chart ? (
              <Statechart chart={definition.chart} value={actor.value} />
            ) : (
              <p class="muted">
                No statechart: the dashboard has not got this component's logic. Start it with the system's module (recq dashboard &lt;module&gt; --db FILE) or
                pass components to serveDashboard.
              </p>
            )}
          </div>
          <div class="actor-facts">
            <p>
              <strong>{actor.key === undefined ? actor.component : `${actor.component} · ${actor.key}`}</strong> · {actor.status} · seq {actor.seq}
            </p>
            <p>
              state <code data-testid="state-value">{JSON.stringify(actor.value)}</code>
            </p>
            <h3>Context</h3>
            <pre>{JSON.stringify(actor.context, null, 2)}</pre>
            <h3>Pending timers</h3>
            {actor.timers.length === 0 ? (
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
            <h3>History</h3>
            {actor.history.length === 0 ? (
              <p class="muted">No events of this actor in the recent log.</p>
            ) : (
              <ol class="timeline">
                {actor.history.map((e) => (
                  <li key={e.seq} class={e.seq <= actor.seq ? 'applied' : 'pending'}>
                    <span class="seq">#{e.seq}</span> <code>{typeOf(e.event)}</code> <span class="muted">{timeOf(e.time)}</span>
                    <div class="json">{JSON.stringify(e.event)}</div>
                  </li>
                ))}
              </ol>
            )}
          </div>
        </div>
      )}
    </section>
  );
}

/** `xstate.after.reviewDeadline.document.review.legal.pending` → `after reviewDeadline in review.legal.pending`. */
function timerLabel(type: string): string {
  const after = /^xstate\.after\.([^.]+)\.[^.]+\.?(.*)$/.exec(type);
  return after ? `after ${after[1]}${after[2] ? ` in ${after[2]}` : ''}` : type;
}
