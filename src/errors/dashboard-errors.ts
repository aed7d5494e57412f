import { RecqError } from './recq-error.ts';

/** A request to the dashboard from another site (its `Origin`), or addressed to a host name it does not serve (its `Host`). */
export class DashboardForbiddenError extends RecqError {
  constructor(
    readonly header: 'Origin' | 'Host',
    readonly value: string,
    allowed: readonly string[],
  ) {
    super(
      'DASHBOARD_FORBIDDEN',
      `Refused a dashboard request with ${header} ${JSON.stringify(value)}: the dashboard answers only ${allowed.join(', ')}. Open the page from the address "recq dashboard" printed.`,
    );
  }
}

/** A request without the dashboard's access token, or with another one. */
export class DashboardUnauthorizedError extends RecqError {
  constructor(readonly reason: 'missing' | 'wrong') {
    super(
      'DASHBOARD_UNAUTHORIZED',
      `The dashboard needs its access token and this request ${reason === 'missing' ? 'carries none' : 'carries another one'}. Open the address "recq dashboard" printed (it ends in ?token=...), or send "Authorization: Bearer <token>".`,
    );
  }
}

/** A dashboard request that cannot be answered as sent: unknown path, missing write header, bad body or parameter. */
export class DashboardRequestError extends RecqError {
  constructor(
    readonly status: 400 | 404 | 405,
    message: string,
  ) {
    super('DASHBOARD_BAD_REQUEST', message);
  }
}

/** The dashboard asked to listen beyond loopback without an access token. */
export class DashboardNeedsTokenError extends RecqError {
  constructor(readonly host: string) {
    super(
      'DASHBOARD_NEEDS_TOKEN',
      `The dashboard changes things (retry, skip, pause), so it listens on ${JSON.stringify(host)}, beyond loopback, only with an access token: pass --token SECRET (or RECQ_DASHBOARD_TOKEN), or leave --host out to listen on 127.0.0.1.`,
    );
  }
}

/** The page's bundle is missing: recq runs from a checkout that was not built. */
export class DashboardNotBuiltError extends RecqError {
  constructor(readonly path: string) {
    super('DASHBOARD_NOT_BUILT', `The dashboard page is not built (no ${path}). Run "npm run build" in the recq package first.`);
  }
}
