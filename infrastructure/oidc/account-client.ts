/**
 * Tessera's own account page is a relying party of Tessera's provider, like any service, so it signs
 * people in through the same pages, limits and sessions. It is a built-in client, not one of a
 * provider's catalog clients: it asks only for `openid`, needs no consent (the page belongs to the
 * person's own account), and its codes are redeemed in-process by the account page, never at the
 * token endpoint (see infrastructure/http/account/account-session.ts).
 */
import type { ClientMetadata } from 'oidc-provider';

/** Not a UUID, so it can never collide with a catalog client's id. */
export const ACCOUNT_CLIENT_ID = 'tessera-account';

/** Where the account page lives and where the provider sends its codes. */
export const ACCOUNT_PATH = '/account';
export const ACCOUNT_CALLBACK_PATH = '/account/callback';
/**
 * The hosted payment page signs its payer in through the same built-in client (it is Tessera's own
 * page too), with its own callback so its session stays apart from the account page's.
 */
export const PAY_PATH = '/pay';
export const PAY_CALLBACK_PATH = '/pay/callback';
/** Tessera's staff pages sign staff in through the same client, each with its own callback. */
export const SUPPORT_PATH = '/support';
export const SUPPORT_CALLBACK_PATH = '/support/callback';
export const DASHBOARD_PATH = '/dashboard';
export const DASHBOARD_CALLBACK_PATH = '/dashboard/callback';

/** The account page's URL under an issuer (no trailing slash). */
export const accountUrl = (issuer: string, path = ACCOUNT_PATH): string => `${issuer}${path}`;

/**
 * The account client's metadata. Public (no secret to keep) and therefore held to PKCE like every
 * public client; codes only, no tokens.
 */
export function accountClientMetadata(issuer: string): ClientMetadata {
  return {
    client_id: ACCOUNT_CLIENT_ID,
    client_name: 'Tessera',
    token_endpoint_auth_method: 'none',
    redirect_uris: [
      ACCOUNT_CALLBACK_PATH,
      PAY_CALLBACK_PATH,
      SUPPORT_CALLBACK_PATH,
      DASHBOARD_CALLBACK_PATH,
    ].map((path) => accountUrl(issuer, path)),
    post_logout_redirect_uris: [accountUrl(issuer)],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    scope: 'openid',
  };
}

export const isFirstPartyClient = (clientId: string | undefined): boolean => clientId === ACCOUNT_CLIENT_ID;
