import type { NatsCredentials, NatsTls } from '../nats/credentials.ts';
import { assertNamespace, DEFAULT_NAMESPACE } from '../nats/subjects.ts';
import type { NatsTarget } from '../operator/nats-target.ts';
import { UsageError } from './command.ts';
import { type EnvSourced, FROM_ENV, givenOnCommandLine } from './flags.ts';

/** The values of `NATS_AUTH_FLAGS` as `parseArgs` returns them. */
export interface NatsAuthValues {
  'nats-user'?: string | undefined;
  'nats-password'?: string | undefined;
  'nats-token'?: string | undefined;
  'nats-nkey'?: string | undefined;
  'nats-creds'?: string | undefined;
  'nats-inbox-prefix'?: string | undefined;
  'nats-tls-ca'?: string | undefined;
  'nats-tls-cert'?: string | undefined;
  'nats-tls-key'?: string | undefined;
}

/**
 * The credentials the `--nats-*` flags give; a command without those flags gets none here and
 * connects with what `RECQ_NATS_*` says.
 *
 * @example
 * natsCredentialsOf({ 'nats-creds': '/etc/recq/worker.creds' }); // { creds: '/etc/recq/worker.creds' }
 */
export function natsCredentialsOf(values: NatsAuthValues): NatsCredentials {
  const credentials: NatsCredentials = {};
  const fields = [
    ['nats-user', 'user'],
    ['nats-password', 'password'],
    ['nats-token', 'token'],
    ['nats-nkey', 'nkey'],
    ['nats-creds', 'creds'],
    ['nats-inbox-prefix', 'inboxPrefix'],
  ] as const;
  for (const [flag, field] of fields) {
    const value = values[flag];
    if (value !== undefined) credentials[field] = value;
  }
  const tls: NatsTls = {};
  if (values['nats-tls-ca'] !== undefined) tls.ca = values['nats-tls-ca'];
  if (values['nats-tls-cert'] !== undefined) tls.cert = values['nats-tls-cert'];
  if (values['nats-tls-key'] !== undefined) tls.key = values['nats-tls-key'];
  if (Object.keys(tls).length > 0) credentials.tls = tls;
  return credentials;
}

type TargetValues = { nats?: string | undefined; namespace?: string | undefined } & NatsAuthValues & EnvSourced;

/** `--nats` and `--namespace` (or `RECQ_NATS` and `RECQ_NAMESPACE`), checked; undefined when neither `--nats` nor its variable is given. */
export function parseNatsTarget(command: string, values: TargetValues): NatsTarget | undefined {
  if (values.nats === undefined) {
    // RECQ_NAMESPACE alone says nothing: the shell may be set up for another command's NATS.
    if (givenOnCommandLine(values, 'namespace')) throw new UsageError('--namespace names the subjects of a system over NATS; give --nats URL too', command);
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
  return { servers, namespace, url: servers.join(','), credentials: natsCredentialsOf(values) };
}

/**
 * Like `parseNatsTarget`, for commands that read a file unless `--nats` says to ask a running
 * system: `--db` with `--nats` is refused. A flag on the command line beats any variable, so
 * `--db FILE` reads the file whatever `RECQ_NATS` says, and `--nats URL` asks NATS whatever
 * `RECQ_DB` says; with only the variables, `RECQ_NATS` beats `RECQ_DB` (a shell set up for a
 * distributed system asks it, rather than one of its files).
 *
 * @example
 * // RECQ_NATS=nats://127.0.0.1:4222 recq status --db ./shop.db
 * parseNatsInsteadOfDb('status', values); // undefined: read ./shop.db
 */
export function parseNatsInsteadOfDb(command: string, values: TargetValues & { db?: string | undefined }): NatsTarget | undefined {
  const db = givenOnCommandLine(values, 'db');
  if (db && givenOnCommandLine(values, 'nats')) throw new UsageError('give --db FILE or --nats URL, not both', command);
  if (!db) return parseNatsTarget(command, values);
  return parseNatsTarget(command, { ...values, nats: undefined, [FROM_ENV]: values[FROM_ENV] });
}

/** Like `parseNatsTarget`, for commands that only work over NATS. */
export function requireNatsTarget(command: string, values: TargetValues): NatsTarget {
  const target = parseNatsTarget(command, values);
  if (!target) throw new UsageError('missing --nats URL: the NATS server the system meets on', command);
  return target;
}
