import { ARCHIVE_AFTER_MS, type DocumentEvent, REVIEW_DEADLINE_MS } from './document.machine.ts';

/** One step of a scenario: an event for the document, or time passing. */
export type Step = { event: DocumentEvent } | { advanceMs: number };

/** A document's story, and the state it must end in. */
export interface Scenario {
  document: string;
  story: string;
  steps: Step[];
}

const HOUR = 60 * 60 * 1000;

/**
 * Stories that use every feature of the document machine. Each is replayed with a restart
 * (or a crash) between every two steps, and must end exactly where plain XState ends.
 */
export const scenarios: Scenario[] = [
  {
    document: 'doc-small',
    story: 'both approve; published, then archived 30 days later',
    steps: [
      { event: { type: 'submit', amount: 800 } },
      { event: { type: 'approve', region: 'legal', reviewer: 'lena' } },
      { event: { type: 'approve', region: 'finance', reviewer: 'fred' } },
      { advanceMs: ARCHIVE_AFTER_MS },
    ],
  },
  {
    document: 'doc-large',
    story: 'finance needs the CFO above the limit; a hold and resume come back to where each region was',
    steps: [
      { event: { type: 'submit', amount: 25_000 } },
      { event: { type: 'approve', region: 'legal', reviewer: 'lena' } },
      { event: { type: 'approve', region: 'finance', reviewer: 'fred' } },
      { event: { type: 'hold' } },
      { event: { type: 'resume' } },
      { event: { type: 'approve', region: 'finance', reviewer: 'cfo' } },
    ],
  },
  {
    document: 'doc-late',
    story: 'nobody answers for 48 h: both regions escalate; a rejection sends it back to draft',
    steps: [
      { event: { type: 'submit', amount: 1_200 } },
      { advanceMs: REVIEW_DEADLINE_MS - HOUR },
      { advanceMs: HOUR },
      { event: { type: 'approve', region: 'legal', reviewer: 'lena' } },
      { event: { type: 'reject', region: 'finance', reviewer: 'fred', reason: 'missing invoice' } },
      { event: { type: 'revise' } },
    ],
  },
  {
    document: 'doc-held',
    story: 'held after legal approved; resumed two days later, finance gets a fresh deadline and escalates',
    steps: [
      { event: { type: 'submit', amount: 300 } },
      { advanceMs: 10 * HOUR },
      { event: { type: 'approve', region: 'legal', reviewer: 'lena' } },
      { event: { type: 'hold' } },
      { advanceMs: 2 * REVIEW_DEADLINE_MS },
      { event: { type: 'resume' } },
      { advanceMs: REVIEW_DEADLINE_MS },
      { event: { type: 'approve', region: 'finance', reviewer: 'lena' } },
      { event: { type: 'approve', region: 'finance', reviewer: 'fred' } },
    ],
  },
];
