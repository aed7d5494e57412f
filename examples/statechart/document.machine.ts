import { and, assign, emit, setup } from 'xstate';

/** A reviewer's verdict arrives within this long, or the review is escalated. */
export const REVIEW_DEADLINE_MS = 48 * 60 * 60 * 1000;
/** A published document is archived after this long. */
export const ARCHIVE_AFTER_MS = 30 * 24 * 60 * 60 * 1000;
/** Above this amount, finance approval needs the CFO. */
export const CFO_LIMIT = 10_000;

export type DocumentEvent =
  | { type: 'submit'; amount: number }
  | { type: 'approve'; region: 'legal' | 'finance'; reviewer: string }
  | { type: 'reject'; region: 'legal' | 'finance'; reviewer: string; reason: string }
  | { type: 'hold' }
  | { type: 'resume' }
  | { type: 'revise' };

export interface DocumentContext {
  id: string;
  amount: number;
  revisions: number;
  approvals: string[];
  escalations: number;
  rejection: string | undefined;
}

/**
 * A document's approval: draft → review (legal ∥ finance, each pending → approved, with a 48 h
 * deadline that escalates) → published → archived after 30 days; a rejection sends it back for
 * changes; `hold` pauses a review anywhere and `resume` returns to exactly where each region was
 * (deep history). Guards: finance approval of a large amount needs the CFO, and nobody approves
 * twice. Nested, parallel and history states, guards and delayed transitions, all of which
 * recq keeps across restarts.
 */
export const documentMachine = setup({
  types: {} as { context: DocumentContext; events: DocumentEvent; input: { key: string | undefined } },
  delays: { reviewDeadline: REVIEW_DEADLINE_MS, archiveAfter: ARCHIVE_AFTER_MS },
  guards: {
    forLegal: ({ event }) => event.type === 'approve' && event.region === 'legal',
    mayApproveFinance: ({ context, event }) =>
      event.type === 'approve' && event.region === 'finance' && (context.amount <= CFO_LIMIT || event.reviewer === 'cfo'),
    notYetApproved: ({ context, event }) => event.type === 'approve' && !context.approvals.includes(event.reviewer),
  },
  actions: {
    recordApproval: assign({ approvals: ({ context, event }) => (event.type === 'approve' ? [...context.approvals, event.reviewer] : context.approvals) }),
    recordRejection: assign({ rejection: ({ event }) => (event.type === 'reject' ? `${event.region}: ${event.reason}` : undefined) }),
    escalate: assign({ escalations: ({ context }) => context.escalations + 1 }),
  },
}).createMachine({
  id: 'document',
  context: ({ input }) => ({ id: input.key ?? 'document', amount: 0, revisions: 0, approvals: [], escalations: 0, rejection: undefined }),
  initial: 'draft',
  states: {
    draft: {
      on: {
        submit: { target: 'review', actions: assign({ amount: ({ event }) => event.amount, approvals: [], rejection: undefined }) },
      },
    },
    review: {
      type: 'parallel',
      states: {
        legal: {
          initial: 'pending',
          states: {
            pending: {
              after: { reviewDeadline: { target: 'escalated', actions: 'escalate' } },
              on: { approve: { guard: and(['forLegal', 'notYetApproved']), target: 'approved', actions: 'recordApproval' } },
            },
            escalated: {
              on: { approve: { guard: and(['forLegal', 'notYetApproved']), target: 'approved', actions: 'recordApproval' } },
            },
            approved: { type: 'final' },
          },
        },
        finance: {
          initial: 'pending',
          states: {
            pending: {
              after: { reviewDeadline: { target: 'escalated', actions: 'escalate' } },
              on: { approve: { guard: and(['mayApproveFinance', 'notYetApproved']), target: 'approved', actions: 'recordApproval' } },
            },
            escalated: {
              on: { approve: { guard: and(['mayApproveFinance', 'notYetApproved']), target: 'approved', actions: 'recordApproval' } },
            },
            approved: { type: 'final' },
          },
        },
        history: { type: 'history', history: 'deep' },
      },
      onDone: { target: 'published', actions: emit(({ context }) => ({ type: 'document.published', id: context.id, amount: context.amount })) },
      on: {
        reject: { target: 'changesRequested', actions: 'recordRejection' },
        hold: 'onHold',
      },
    },
    onHold: { on: { resume: 'review.history' } },
    changesRequested: {
      on: { revise: { target: 'draft', actions: assign({ revisions: ({ context }) => context.revisions + 1 }) } },
    },
    published: { after: { archiveAfter: 'archived' } },
    archived: { type: 'final' },
  },
});
