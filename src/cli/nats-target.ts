import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { ParseArgsConfig } from 'node:util';
import type { NatsConnection } from 'nats';
import { RecqError } from '../errors.ts';
import { connectNats } from '../nats/connection.ts';
import { assertNamespace, DEFAULT_NAMESPACE } from '../nats/subjects.ts';
import { isRecqError, UsageError } from './command.ts';

/** The flags of every command that reaches a distributed system over NATS. */
export const NATS_OPTIONS = { nats: { type: 'string' }, namespace: { type: 'string' } } as const satisfies NonNullable<ParseArgsConfig['options']>;

/** Help lines for `NATS_OPTIONS`. */
export const NATS_OPTIONS_HELP = `  --nats URL        the NATS server (nats://127.0.0.1:4222), or several, comma-separated,
                    from one cluster: the process connects to one and fails over to the others
  --namespace NS    first token of every subject (default ${DEFAULT_NAMESPACE}): systems that share a NATS
                    server differ here, and each process of one system must give the same`;

/** Where a command meets its system: the servers of `--nats`, and `--namespace`. */
export interface NatsTarget {
  servers: string[];
  namespace: string;
  /** The servers as given, for messages. */
  url: string;
}

/** `--nats` and `--namespace`, checked; undefined when `--nats` is not given. */
export function parseNatsTarget(command: string, values: { nats?: string | undefined; namespace?: string | undefined }): NatsTarget | undefined {
  if (values.nats === undefined) {
    if (values.namespace !== undefined) throw new UsageError('--namespace names the subjects of a system over NATS; give --nats URL too', command);
    return undefined;
  }
  const servers = values.nats
    .split(',')
    .map((server) => server.trim())
    .filter((server) => server !== '');
  if (servers.length === 0) throw new UsageError(`--nats expects a server URL such as nats://127.0.0.1:4222, got ${JSON.stringify(values.nats)}`, command);
  const namespace = values.namespace ?? DEFAULT_NAMESPACE;
  try {
    assertNamespace(namespace);
  } catch (error) {
    throw new UsageError(`--namespace ${JSON.stringify(namespace)}: ${error instanceof Error ? error.message : String(error)}`, command);
  }
  return { servers, namespace, url: servers.join(',') };
}

/** Like `parseNatsTarget`, for commands that only work over NATS. */
export function requireNatsTarget(command: string, values: { nats?: string | undefined; namespace?: string | undefined }): NatsTarget {
  const target = parseNatsTarget(command, values);
  if (!target) throw new UsageError('missing --nats URL: the NATS server the system meets on', command);
  return target;
}

/** Connects for a command that asks the supervisor or the workers something; failures name the URL. */
export async function connectTo(target: NatsTarget): Promise<NatsConnection> {
  try {
    return await connectNats(target.servers);
  } catch (error) {
    throw explainConnectFailure(error, target);
  }
}

/**
 * A failure to reach NATS, as the CLI reports it: the URL, the reason, and what to do, which
 * is to install nats-server where it is missing. Any other error is returned as it is.
 */
export function explainConnectFailure(error: unknown, target: NatsTarget): unknown {
  if (!isRecqError(error) || error.code !== 'NATS_CONNECT') return error;
  const cause = (error as { cause?: unknown }).cause;
  const why = cause instanceof Error ? cause.message : error.message;
  const advice = natsServerInstalled()
    ? 'Check that nats-server is running there and listening on that port, or fix --nats.'
    : 'nats-server is not installed on this machine: install it with "apt-get install nats-server" (Debian/Ubuntu) and start it, or point --nats at a running server.';
  return new RecqError('NATS_CONNECT', `Cannot connect to NATS at ${target.url}: ${why}. ${advice}`, { cause: error });
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
