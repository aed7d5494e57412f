import type { DashboardEffect } from '../wire.ts';
import { timeOf, timerLabel } from './api.ts';
import { inputOutcome, inputValue } from './input-record.tsx';
import { TableHead } from './table-head.tsx';

/**
 * The actor's effects, as its input records in the log hold them: each timer's firing, and each
 * invoked child's outcome, events sent back and values, at the seq where the actor took them in.
 */
export function EffectsList(props: { effects: readonly DashboardEffect[] }) {
  if (props.effects.length === 0) {
    return <p class="muted">None in the recent log: no delayed event of this actor has fired, no child of its has settled or sent anything.</p>;
  }
  return (
    <table class="effects">
      <TableHead columns={['seq', 'time', 'effect', 'outcome', 'value']} />
      <tbody>
        {props.effects.map(({ seq, time, input }) => (
          <tr key={seq} data-effect={input.kind === 'timer' ? input.name : (input.src ?? input.name)} title={input.effect}>
            <td class="num">{seq}</td>
            <td>{timeOf(time)}</td>
            <td>
              {input.kind === 'timer' ? 'timer ' : 'child '}
              <code>{input.kind === 'timer' ? timerLabel(input.name) : (input.src ?? input.name)}</code>
              {input.kind !== 'timer' && input.src !== undefined && <span class="muted"> {input.name}</span>}
            </td>
            <td>
              <span class={`pill outcome-${input.kind}`} data-testid="effect-outcome">
                {inputOutcome(input)}
              </span>
            </td>
            <td class="json">{inputValue(input)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
