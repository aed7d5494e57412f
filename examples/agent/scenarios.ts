import type { AppendInput } from '../../src/index.ts';
import type { ConversationEvent } from './events.ts';
import { lookupAnswer } from './lookup-tool.ts';

/** What a conversation is about, and so how the agent ends it. */
export type Kind = 'chat' | 'status' | 'refund-granted' | 'refund-denied' | 'refund-timeout';

export interface Plan {
  conversation: string;
  kind: Kind;
  order: string;
  message: string;
  /** The reply the agent must end with. */
  reply: string;
  /** How the approval the agent asks for ends, if it asks for one. */
  approval: 'granted' | 'denied' | 'timeout' | null;
  /** Model and tool calls the conversation needs, once each. */
  calls: { model: number; tool: number };
}

const CYCLE: readonly Kind[] = ['chat', 'status', 'refund-granted', 'refund-denied'];

/**
 * `count` conversations, `c-001`, `c-002`, …, cycling through the kinds; the last one is a
 * refund nobody answers, so it times out. Everything follows from the index, so a run is
 * reproducible and the expected end of each conversation is known in advance.
 */
export function planConversations(count: number): Plan[] {
  return Array.from({ length: count }, (_, i) => {
    const conversation = `c-${String(i + 1).padStart(3, '0')}`;
    const order = `o-${String(1000 + i)}`;
    const kind: Kind = i === count - 1 && count > 1 ? 'refund-timeout' : (CYCLE[i % CYCLE.length] as Kind);
    return { conversation, order, kind, ...expected(conversation, order, kind) };
  });
}

function expected(conversation: string, order: string, kind: Kind): Omit<Plan, 'conversation' | 'order' | 'kind'> {
  switch (kind) {
    case 'chat':
      return {
        message: 'Hello, who are you?',
        reply: `Hello! I am the order assistant of conversation ${conversation}.`,
        approval: null,
        calls: { model: 1, tool: 0 },
      };
    case 'status':
      return {
        message: `What is the status of order ${order}?`,
        reply: `Here is what I found: ${lookupAnswer(order)}.`,
        approval: null,
        calls: { model: 2, tool: 1 },
      };
    case 'refund-granted':
      return { message: `Please refund order ${order}.`, reply: `Done: I refunded ${order}.`, approval: 'granted', calls: { model: 3, tool: 1 } };
    case 'refund-denied':
      return {
        message: `Please refund order ${order}.`,
        reply: `The refund of ${order} was not approved, so I did not make it.`,
        approval: 'denied',
        calls: { model: 3, tool: 1 },
      };
    case 'refund-timeout':
      return {
        message: `Please refund order ${order}.`,
        reply: `Nobody approved the refund of ${order} in time, so I did not make it.`,
        approval: 'timeout',
        calls: { model: 3, tool: 1 },
      };
  }
}

/** Each conversation's message, with a fixed id: published again after a crash, it is stored once. */
export function messages(plans: readonly Plan[]): AppendInput<ConversationEvent>[] {
  return plans.map((plan) => ({
    topic: 'user.message',
    event: { type: 'user.message', text: plan.message },
    key: plan.conversation,
    id: `${plan.conversation}/message/1`,
  }));
}

/** The humans' answers, for the conversations whose approval is answered at all. */
export function approvals(plans: readonly Plan[]): AppendInput<ConversationEvent>[] {
  return plans.flatMap((plan) => {
    if (plan.approval !== 'granted' && plan.approval !== 'denied') return [];
    const type = plan.approval === 'granted' ? 'approval.granted' : 'approval.denied';
    return [{ topic: type, event: { type }, key: plan.conversation, id: `${plan.conversation}/approval/1` }];
  });
}
