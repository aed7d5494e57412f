import { readFileSync } from 'node:fs';
import { type Authenticator, type ConnectionOptions, credsAuthenticator, nkeyAuthenticator } from 'nats';
import { InvalidOptionError } from '../errors.ts';

/** Files of a TLS connection to NATS, all PEM. */
export interface NatsTls {
  /** The CA that signed the server's certificate (default: the system's CAs). */
  ca?: string;
  /** This client's certificate, for servers that verify clients (`verify: true`). */
  cert?: string;
  /** The key of `cert`. */
  key?: string;
}

/**
 * How a recq process proves who it is to NATS. Give one of user/password, token, NKey seed or
 * `.creds` file, and TLS where the server asks for it. The server config then decides what
 * each identity may publish and subscribe to (see the README's security section).
 */
export interface NatsCredentials {
  user?: string;
  password?: string;
  token?: string;
  /** An NKey user seed (`SU...`), or the path of a file holding one. */
  nkey?: string;
  /** The path of a `.creds` file (a user JWT and its NKey seed). */
  creds?: string;
  /** TLS files, or `true` for TLS with the system's CAs and no client certificate. */
  tls?: NatsTls | true;
  /**
   * The prefix of this connection's reply subjects (default `_INBOX`). Give each user its own
   * (`_INBOX_worker-1`) and allow it only that, so no client can read replies meant for another.
   */
  inboxPrefix?: string;
}

/** The environment variables `credentialsFromEnv` reads, by field. */
export const NATS_ENV = {
  user: 'RECQ_NATS_USER',
  password: 'RECQ_NATS_PASSWORD',
  token: 'RECQ_NATS_TOKEN',
  nkey: 'RECQ_NATS_NKEY',
  creds: 'RECQ_NATS_CREDS',
  inboxPrefix: 'RECQ_NATS_INBOX_PREFIX',
  tlsCa: 'RECQ_NATS_TLS_CA',
  tlsCert: 'RECQ_NATS_TLS_CERT',
  tlsKey: 'RECQ_NATS_TLS_KEY',
} as const;

/**
 * The credentials the environment gives (`RECQ_NATS_USER`, `RECQ_NATS_PASSWORD`,
 * `RECQ_NATS_TOKEN`, `RECQ_NATS_NKEY`, `RECQ_NATS_CREDS`, `RECQ_NATS_INBOX_PREFIX`,
 * `RECQ_NATS_TLS_CA`, `RECQ_NATS_TLS_CERT`, `RECQ_NATS_TLS_KEY`); empty ones are ignored.
 *
 * @example
 * // RECQ_NATS_CREDS=/etc/recq/worker.creds recq worker shop.ts --nats tls://nats.internal:4222 ...
 * const credentials = credentialsFromEnv(process.env);
 */
export function credentialsFromEnv(env: NodeJS.ProcessEnv = process.env): NatsCredentials {
  const value = (name: string): string | undefined => (env[name] === undefined || env[name] === '' ? undefined : env[name]);
  const credentials: NatsCredentials = {};
  for (const field of ['user', 'password', 'token', 'nkey', 'creds', 'inboxPrefix'] as const) {
    const given = value(NATS_ENV[field]);
    if (given !== undefined) credentials[field] = given;
  }
  const tls: NatsTls = {};
  const ca = value(NATS_ENV.tlsCa);
  const cert = value(NATS_ENV.tlsCert);
  const key = value(NATS_ENV.tlsKey);
  if (ca !== undefined) tls.ca = ca;
  if (cert !== undefined) tls.cert = cert;
  if (key !== undefined) tls.key = key;
  if (Object.keys(tls).length > 0) credentials.tls = tls;
  return credentials;
}

/**
 * `given` where it says something, the environment's credentials otherwise: a process started
 * with flags or options uses them, one started with none uses `RECQ_NATS_*`.
 */
