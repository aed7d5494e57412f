import { ErrorCode, headers, type MsgHdrs, type NatsConnection } from 'nats';
import type { ActorView } from '../actor/actor-view.ts';
import type { ConsumerCommand, ConsumerCommandName } from '../css/commands.ts';
import { CONSUMER_COMMANDS } from '../css/commands.ts';
import type { DeadLetter } from '../css/records.ts';
import { RecqError, WorkerUnreachableError } from '../errors.ts';
import type { Logger } from '../logging/logger.ts';
import { subjectsFor } from '../nats/subjects.ts';
import { errorFromWire, errorToWire } from '../nats/wire-error.ts';
import { decodeMessage, WIRE_HEADER, WIRE_VERSION } from '../nats/wire-message.ts';

/** What an operator asks the worker that runs a consumer. */
export type ControlRequest =
  | { op: 'query'; component: string; key?: string }
  | { op: 'command'; consumer: string; command: ConsumerCommandName; arg?: number }
  | { op: 'deadLetters'; consumer: string };

/** Most dead letters one `deadLetters` reply lists: the consumer's newest. */
export const MAX_LISTED_LETTERS = 100;
/** NATS's own default, used while the server's is unknown (between reconnects). */
const DEFAULT_MAX_PAYLOAD = 1024 * 1024;
/** Room for the reply's headers and its `{"ok":true,"value":{...}}` wrapping inside max_payload. */
const REPLY_ALLOWANCE = 256;

/**
 * A consumer's newest dead letters, oldest first: at most `MAX_LISTED_LETTERS`, and no more
 * than fit the server's max_payload. `total` is how many the worker's file holds.
 */
export interface DeadLetterPage {
  letters: DeadLetter[];
  total: number;
}

/** What each request is answered with: the actor's view, the command as the worker's queue holds it after running it, or the consumer's dead letters. */
export interface ControlReplies {
  query: ActorView;
  command: ConsumerCommand;
  deadLetters: DeadLetterPage;
}

/** What a worker does with each request; throws a `RecqError` to refuse. */
export interface ControlHandler {
  query(component: string, key: string | undefined): ActorView | Promise<ActorView>;
  command(consumer: string, command: ConsumerCommandName, arg: number | undefined): ConsumerCommand | Promise<ConsumerCommand>;
  /** Every dead letter of `consumer` in this worker's file, oldest first. */
  deadLetters(consumer: string): DeadLetter[] | Promise<DeadLetter[]>;
}

function wireHeaders(): MsgHdrs {
  const h = headers();
  h.set(WIRE_HEADER, WIRE_VERSION);
  return h;
}

function decodeControlRequest(data: Uint8Array, h: MsgHdrs | undefined) {
  return decodeMessage('control request', data, h, (body, read): ControlRequest => {
    const o = read.object(body, 'request');
    if (o.op === 'query') {
      const key = read.optionalString(o.key, 'key');
      return { op: 'query', component: read.string(o.component, 'component'), ...(key === undefined ? {} : { key }) };
    }
    if (o.op === 'command') {
      const command = read.string(o.command, 'command');
      if (!(CONSUMER_COMMANDS as readonly string[]).includes(command)) read.fail('command', CONSUMER_COMMANDS.join(', '), command);
      const arg = read.optionalInteger(o.arg, 'arg', 0);
      return { op: 'command', consumer: read.string(o.consumer, 'consumer'), command: command as ConsumerCommandName, ...(arg === undefined ? {} : { arg }) };
    }
    if (o.op === 'deadLetters') return { op: 'deadLetters', consumer: read.string(o.consumer, 'consumer') };
    return read.fail('op', '"query", "command" or "deadLetters"', o.op);
  });
}

/** The newest of `letters` (oldest first) that fit one reply of at most `maxPayload` bytes. */
export function fitLetters(letters: readonly DeadLetter[], maxPayload: number): DeadLetterPage {
  const fitted: DeadLetter[] = [];
  let bytes = REPLY_ALLOWANCE + String(letters.length).length;
  for (let i = letters.length - 1; i >= 0 && fitted.length < MAX_LISTED_LETTERS; i--) {
    const letter = letters[i] as DeadLetter;
    const cost = Buffer.byteLength(JSON.stringify(letter)) + 1;
    if (bytes + cost > maxPayload) break;
    fitted.push(letter);
    bytes += cost;
  }
  return { letters: fitted.reverse(), total: letters.length };
}

