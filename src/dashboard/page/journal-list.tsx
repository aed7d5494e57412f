import type { DashboardEffect } from '../wire.ts';
import { timerLabel } from './api.ts';

/** The actor's journaled effects: each invoked child's outcome and each delayed event's firing, at the seq after which it was delivered. */
export function JournalList(props: { effects: readonly DashboardEffect[]; unavailable: string | undefined }) {
  if (props.unavailable) return <p class="gap">{props.unavailable}.</p>;
  if (props.effects.length === 0) return <p class="muted">Nothing journaled: no child of this actor has settled, no delayed event has fired.</p>;
  return (
    <table class="journal">
      <thead>
        <tr>
          <th>after seq</th>
          <th>effect</th>
          <th>outcome</th>
          <th>value</th>
        </tr>
      </thead>
      <tbody>
        {props.effects.map((e) => (
          <tr key={e.id} data-effect={e.src ?? e.name} title={e.id}>
            <td class="num">{e.appliedAfter}</td>
            <td>
              {e.kind === 'timer' ? 'timer ' : 'child '}
              <code>{e.kind === 'timer' ? timerLabel(e.name) : (e.src ?? e.name)}</code>
              {e.src !== undefined && <span class="muted"> {e.name}</span>}
            </td>
            <td>
              <span class={`pill outcome-${e.outcome}`} data-testid="effect-outcome">
                {e.outcome}
              </span>
            </td>
            <td class="json">{e.value === null ? '–' : JSON.stringify(e.value)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
