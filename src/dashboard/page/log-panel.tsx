import { useState } from 'preact/hooks';
import type { DashboardEvent, HeadSample } from '../wire.ts';
import { timeOf, typeOf } from './api.ts';
import { InputRecord, inputText, inputValue } from './input-record.tsx';
import { TableHead } from './table-head.tsx';

/** Events per second between consecutive samples, over the window the samples cover. */
function rates(samples: readonly HeadSample[]): { at: number; rate: number }[] {
  const out: { at: number; rate: number }[] = [];
  for (let i = 1; i < samples.length; i++) {
    const a = samples[i - 1] as HeadSample;
    const b = samples[i] as HeadSample;
    const dt = (b.at - a.at) / 1000;
    if (dt > 0) out.push({ at: b.at, rate: (b.head - a.head) / dt });
  }
  return out;
}

function RateChart({ samples }: { samples: readonly HeadSample[] }) {
  const points = rates(samples);
  const width = 320;
  const height = 60;
  const max = Math.max(1, ...points.map((p) => p.rate));
  const first = points[0]?.at ?? 0;
  const span = Math.max(1, (points.at(-1)?.at ?? 0) - first);
  const recent = points.filter((p) => p.at >= (points.at(-1)?.at ?? 0) - 5000);
  const now = recent.length ? recent.reduce((s, p) => s + p.rate, 0) / recent.length : 0;
  const line = points.map((p) => `${((p.at - first) / span) * width},${height - (p.rate / max) * (height - 4)}`).join(' ');
  return (
    <div class="rate">
      <svg width={width} height={height} class="rate-chart" role="img" aria-label="events per second">
        <polyline points={line} />
      </svg>
      <div class="rate-figures">
        <strong data-testid="rate">{now.toFixed(1)}</strong> events/s now · peak {max.toFixed(1)} · over {Math.round(span / 1000)} s
      </div>
    </div>
  );
}

/**
 * The log: its head, events/s, and a filterable tail of recent events; a key opens its actor.
 * Input records (`$input.<consumer>`) are marked as such, and can be hidden; the key of one
 * opens the actor of the consumer it names.
 */
export function LogPanel(props: {
  head: number;
  samples: readonly HeadSample[];
  events: readonly DashboardEvent[];
  onKey(key: string, component?: string): void;
}) {
  const [filter, setFilter] = useState('');
  const [inputs, setInputs] = useState(true);
  const needle = filter.trim().toLowerCase();
  const shown = props.events
    .filter((e) => inputs || e.input === undefined)
    .filter(
      (e) =>
        !needle ||
        `${e.topic} ${e.key ?? ''} ${typeOf(e.event)} ${e.input ? inputText(e.input) : ''} ${JSON.stringify(e.event)}`.toLowerCase().includes(needle),
    )
    .slice(-100)
    .reverse();
  return (
    <section class="panel log">
      <h2>
        Log{' '}
        <span class="figure" data-testid="head">
          head {props.head}
        </span>
      </h2>
      <RateChart samples={props.samples} />
      <div class="log-filters">
        <input type="search" placeholder="filter by topic, key, type or field" value={filter} onInput={(e) => setFilter(e.currentTarget.value)} />
        <label title="timers' firings and children's outcomes, events and values, on $input.<consumer>">
          <input type="checkbox" checked={inputs} onChange={(e) => setInputs(e.currentTarget.checked)} /> input records
        </label>
      </div>
      <table class="tail">
        <TableHead columns={['seq', 'time', 'topic', 'key', 'event']} />
        <tbody>
          {shown.map((e) => (
            <tr key={e.seq} class={e.input ? 'input' : undefined}>
              <td class="num">{e.seq}</td>
              <td>{timeOf(e.time)}</td>
              <td>{e.topic}</td>
              <td>
                {e.key === undefined ? (
                  '–'
                ) : (
                  <button type="button" class="link" onClick={() => props.onKey(e.key as string, e.input?.consumer)}>
                    {e.key}
                  </button>
                )}
              </td>
              <td class="json" title={JSON.stringify(e.event)}>
                {e.input ? (
                  <>
                    <InputRecord input={e.input} />
                    {e.input.value !== null && ` ${inputValue(e.input)}`}
                  </>
                ) : (
                  JSON.stringify(e.event)
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {shown.length === 0 && <p class="muted">{needle ? 'No recent event matches.' : 'No events yet.'}</p>}
    </section>
  );
}