export function withEnvCredentials(given: NatsCredentials, env: NodeJS.ProcessEnv = process.env): NatsCredentials {
  const identity = given.user !== undefined || given.token !== undefined || given.nkey !== undefined || given.creds !== undefined;
  const fromEnv = credentialsFromEnv(env);
  const merged: NatsCredentials = identity ? {} : { ...pick(fromEnv, ['user', 'password', 'token', 'nkey', 'creds']) };
  Object.assign(merged, pick(given, ['user', 'password', 'token', 'nkey', 'creds']));
  const tls = given.tls ?? fromEnv.tls;
  if (tls !== undefined) merged.tls = tls;
  const inboxPrefix = given.inboxPrefix ?? fromEnv.inboxPrefix;
  if (inboxPrefix !== undefined) merged.inboxPrefix = inboxPrefix;
  return merged;
}

/**
 * The nats.js connection options for `credentials`: user and pass, token, an authenticator for
 * an NKey seed or a `.creds` file (read now, so a missing file fails at start), and TLS files.
 * Refuses contradictory or incomplete credentials with `InvalidOptionError`, never showing a
 * secret in its message.
 *
 * @example
 * const nc = await connect({ servers, ...authOptions({ creds: '/etc/recq/worker.creds', tls: { ca: '/etc/recq/ca.pem' } }) });
 */
export function authOptions(credentials: NatsCredentials): Partial<ConnectionOptions> {
  const { user, password, token, nkey, creds, tls, inboxPrefix } = credentials;
  const identities = [user !== undefined || password !== undefined, token !== undefined, nkey !== undefined, creds !== undefined].filter(Boolean).length;
  if (identities > 1) throw new InvalidOptionError('nats credentials', '(hidden)', 'give one of user/password, token, nkey or creds, not several');
  if (password !== undefined && user === undefined) throw new InvalidOptionError('nats.password', '(hidden)', 'a password needs nats.user too');
  if (user !== undefined && password === undefined) throw new InvalidOptionError('nats.user', user, 'a user needs nats.password too');
  const options: Partial<ConnectionOptions> = {};
  if (user !== undefined) {
    options.user = user;
    options.pass = password as string;
  }
  if (token !== undefined) options.token = token;
  const authenticator = nkey !== undefined ? nkeyFrom(nkey) : creds !== undefined ? credsFrom(creds) : undefined;
  if (authenticator) options.authenticator = authenticator;
  if (tls === true) options.tls = {};
  else if (tls !== undefined) {
    if ((tls.cert === undefined) !== (tls.key === undefined))
      throw new InvalidOptionError('nats.tls', tls, 'a client certificate needs its key, and a key its certificate');
    options.tls = {
      ...(tls.ca === undefined ? {} : { caFile: readable(tls.ca, 'nats.tls.ca') }),
      ...(tls.cert === undefined ? {} : { certFile: readable(tls.cert, 'nats.tls.cert') }),
      ...(tls.key === undefined ? {} : { keyFile: readable(tls.key, 'nats.tls.key') }),
    };
  }
  if (inboxPrefix !== undefined) options.inboxPrefix = inboxPrefix;
  return options;
}

function nkeyFrom(nkey: string): Authenticator {
  const seed = nkey.startsWith('S') && !nkey.includes('/') ? nkey : readText(nkey, 'nats.nkey').trim();
  if (!/^SU[A-Z2-7]{50,}$/.test(seed))
    throw new InvalidOptionError('nats.nkey', nkey.startsWith('S') ? '(hidden)' : nkey, 'expected an NKey user seed (SU...) or a file holding one');
  return nkeyAuthenticator(new TextEncoder().encode(seed));
}

function credsFrom(path: string): Authenticator {
  const text = readText(path, 'nats.creds');
  if (!text.includes('BEGIN NATS USER JWT'))
    throw new InvalidOptionError('nats.creds', path, 'expected a .creds file (a user JWT and its NKey seed, as nsc writes them)');
  return credsAuthenticator(new TextEncoder().encode(text));
}

function readText(path: string, option: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new InvalidOptionError(option, path, `could not read it (${error instanceof Error ? error.message : String(error)})`);
  }
}

function readable(path: string, option: string): string {
  readText(path, option);
  return path;
}

function pick<T extends object, K extends keyof T>(from: T, keys: readonly K[]): Pick<T, K> {
  const picked = {} as Pick<T, K>;
  for (const key of keys) if (from[key] !== undefined) picked[key] = from[key];
  return picked;
}
