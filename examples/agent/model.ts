/** One entry of a conversation as the model sees it. */
export interface Turn {
  role: 'user' | 'assistant' | 'tool' | 'approval';
  text: string;
}

/** What the agent asks the model: the whole conversation so far. */
export interface ModelRequest {
  conversation: string;
  transcript: readonly Turn[];
}

/**
 * What the model answers: a reply for the user, a tool it wants called first, or an action
 * risky enough that a human must approve it before the agent goes on.
 */
export type ModelReply = { kind: 'final'; text: string } | { kind: 'tool'; tool: 'lookup'; query: string } | { kind: 'approval'; action: string };

/** What a model call carries besides the request. */
export interface CallOptions {
  /**
   * The same for every run of one invocation: a call repeated after a crash carries the key it
   * had, so a provider that deduplicates by it answers (and bills) once.
   */
  idempotencyKey: string;
}

/**
 * A language model behind the agent. The stand-in (`stand-in-model.ts`) answers from rules;
 * `http-model.ts` calls an HTTP endpoint.
 *
 * @example
 * const reply = await model.complete({ conversation: 'c-001', transcript: [{ role: 'user', text: 'hi' }] }, { idempotencyKey });
 * if (reply.kind === 'final') console.log(reply.text);
 */
export interface Model {
  complete(request: ModelRequest, options: CallOptions): Promise<ModelReply>;
}

/** A tool the model may ask for; its result goes back to the model as a `tool` turn. */
export interface LookupTool {
  lookup(request: { conversation: string; query: string }, options: CallOptions): Promise<string>;
}
