import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { NatsConnection } from 'nats';
import { isRecqError, NatsConnectError } from '../errors.ts';
import { connectNats } from '../nats/connection.ts';
import type { NatsCredentials } from '../nats/credentials.ts';

/** Where a command meets its system: the servers of `--nats`, and `--namespace`. */
export interface NatsTarget {
  servers: string[];
  namespace: string;
  /** The servers as given, for messages. */
  url: string;
  /** What `--nats-user`, `--nats-token`, ... gave (the `RECQ_NATS_*` variables fill the rest when connecting). */
  credentials: NatsCredentials;
}

/** Connects for a command that asks the supervisor or the workers something; failures name the URL. */
export async function connectTo(target: NatsTarget): Promise<NatsConnection> {
  try {
    return await connectNats(target.servers, target.credentials);
  } catch (error) {
    throw explainConnectFailure(error, target);
  }
}

/**
 * A failure to reach NATS, as the CLI reports it: the URL, the reason, and what to do, which
 * is to install nats-server where it is missing. Any other error is returned as it is.
 */
export function explainConnectFailure(error: unknown, target: NatsTarget): unknown {
  // The error may come from a system module's own copy of recq: known by its code, not its class.
  if (!isRecqError(error) || error.code !== 'NATS_CONNECT') return error;
  const cause = (error as { cause?: unknown }).cause;
  const advice = natsServerInstalled()
    ? 'Check that nats-server is running there and listening on that port, or fix --nats.'
    : 'nats-server is not installed on this machine: install it with "apt-get install nats-server" (Debian/Ubuntu) and start it, or point --nats at a running server.';
  return new NatsConnectError(target.url, cause instanceof Error ? cause : error, advice);
}

const SERVER_LOCATIONS = ['/usr/sbin', '/usr/local/bin', '/usr/bin'];

function natsServerInstalled(): boolean {
  const dirs = [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), ...SERVER_LOCATIONS];
  return dirs.some((dir) => {
    try {
      accessSync(join(dir, 'nats-server'), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}
