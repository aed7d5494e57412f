import type { DashboardInput } from '../wire.ts';
import { timerLabel, typeOf } from './api.ts';

/** The child as the page names it: its `src` where the dashboard has the machine, else its path. */
function childOf(input: DashboardInput): string {
  return input.src ?? input.name;
}

/** What happened, in a few words: `fired`, `done`, `error`, `sent tick (#0)`, `value #0`. */
export function inputOutcome(input: DashboardInput): string {
  switch (input.kind) {
    case 'timer':
      return 'fired';
    case 'done':
    case 'error':
      return input.kind;
    case 'event':
      return `sent ${typeOf(input.value)} (#${input.n ?? 0})`;
    case 'value':
      return `value #${input.n ?? 0}`;
  }
}

/** An input record in one line of text: `timer after 48h in review.legal.pending fired`, `child quote done`. */
export function inputText(input: DashboardInput): string {
  const what = input.kind === 'timer' ? `timer ${timerLabel(input.name)}` : `child ${childOf(input)}`;
  return `${what} ${inputOutcome(input)}`;
}

/** The record's value as JSON, or a dash where it has none. */
export function inputValue(input: DashboardInput): string {
  return input.value === null || input.value === undefined ? '–' : JSON.stringify(input.value);
}

/** An input record as the page shows it: marked as one, then what happened, the child's path (or timer's tag) in small. */
export function InputRecord(props: { input: DashboardInput }) {
  const { input } = props;
  return (
    <span class="input-record" title={input.effect}>
      <span class="pill input-pill">input</span> {input.kind === 'timer' ? 'timer ' : 'child '}
      <code>{input.kind === 'timer' ? timerLabel(input.name) : childOf(input)}</code>
      {input.kind !== 'timer' && input.src !== undefined && <span class="muted"> {input.name}</span>}{' '}
      <span class={`pill outcome-${input.kind}`}>{inputOutcome(input)}</span>
    </span>
  );
}
