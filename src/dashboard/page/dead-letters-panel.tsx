import { useState } from 'preact/hooks';
import type { DashboardDeadLetter } from '../wire.ts';
import { timeOf } from './api.ts';

/** Dead letters with their event, error and stack; retry and skip ask for a confirmation first. */
export function DeadLettersPanel(props: {
  letters: readonly DashboardDeadLetter[];
  /** Which letters the source cannot list, and why (over NATS, a worker out of reach): then one is named by its consumer and id. */
  unavailable: string | undefined;
  consumers: readonly string[];
  act(path: string, what: string): void;
}) {
  // Over NATS ids are per worker file: a letter is named by its consumer and id.
  const [confirming, setConfirming] = useState<{ name: string; action: 'retry' | 'skip' } | undefined>(undefined);
  const [open, setOpen] = useState<string | undefined>(undefined);
  const waiting = props.letters.filter((l) => l.status === 'parked' || l.status === 'blocking').length;
  return (
    <section class="panel dead-letters">
      <h2>
        Dead letters <span class="figure">{waiting} waiting</span>
      </h2>
      {props.unavailable ? (
        <>
          <p class="gap">{props.unavailable}.</p>
          <LetterById consumers={props.consumers} act={props.act} />
        </>
      ) : (
        props.letters.length === 0 && <p class="muted">No dead letters.</p>
      )}
      {props.letters.map((l) => {
        const name = `${l.consumer}/${l.id}`;
        return (
          <article key={name} class={`letter status-${l.status}`} data-letter={l.id}>
            <header>
              <strong>#{l.id}</strong> {l.consumer} · seq {l.seq} · {l.topic}
              {l.key === undefined ? '' : ` · key ${l.key}`} · {l.attempts} attempt{l.attempts === 1 ? '' : 's'} ·{' '}
              <span class="pill" data-testid="letter-status">
                {l.status}
              </span>
            </header>
            <p class="error-text">{l.error}</p>
            <button type="button" class="link" onClick={() => setOpen(open === name ? undefined : name)}>
              {open === name ? 'hide event and stack' : 'event and stack'}
            </button>
            {open === name && (
              <div class="letter-detail">
                <p class="muted">
                  first failed {timeOf(l.firstFailedAt)}, last {timeOf(l.lastFailedAt)} · id {l.eventId}
                </p>
                <pre>{JSON.stringify(l.event, null, 2)}</pre>
                <pre class="stack">{l.stack ?? '(no stack recorded)'}</pre>
              </div>
            )}
            {(l.status === 'parked' || l.status === 'blocking') && (
              <div class="actions">
                {confirming?.name === name ? (
                  <>
                    <span>{confirming.action === 'retry' ? 'Apply it again against its actor’s current state?' : 'Give up on it for good?'}</span>
                    <button
                      type="button"
                      class="danger"
                      onClick={() => {
                        setConfirming(undefined);
                        props.act(
                          `/api/dead-letters/${l.id}/${confirming.action}?component=${encodeURIComponent(l.consumer)}`,
                          `${confirming.action} dead letter ${l.id}`,
                        );
                      }}
                    >
                      Yes, {confirming.action}
                    </button>
                    <button type="button" onClick={() => setConfirming(undefined)}>
                      Cancel
                    </button>
                  </>
                ) : (
                  <>
                    <button type="button" onClick={() => setConfirming({ name, action: 'retry' })}>
                      Retry
                    </button>
                    <button type="button" onClick={() => setConfirming({ name, action: 'skip' })}>
                      Skip
                    </button>
                  </>
                )}
              </div>
            )}
          </article>
        );
      })}
    </section>
  );
}

/** Retry or skip a letter the page cannot list, by its consumer and id, after a confirmation. */
function LetterById(props: { consumers: readonly string[]; act(path: string, what: string): void }) {
  const [consumer, setConsumer] = useState('');
  const [id, setId] = useState('');
  const [confirming, setConfirming] = useState<'retry' | 'skip' | undefined>(undefined);
  const chosen = consumer || props.consumers[0] || '';
  const valid = /^\d+$/.test(id.trim()) && chosen !== '';
  const send = (action: 'retry' | 'skip') => {
    setConfirming(undefined);
    props.act(`/api/dead-letters/${id.trim()}/${action}?component=${encodeURIComponent(chosen)}`, `${action} dead letter ${id.trim()} of ${chosen}`);
  };
  return (
    <div class="actions">
      <select aria-label="letter's consumer" value={chosen} onChange={(e) => setConsumer(e.currentTarget.value)}>
        {props.consumers.map((c) => (
          <option key={c} value={c}>
            {c}
          </option>
        ))}
      </select>
      <input aria-label="dead letter id" placeholder="id" size={6} value={id} onInput={(e) => setId(e.currentTarget.value)} />
      {confirming ? (
        <>
          <button type="button" class="danger" onClick={() => send(confirming)}>
            Yes, {confirming}
          </button>
          <button type="button" onClick={() => setConfirming(undefined)}>
            Cancel
          </button>
        </>
      ) : (
        <>
          <button type="button" disabled={!valid} onClick={() => setConfirming('retry')}>
            Retry
          </button>
          <button type="button" disabled={!valid} onClick={() => setConfirming('skip')}>
            Skip
          </button>
        </>
      )}
    </div>
  );
}
