import type { DashboardConsumer } from '../wire.ts';
import { TableHead } from './table-head.tsx';

/** Each consumer's host state, progress, actors, lease and failures, with pause and resume. */
export function ConsumersPanel(props: { consumers: readonly DashboardConsumer[]; act(path: string, what: string): void }) {
  return (
    <section class="panel consumers">
      <h2>Consumers</h2>
      {props.consumers.length === 0 ? (
        <p class="muted">No consumers yet.</p>
      ) : (
        <table>
          <TableHead columns={['consumer', 'host', 'offset', 'lag', 'actors (memory / stored)', 'lease', 'restarts', 'last error']} />
          <tbody>
            {props.consumers.map((c) => (
              <tr key={c.consumer} data-consumer={c.consumer}>
                <td>{c.consumer}</td>
                <td>
                  <span class={`pill host-${c.hostState}`} data-testid="host-state">
                    {c.hostState}
                  </span>
                </td>
                <td class="num">
                  {c.offset} / {c.head}
                </td>
                <td class="num">{c.lag ?? '?'}</td>
                <td class="num">
                  {c.activeActors ?? '–'} / {c.storedActors}
                </td>
                <td>{c.leaseOwner ? `${c.leaseOwner} · epoch ${c.leaseEpoch}` : '–'}</td>
                <td class="num">{c.restarts ?? '–'}</td>
                <td class="error-text" title={c.lastError}>
                  {c.lastError ?? ''}
                </td>
                <td>
                  {c.hostState === 'paused' ? (
                    <button type="button" onClick={() => props.act(`/api/consumers/${encodeURIComponent(c.consumer)}/resume`, `resume ${c.consumer}`)}>
                      Resume
                    </button>
                  ) : (
                    <button type="button" onClick={() => props.act(`/api/consumers/${encodeURIComponent(c.consumer)}/pause`, `pause ${c.consumer}`)}>
                      Pause
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
