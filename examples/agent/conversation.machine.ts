import { type AnyActorRef, assertEvent, assign, emit, fromPromise, setup } from 'xstate';
import { idempotencyKey } from '../../src/actor/idempotency-key.ts';
import type { ConversationEmitted, ConversationEvent } from './events.ts';
import type { LookupTool, Model, ModelReply, ModelRequest, Turn } from './model.ts';

/** How long the agent waits for a human to approve a risky action before it goes on without it. */
export const APPROVAL_TIMEOUT_MS = 15 * 60 * 1000;

export interface ConversationContext {
  conversation: string;
  transcript: Turn[];
  /** The action waiting for approval, while the agent waits. */
  pendingAction: string | null;
  /** The agent's replies, one per user message answered. */
  replies: string[];
  /** How each approval the agent asked for ended. */
  approvals: ('granted' | 'denied' | 'timeout')[];
}

/** What the conversation's invoked children need: a model, and the tool the model may ask for. */
export interface AgentServices {
  model: Model;
  tool: LookupTool;
}

/** Invoked children only know their idempotency key when recq runs them; outside it there is none to forward. */
function keyOf(self: AnyActorRef, service: string): string {
  const key = idempotencyKey(self);
  if (key === undefined) throw new Error(`${service} invoked outside a recq component: it has no idempotency key to forward`);
  return key;
}

const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * One conversation: each user message is answered by model calls, with lookups the model asks
 * for in between and, before a risky action, a human's approval (or a timeout). The model and
 * the tool are invoked promises: recq records each outcome in the log before the actor takes
 * it in, so they are called once per invocation (a rebuild from the log calls neither), and a
 * call in flight at a crash is made again with the same key.
 *
 * @example
 * const logic = conversationMachine({ model: new StandInModel(options), tool: new StandInLookup(options) });
 * defineComponent({ name: 'conversations', logic, subscribe: CONVERSATION_TOPICS, key: true });
 */
export function conversationMachine(services: AgentServices) {
  return setup({
    types: {
      context: {} as ConversationContext,
      events: {} as ConversationEvent,
      emitted: {} as ConversationEmitted,
      input: {} as { key?: string | undefined },
    },
    actors: {
      model: fromPromise(async ({ input, self }: { input: ModelRequest; self: AnyActorRef }) =>
        services.model.complete(input, { idempotencyKey: keyOf(self, 'the model') }),
      ),
      lookup: fromPromise(async ({ input, self }: { input: { conversation: string; query: string }; self: AnyActorRef }) =>
        services.tool.lookup(input, { idempotencyKey: keyOf(self, 'the lookup tool') }),
      ),
    },
    guards: {
      wantsTool: ({ event }) => (event as unknown as { output: ModelReply }).output.kind === 'tool',
      wantsApproval: ({ event }) => (event as unknown as { output: ModelReply }).output.kind === 'approval',
    },
    delays: { approvalTimeout: APPROVAL_TIMEOUT_MS },
    actions: {
      hear: assign(({ context, event }) => {
        assertEvent(event, 'user.message');
        return { transcript: [...context.transcript, { role: 'user' as const, text: event.text }] };
      }),
      note: assign(({ context }, turn: Turn) => ({ transcript: [...context.transcript, turn] })),
      decided: assign(({ context }, approval: 'granted' | 'denied' | 'timeout') => ({
        transcript: [...context.transcript, { role: 'approval' as const, text: approval }],
        approvals: [...context.approvals, approval],
        pendingAction: null,
      })),
    },
  }).createMachine({
    id: 'conversation',
    context: ({ input }) => ({ conversation: input.key ?? '', transcript: [], pendingAction: null, replies: [], approvals: [] }),
    initial: 'idle',
    states: {
      idle: {
        on: { 'user.message': { target: 'thinking', actions: 'hear' } },
      },
      thinking: {
        invoke: {
          src: 'model',
          input: ({ context }) => ({ conversation: context.conversation, transcript: context.transcript }),
          onDone: [
            {
              guard: 'wantsTool',
              target: 'usingTool',
              actions: { type: 'note', params: ({ event }) => ({ role: 'assistant', text: `lookup ${(event.output as { query: string }).query}` }) },
            },
            {
              guard: 'wantsApproval',
              target: 'awaitingApproval',
              actions: [
                assign({ pendingAction: ({ event }) => (event.output as { action: string }).action }),
                emit(({ context, event }) => ({
                  type: 'agent.approval-requested' as const,
                  conversation: context.conversation,
                  action: (event.output as { action: string }).action,
                })),
              ],
            },
            {
              target: 'idle',
              actions: [
                assign(({ context, event }) => {
                  const text = (event.output as { text: string }).text;
                  return { transcript: [...context.transcript, { role: 'assistant' as const, text }], replies: [...context.replies, text] };
                }),
                emit(({ context, event }) => ({
                  type: 'agent.replied' as const,
                  conversation: context.conversation,
                  text: (event.output as { text: string }).text,
                })),
              ],
            },
          ],
          onError: {
            target: 'idle',
            actions: emit(({ context, event }) => ({ type: 'agent.failed' as const, conversation: context.conversation, error: errorText(event.error) })),
          },
        },
      },
      usingTool: {
        invoke: {
          src: 'lookup',
          input: ({ context }) => ({ conversation: context.conversation, query: lastLookup(context.transcript) }),
          onDone: { target: 'thinking', actions: { type: 'note', params: ({ event }) => ({ role: 'tool', text: String(event.output) }) } },
          // The model hears that the tool failed and decides what to say.
          onError: {
            target: 'thinking',
            actions: { type: 'note', params: ({ event }) => ({ role: 'tool', text: `lookup failed: ${errorText(event.error)}` }) },
          },
        },
      },
      awaitingApproval: {
        on: {
          'approval.granted': { target: 'thinking', actions: { type: 'decided', params: 'granted' } },
          'approval.denied': { target: 'thinking', actions: { type: 'decided', params: 'denied' } },
        },
        after: {
          approvalTimeout: {
            target: 'thinking',
            actions: [
              emit(({ context }) => ({ type: 'agent.timeout' as const, conversation: context.conversation, action: context.pendingAction ?? '' })),
              { type: 'decided', params: 'timeout' },
            ],
          },
        },
      },
    },
  });
}

/** The query of the lookup the model asked for last (`lookup <query>`). */
function lastLookup(transcript: readonly Turn[]): string {
  for (let i = transcript.length - 1; i >= 0; i--) {
    const turn = transcript[i];
    if (turn?.role === 'assistant' && turn.text.startsWith('lookup ')) return turn.text.slice('lookup '.length);
  }
  return '';
}
