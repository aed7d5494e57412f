import type { ActorView, AppendInput, Envelope } from '../../src/index.ts';
import type { RecordedCall } from './call-log.ts';

/** What a conversation is awaited for: waiting on a human's approval, or having answered its message. */
export type Milestone = 'approval' | 'replied';

/** A command the driver writes to `serve.ts`, one JSON line each. */
export type Command =
  | { id: number; cmd: 'publish'; inputs: AppendInput[] }
  | { id: number; cmd: 'await'; milestones: { conversation: string; until: Milestone }[]; timeoutMs: number }
  | { id: number; cmd: 'advance'; ms: number }
  | { id: number; cmd: 'report'; conversations: string[] }
  | { id: number; cmd: 'replay' }
  | { id: number; cmd: 'stop' };

/** What `serve.ts` prints, one JSON line each. */
export type Output =
  | { type: 'ready'; pid: number }
  | ({ type: 'call' } & RecordedCall)
  | { type: 'done'; id: number; result: unknown }
  | { type: 'failed'; id: number; error: string };

/** The answer to `report`. */
export interface Report {
  now: number;
  conversations: Record<string, ActorView>;
  log: Envelope[];
  deadLetters: string[];
}

/** The answer to `await`: the conversations that did not get there in time, with where they are. */
export interface Awaited {
  missing: { conversation: string; until: Milestone; view: ActorView | null }[];
}
