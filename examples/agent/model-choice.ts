import { HttpModel } from './http-model.ts';
import type { Model } from './model.ts';
import type { StandInOptions } from './stand-in-call.ts';
import { StandInModel } from './stand-in-model.ts';

/** Set to an endpoint's URL to run the agent on a real model instead of the stand-in. */
export const MODEL_URL_VARIABLE = 'RECQ_AGENT_MODEL_URL';
/** Sent as a bearer token to that endpoint, if set. */
export const MODEL_TOKEN_VARIABLE = 'RECQ_AGENT_MODEL_TOKEN';

/**
 * The model the agent runs on: an HTTP endpoint if `RECQ_AGENT_MODEL_URL` is set, the
 * deterministic stand-in otherwise.
 *
 * @example
 * const model = chooseModel(process.env, { callLog: callLogPath(db), answerAfterMs: 20 });
 */
export function chooseModel(env: NodeJS.ProcessEnv, standIn: StandInOptions): Model {
  const url = env[MODEL_URL_VARIABLE];
  if (url === undefined || url === '') return new StandInModel(standIn);
  const token = env[MODEL_TOKEN_VARIABLE];
  return new HttpModel(token ? { url, token } : { url });
}
