import { useCallback, useEffect, useState } from 'preact/hooks';
import type { DashboardActor, DashboardComponent, DashboardEvent, DashboardOverview, StreamMessage } from '../wire.ts';
import { type ActorChoice, ActorPanel } from './actor-panel.tsx';
import { getJson, post } from './api.ts';
import { ConsumersPanel } from './consumers-panel.tsx';
import { DeadLettersPanel } from './dead-letters-panel.tsx';
import { LogPanel } from './log-panel.tsx';

/** How many events the tail keeps in the page. */
const TAIL = 500;

/** The watched actor lives in the address (`#component=documents&key=doc-1`), so a link opens it. */
function watchFromHash(): ActorChoice | undefined {
  const q = new URLSearchParams(location.hash.slice(1));
  const component = q.get('component');
  return component ? { component, key: q.get('key') ?? undefined } : undefined;
}

/** The whole page: one stream from the server feeds every panel; writes go out as POSTs and come back through the stream. */
export function App() {
  const [overview, setOverview] = useState<DashboardOverview | undefined>(undefined);
  const [events, setEvents] = useState<DashboardEvent[]>([]);
  const [components, setComponents] = useState<DashboardComponent[]>([]);
  const [watch, setWatch] = useState<ActorChoice | undefined>(watchFromHash());
  const [actor, setActor] = useState<DashboardActor | undefined>(undefined);
  const [actorError, setActorError] = useState<string | undefined>(undefined);
  const [connected, setConnected] = useState(false);
  const [notice, setNotice] = useState<{ kind: 'ok' | 'error'; text: string } | undefined>(undefined);

  useEffect(() => {
    getJson<DashboardComponent[]>('/api/components').then(setComponents, (error: unknown) => setNotice({ kind: 'error', text: String(error) }));
  }, []);

  useEffect(() => {
    const q = new URLSearchParams();
    if (watch) {
      q.set('component', watch.component);
      if (watch.key !== undefined) q.set('key', watch.key);
    }
    const stream = new EventSource(`/api/stream${watch ? `?${q}` : ''}`);
    setActor(undefined);
    setActorError(undefined);
    stream.onopen = () => setConnected(true);
    stream.onerror = () => setConnected(false);
    stream.onmessage = (message: MessageEvent<string>) => {
      const data = JSON.parse(message.data) as StreamMessage;
      if (data.type === 'overview') setOverview(data.overview);
      else if (data.type === 'events') setEvents((old) => merge(old, data.events));
      else if (data.type === 'actor') {
        setActor(data.actor);
        setActorError(undefined);
      } else setActorError(data.message);
    };
    return () => stream.close();
  }, [watch]);

  const act = useCallback((path: string, what: string) => {
    setNotice(undefined);
    post(path).then(
      (text) => setNotice({ kind: 'ok', text }),
      (error: unknown) => setNotice({ kind: 'error', text: `Could not ${what}: ${error instanceof Error ? error.message : String(error)}` }),
    );
  }, []);

  const onWatch = useCallback((choice: ActorChoice) => {
    const q = new URLSearchParams({ component: choice.component, ...(choice.key === undefined ? {} : { key: choice.key }) });
    history.replaceState(null, '', `#${q}`);
    setWatch(choice);
  }, []);

  const onKey = useCallback(
    (key: string, component?: string) => {
      const keyed = components.find((c) => c.keyed !== false) ?? components[0];
      if (component !== undefined) onWatch({ component, key });
      else if (keyed) onWatch({ component: watch?.component ?? keyed.component, key });
    },
    [components, watch, onWatch],
  );

  return (
    <main>
      <header class="top">
        <h1>recq</h1>
        <span class={`dot ${connected ? 'live' : 'down'}`} title={connected ? 'live' : 'reconnecting'} />
        <span class="muted">{overview ? `${overview.source}${overview.supervisor ? ` · supervisor ${overview.supervisor}` : ''}` : 'connecting…'}</span>
        {overview?.writes === 'queued' && <span class="muted"> · buttons queue commands for the system running the consumer</span>}
      </header>
      {notice && (
        <p class={`notice ${notice.kind}`} role="status">
          {notice.text}
        </p>
      )}
      <div class="grid">
        <LogPanel head={overview?.head ?? 0} samples={overview?.samples ?? []} events={events} onKey={onKey} />
        <ConsumersPanel consumers={overview?.consumers ?? []} act={act} />
        <DeadLettersPanel
          letters={overview?.deadLetters ?? []}
          unavailable={overview?.unavailable?.deadLetters}
          consumers={(overview?.consumers ?? []).map((c) => c.consumer)}
          act={act}
        />
      </div>
      <ActorPanel components={components} watch={watch} actor={actor} error={actorError} onWatch={onWatch} />
    </main>
  );
}

function merge(old: DashboardEvent[], incoming: readonly DashboardEvent[]): DashboardEvent[] {
  const last = old.at(-1)?.seq ?? 0;
  const fresh = incoming.filter((e) => e.seq > last);
  if (fresh.length === 0) return old;
  return [...old, ...fresh].slice(-TAIL);
}
