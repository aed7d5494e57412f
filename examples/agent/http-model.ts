import type { CallOptions, Model, ModelReply, ModelRequest } from './model.ts';

/** Where a real model is reached, and how. */
export interface HttpModelOptions {
  /** An endpoint that takes `{ conversation, transcript }` as JSON and answers a `ModelReply` as JSON. */
  url: string;
  /** Sent as `Authorization: Bearer <token>` when given. */
  token?: string;
  /** Real milliseconds before a call is abandoned (it then fails, and the conversation reports it). */
  timeoutMs?: number;
}

/** The endpoint answered something other than a `ModelReply`, or an HTTP error. */
export class ModelCallError extends Error {
  readonly code = 'MODEL_CALL_FAILED';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ModelCallError';
  }
}

/**
 * A model behind an HTTP endpoint (an adapter in front of a hosted model, say). The idempotency
 * key goes in the `Idempotency-Key` header: a call repeated after a crash carries the key of
 * the first, so an endpoint that honours it answers the repeat from its cache.
 *
 * @example
 * const model = new HttpModel({ url: 'http://localhost:8080/complete', token: process.env.MODEL_TOKEN });
 */
export class HttpModel implements Model {
  readonly #options: HttpModelOptions;

  constructor(options: HttpModelOptions) {
    this.#options = options;
  }

  async complete(request: ModelRequest, options: CallOptions): Promise<ModelReply> {
    const headers: Record<string, string> = { 'content-type': 'application/json', 'idempotency-key': options.idempotencyKey };
    if (this.#options.token) headers.authorization = `Bearer ${this.#options.token}`;
    const response = await fetch(this.#options.url, {
      method: 'POST',
      headers,
      body: JSON.stringify(request),
      signal: AbortSignal.timeout(this.#options.timeoutMs ?? 60_000),
    });
    if (!response.ok)
      throw new ModelCallError(`model endpoint ${this.#options.url} answered HTTP ${response.status}: ${(await response.text()).slice(0, 200)}`);
    const body: unknown = await response.json();
    if (!isModelReply(body)) {
      throw new ModelCallError(
        `model endpoint ${this.#options.url} answered ${JSON.stringify(body).slice(0, 200)}; expected { kind: 'final', text } | { kind: 'tool', tool: 'lookup', query } | { kind: 'approval', action }`,
      );
    }
    return body;
  }
}

function isModelReply(value: unknown): value is ModelReply {
  if (typeof value !== 'object' || value === null) return false;
  const reply = value as Record<string, unknown>;
  if (reply.kind === 'final') return typeof reply.text === 'string';
  if (reply.kind === 'tool') return reply.tool === 'lookup' && typeof reply.query === 'string';
  if (reply.kind === 'approval') return typeof reply.action === 'string';
  return false;
}
