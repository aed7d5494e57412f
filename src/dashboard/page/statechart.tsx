import { useEffect, useState } from 'preact/hooks';
import type { ChartNode } from '../wire.ts';
import { activeStates, type ChartLayout, layoutChart } from './chart-layout.ts';

/** The statechart of one component with the states its actor is in highlighted; laid out once per chart. */
export function Statechart({ chart, value }: { chart: ChartNode; value: unknown }) {
  const [layout, setLayout] = useState<ChartLayout | { error: string } | undefined>(undefined);
  useEffect(() => {
    let current = true;
    setLayout(undefined);
    layoutChart(chart).then(
      (laid) => current && setLayout(laid),
      (error: unknown) => current && setLayout({ error: String(error) }),
    );
    return () => {
      current = false;
    };
  }, [chart]);
  if (!layout) return <p class="muted">Laying out the statechart…</p>;
  if ('error' in layout) return <p class="error">Cannot lay out the statechart: {layout.error}</p>;
  const active = activeStates(chart, value);
  const pad = 4;
  return (
    <svg
      class="statechart"
      role="img"
      aria-label={`statechart of ${chart.id}`}
      viewBox={`${-pad} ${-pad} ${layout.width + 2 * pad} ${layout.height + 2 * pad}`}
      width={layout.width + 2 * pad}
      height={layout.height + 2 * pad}
      style={{ maxWidth: '100%', height: 'auto' }}
    >
      <defs>
        <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
          <path d="M 0 0 L 10 5 L 0 10 z" class="arrowhead" />
        </marker>
      </defs>
      {layout.states.map((s) => {
        const isActive = active.has(s.node.id);
        const leaf = s.node.children.length === 0;
        const classes = ['state', `state-${s.node.type}`, s.region ? 'region' : '', isActive ? 'active' : '', leaf ? 'leaf' : 'compound'].join(' ');
        if (s.node.type === 'history') {
          return (
            <g class={classes} data-state={s.node.id} data-active={String(isActive)} key={s.node.id}>
              <circle cx={s.x + s.width / 2} cy={s.y + s.height / 2} r={s.width / 2} />
              <text x={s.x + s.width / 2} y={s.y + s.height / 2 + 4} text-anchor="middle">
                {s.node.history === 'deep' ? 'H*' : 'H'}
              </text>
            </g>
          );
        }
        return (
          <g class={classes} data-state={s.node.id} data-active={String(isActive)} key={s.node.id}>
            <rect x={s.x} y={s.y} width={s.width} height={s.height} rx={leaf ? 10 : 8} />
            {s.node.type === 'final' && <rect class="final-ring" x={s.x + 3} y={s.y + 3} width={s.width - 6} height={s.height - 6} rx={8} />}
            <text x={leaf ? s.x + s.width / 2 : s.x + 10} y={leaf ? s.y + s.height / 2 + 4 : s.y + 17} text-anchor={leaf ? 'middle' : 'start'}>
              {s.node.key}
              {s.node.type === 'parallel' ? ' ∥' : ''}
            </text>
          </g>
        );
      })}
      {layout.initials.map((i) => (
        <circle class="initial" cx={i.x} cy={i.y} r={4} key={`${i.x},${i.y}`} />
      ))}
      {layout.edges.map((e) => (
        <g class="transition" key={e.id}>
          <polyline points={e.points.map((p) => `${p.x},${p.y}`).join(' ')} marker-end="url(#arrow)" />
          {e.labelAt && e.label && (
            <text x={e.labelAt.x} y={e.labelAt.y} class="transition-label">
              {e.label}
            </text>
          )}
        </g>
      ))}
    </svg>
  );
}
