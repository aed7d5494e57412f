import type { CallOptions, Model, ModelReply, ModelRequest, Turn } from './model.ts';
import { type StandInOptions, takeCall } from './stand-in-call.ts';

/**
 * A deterministic model: its reply is a pure function of the transcript, so a run is
 * reproducible and a repeated call answers what the first one did. It asks for a lookup before
 * answering about an order, and for a human's approval before a refund.
 *
 * @example
 * const model = new StandInModel({ callLog: callLogPath(db), answerAfterMs: 20 });
 * await model.complete({ conversation: 'c-001', transcript: [{ role: 'user', text: 'Hello' }] }, { idempotencyKey: 'k' });
 * // { kind: 'final', text: 'Hello! I am the order assistant of conversation c-001.' }
 */
export class StandInModel implements Model {
  readonly #options: StandInOptions;

  constructor(options: StandInOptions) {
    this.#options = options;
  }

  async complete(request: ModelRequest, options: CallOptions): Promise<ModelReply> {
    await takeCall(this.#options, { service: 'model', key: options.idempotencyKey, conversation: request.conversation, pid: process.pid });
    return standInReply(request);
  }
}

/** The stand-in's rules, on the turns since the user's last message. */
export function standInReply(request: ModelRequest): ModelReply {
  const { transcript } = request;
  let lastAsk = transcript.length - 1;
  while (lastAsk >= 0 && transcript[lastAsk]?.role !== 'user') lastAsk--;
  const ask = transcript[lastAsk]?.text ?? '';
  const since = transcript.slice(lastAsk + 1);
  const found = (role: Turn['role']) => since.find((turn) => turn.role === role)?.text;
  const order = /\border (o-\d+)/.exec(ask)?.[1];
  if (order && /\bstatus\b/i.test(ask)) {
    const status = found('tool');
    return status === undefined ? { kind: 'tool', tool: 'lookup', query: order } : { kind: 'final', text: `Here is what I found: ${status}.` };
  }
  if (order && /\brefund\b/i.test(ask)) {
    const status = found('tool');
    if (status === undefined) return { kind: 'tool', tool: 'lookup', query: order };
    const approval = found('approval');
    if (approval === undefined) return { kind: 'approval', action: `refund ${status}` };
    if (approval === 'granted') return { kind: 'final', text: `Done: I refunded ${order}.` };
    if (approval === 'denied') return { kind: 'final', text: `The refund of ${order} was not approved, so I did not make it.` };
    return { kind: 'final', text: `Nobody approved the refund of ${order} in time, so I did not make it.` };
  }
  return { kind: 'final', text: `Hello! I am the order assistant of conversation ${request.conversation}.` };
}