/**
 * Answers queries, dead letter listings and operator commands for this process's consumers on its own control
 * subject (`<ns>.control.<owner hash>`), so the CLI can ask the worker that holds a consumer's
 * lease. Commands go through the worker's own command queue, as queued ones do.
 *
 * @example
 * const stop = serveWorkerControl(nc, { namespace: 'shop', owner, handler, logger });
 */
export function serveWorkerControl(
  connection: NatsConnection,
  options: { namespace?: string; owner: string; handler: ControlHandler; logger: Logger },
): () => void {
  const replyHeaders = wireHeaders();
  const subscription = connection.subscribe(subjectsFor(options.namespace).workerControl(options.owner), {
    callback: (error, msg) => {
      if (error || !msg.reply) return;
      const respond = (body: unknown) => {
        try {
          msg.respond(JSON.stringify(body), { headers: replyHeaders });
        } catch (failure) {
          options.logger.warn('could not answer a control request', { error: failure });
        }
      };
      const decoded = decodeControlRequest(msg.data, msg.headers);
      if (!decoded.ok) {
        respond({ ok: false, error: errorToWire(decoded.error) });
        return;
      }
      const request = decoded.value;
      Promise.resolve()
        .then(async () => {
          if (request.op === 'query') return options.handler.query(request.component, request.key);
          if (request.op === 'command') return options.handler.command(request.consumer, request.command, request.arg);
          return fitLetters(await options.handler.deadLetters(request.consumer), connection.info?.max_payload ?? DEFAULT_MAX_PAYLOAD);
        })
        .then(
          (value) => respond({ ok: true, value }),
          (failure: unknown) => {
            const refusal =
              failure instanceof RecqError ? failure : new RecqError('COMMAND_REFUSED', failure instanceof Error ? failure.message : String(failure));
            respond({ ok: false, error: errorToWire(refusal) });
          },
        );
    },
  });
  return () => subscription.unsubscribe();
}

/**
 * Asks the worker whose leases carry `owner`; resolves with its answer, or rejects with the
 * error it refused with (as a `RecqError`), or a `WorkerUnreachableError`.
 *
 * @example
 * const view = await askWorker(nc, 'shop', 'w-1', { op: 'query', component: 'orders', key: 'o-1' });
 */
export async function askWorker<R extends ControlRequest>(
  connection: NatsConnection,
  namespace: string | undefined,
  owner: string,
  request: R,
  timeoutMs = 5000,
): Promise<ControlReplies[R['op']]> {
  const subject = subjectsFor(namespace).workerControl(owner);
  let data: Uint8Array;
  let replyHeaders: MsgHdrs | undefined;
  try {
    const msg = await connection.request(subject, JSON.stringify(request), { timeout: timeoutMs, headers: wireHeaders() });
    data = msg.data;
    replyHeaders = msg.headers;
  } catch (error) {
    const code = (error as { code?: unknown })?.code;
    const reason =
      code === ErrorCode.NoResponders ? 'nothing is listening there' : code === ErrorCode.Timeout ? `no reply within ${timeoutMs} ms` : String(error);
    throw new WorkerUnreachableError(owner, subject, reason, error);
  }
  const decoded = decodeMessage('control reply', data, replyHeaders, (body, read) => {
    const o = read.object(body, 'reply');
    if (read.boolean(o.ok, 'ok')) return { ok: true as const, value: o.value };
    const wire = read.object(o.error, 'error');
    return {
      ok: false as const,
      error: errorFromWire({ ...wire, code: read.string(wire.code, 'error.code'), message: read.string(wire.message, 'error.message') }),
    };
  });
  if (!decoded.ok) throw decoded.error;
  if (!decoded.value.ok) throw decoded.value.error;
  return decoded.value.value as ControlReplies[R['op']];
}
