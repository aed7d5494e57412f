import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import { DashboardForbiddenError, DashboardNeedsTokenError, DashboardRequestError, DashboardUnauthorizedError } from '../errors.ts';

/** The cookie the page carries its token in once opened with `?token=`, so its stream (which sends no headers) is let in too. */
export const TOKEN_COOKIE = 'recq_dashboard_token';

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '::1', '[::1]']);

/** Whether `host` (a listen address) reaches only this machine. */
export function isLoopback(host: string): boolean {
  return LOOPBACK_NAMES.has(host) || (isIP(host) === 4 && host.startsWith('127.'));
}

/**
 * What lets a request in. Without a token (loopback only): a `Host` naming loopback, which
 * keeps out pages that rebind their own host name to 127.0.0.1. Always: an `Origin`, when sent,
 * equal to the dashboard's own; and for writes the dashboard's header, which no cross-site
 * form can send, nor a cross-site script without a preflight the dashboard never grants.
 */
export class RequestGuard {
  readonly #token: Buffer | undefined;
  readonly #writeHeader: string | undefined;

  /** `writeHeader`: the header (valued `1`) a write must carry; a server without writes gives none, and refuses every write. */
  constructor(host: string, token: string | undefined, writeHeader?: string) {
    if (!isLoopback(host) && !token) throw new DashboardNeedsTokenError(host);
    this.#token = token ? Buffer.from(token) : undefined;
    this.#writeHeader = writeHeader;
  }

  /** Throws the typed refusal of a request that may not be answered; `write` for requests that change things. */
  check(request: IncomingMessage, url: URL, write: boolean): void {
    const host = request.headers.host ?? '';
    if (!this.#token && !LOOPBACK_NAMES.has(hostName(host))) {
      throw new DashboardForbiddenError('Host', host, ['localhost', '127.0.0.1', '[::1]']);
    }
    const origin = request.headers.origin;
    if (origin !== undefined && origin !== `http://${host}`) throw new DashboardForbiddenError('Origin', origin, [`http://${host}`]);
    if (request.headers['sec-fetch-site'] === 'cross-site') throw new DashboardForbiddenError('Origin', origin ?? 'cross-site', [`http://${host}`]);
    if (this.#token) {
      const given = tokenOf(request, url);
      if (given === undefined) throw new DashboardUnauthorizedError('missing');
      const bytes = Buffer.from(given);
      if (bytes.length !== this.#token.length || !timingSafeEqual(bytes, this.#token)) throw new DashboardUnauthorizedError('wrong');
    }
    if (write && (this.#writeHeader === undefined || request.headers[this.#writeHeader] !== '1')) {
      throw new DashboardRequestError(400, `A dashboard write must carry the header "${this.#writeHeader}: 1" (the page sends it); nothing was changed.`);
    }
  }

  /** The `Set-Cookie` that keeps a token given in the address, for the page's later requests. */
  cookieFor(url: URL): string | undefined {
    const token = url.searchParams.get('token');
    if (!this.#token || token === null) return undefined;
    return `${TOKEN_COOKIE}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/`;
  }
}

/** `127.0.0.1:7373` → `127.0.0.1`, `[::1]:7373` → `[::1]`. */
function hostName(host: string): string {
  if (host.startsWith('[')) return host.slice(0, host.indexOf(']') + 1);
  const colon = host.lastIndexOf(':');
  return colon === -1 ? host : host.slice(0, colon);
}

function tokenOf(request: IncomingMessage, url: URL): string | undefined {
  const authorization = request.headers.authorization;
  if (authorization?.startsWith('Bearer ')) return authorization.slice('Bearer '.length);
  const query = url.searchParams.get('token');
  if (query !== null) return query;
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const [name, ...value] = part.trim().split('=');
    if (name === TOKEN_COOKIE) return decodeURIComponent(value.join('='));
  }
  return undefined;
}
