/**
 * Who is signed in to the account page. The page is a relying party of Tessera's own provider
 * (account-client.ts): it sends the browser to the authorization endpoint with state and PKCE S256,
 * and redeems the code in-process, straight from the provider's storage, checking what a token
 * endpoint would (client, redirect URI, PKCE, expiry, single use). The code names the account,
 * when it authenticated, and the provider session it came from.
 *
 * The account page then keeps its own session: a random id in an HttpOnly, SameSite=Lax cookie
 * scoped to /account (Secure behind https), stored only as its SHA-256 digest. It lives while the
 * provider session it came from lives: signing out anywhere, or ending that session from another
 * device, ends it too.
 *
 * The same mechanism serves the hosted payment page (/pay) with its own SessionScope: its own
 * cookies scoped to /pay, its own callback and its own stored sessions, so neither page's cookie is
 * ever sent to or accepted by the other.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Request, Response } from 'express';
import type Provider from 'oidc-provider';
import type { Clock } from '../../../application/ports/clock.js';
import type { EphemeralStore } from '../../../application/ports/ephemeral-store.js';
import type { UserSessions } from '../../../application/user/user-sessions.js';
import {
  ACCOUNT_CALLBACK_PATH,
  ACCOUNT_CLIENT_ID,
  ACCOUNT_PATH,
  accountUrl,
} from '../../oidc/account-client.js';
import { OIDC_ROUTES } from '../../oidc/provider.js';

export const ACCOUNT_COOKIE = 'tessera_account';
export const ACCOUNT_LOGIN_COOKIE = 'tessera_account_login';

/**
 * Where a page's sessions live: the cookie path and names, the callback the provider sends codes
 * to (one of the account client's redirect URIs), the store namespace, and which paths a sign-in
 * may return to.
 */
export interface SessionScope {
  readonly path: string;
  readonly callbackPath: string;
  readonly cookie: string;
  readonly loginCookie: string;
  readonly namespace: string;
  readonly safeReturnTo: (value: unknown) => string;
}

/** An account-page session never outlives this, whatever the provider session does. */
export const ACCOUNT_SESSION_TTL_SECONDS = 12 * 3600;
/** Time to come back from the sign-in pages. */
const LOGIN_TTL_SECONDS = 15 * 60;

export interface AccountSession {
  /** The digest the session is stored under; binds the page's CSRF tokens. */
  readonly key: string;
  readonly sub: string;
  /** The provider session the sign-in came from. */
  readonly sessionUid: string;
  /**
   * Until when (epoch ms, the server's clock) the person counts as freshly authenticated: set only
   * by a sign-in made with max_age=0, which the provider answers only after a new code (and
   * password, if any) was entered. Null otherwise.
   */
  readonly freshUntil: number | null;
  readonly acr: string | null;
}

interface PendingLogin {
  readonly verifier: string;
  readonly returnTo: string;
  readonly reauthenticate: boolean;
}

/** How long a fresh sign-in allows sensitive acts (deleting the account). */
export const FRESH_SIGN_IN_SECONDS = 5 * 60;

export type CompleteOutcome =
  | { readonly ok: true; readonly returnTo: string }
  | { readonly ok: false; readonly reason: 'denied' | 'invalid' };

const digest = (value: string): string => createHash('sha256').update(value).digest('base64url');
const token = (): string => randomBytes(32).toString('base64url');

/** Only the account page's own paths may be returned to. */
export function safeReturnTo(value: unknown): string {
  if (typeof value !== 'string') return ACCOUNT_PATH;
  return /^\/account(\/[a-z-]*)?$/.test(value) ? value : ACCOUNT_PATH;
}

/** The account page's scope: cookies on /account, codes at /account/callback. */
export const ACCOUNT_SESSION_SCOPE: SessionScope = {
  path: ACCOUNT_PATH,
  callbackPath: ACCOUNT_CALLBACK_PATH,
  cookie: ACCOUNT_COOKIE,
  loginCookie: ACCOUNT_LOGIN_COOKIE,
  namespace: 'account',
  safeReturnTo,
};

/** A cookie's value from the request's Cookie header. */
export function readCookie(req: Request, name: string): string | null {
  const header = req.get('cookie');
  if (header === undefined) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) {
      const value = part.slice(eq + 1).trim();
      return /^[A-Za-z0-9_-]{16,128}$/.test(value) ? value : null;
    }
  }
  return null;
}

export interface AccountSessionsDeps {
  readonly store: EphemeralStore;
  readonly sessions: Pick<UserSessions, 'isLive'>;
  readonly clock: Clock;
  /** The page the sessions belong to; the account page's by default. */
  readonly scope?: SessionScope;
}

export class AccountSessions {
  private readonly scope: SessionScope;
  private readonly sessionNamespace: string;
  private readonly loginNamespace: string;

  constructor(private readonly deps: AccountSessionsDeps) {
    this.scope = deps.scope ?? ACCOUNT_SESSION_SCOPE;
    this.sessionNamespace = `${this.scope.namespace}-session`;
    this.loginNamespace = `${this.scope.namespace}-login`;
  }

  /**
   * Starts a sign-in: remembers the PKCE verifier under a fresh state, binds the state to this
   * browser with a short cookie, and returns the authorization URL. `reauthenticate` asks for a
   * new sign-in even within a live session (max_age=0), for acts like deleting the account.
   */
  async begin(
    res: Response,
    issuer: string,
    options: { readonly returnTo: string; readonly reauthenticate?: boolean; readonly uiLocales?: string },
  ): Promise<string> {
    const state = token();
    const verifier = token();
    const pending: PendingLogin = {
      verifier,
      returnTo: this.scope.safeReturnTo(options.returnTo),
      reauthenticate: options.reauthenticate === true,
    };
    await this.deps.store.set(this.loginNamespace, digest(state), pending, { ttlSeconds: LOGIN_TTL_SECONDS });
    this.setCookie(res, issuer, this.scope.loginCookie, state, LOGIN_TTL_SECONDS);
    const url = new URL(`${issuer}${OIDC_ROUTES.authorization}`);
    url.search = new URLSearchParams({
      client_id: ACCOUNT_CLIENT_ID,
      response_type: 'code',
      scope: 'openid',
      redirect_uri: accountUrl(issuer, this.scope.callbackPath),
      state,
      code_challenge: createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
      ...(options.reauthenticate === true ? { max_age: '0' } : {}),
      ...(options.uiLocales !== undefined ? { ui_locales: options.uiLocales } : {}),
    }).toString();
    return url.href;
  }

  /**
   * Finishes a sign-in at the callback: the state must be this browser's, the code the account
   * client's, unexpired, unused and matching the verifier. Opens the account session.
   */
  async complete(req: Request, res: Response, provider: Provider): Promise<CompleteOutcome> {
    const issuer = provider.issuer;
    const state = typeof req.query.state === 'string' ? req.query.state : '';
    const cookieState = readCookie(req, this.scope.loginCookie);
    this.clearCookie(res, issuer, this.scope.loginCookie);
    if (cookieState === null || state !== cookieState) return { ok: false, reason: 'invalid' };
    const login = await this.deps.store.get<PendingLogin>(this.loginNamespace, digest(state));
    if (login === null || !(await this.deps.store.consume(this.loginNamespace, digest(state)))) {
      return { ok: false, reason: 'invalid' };
    }
    if (typeof req.query.error === 'string') return { ok: false, reason: 'denied' };
    const codeValue = typeof req.query.code === 'string' ? req.query.code : '';
    if (codeValue.length === 0 || codeValue.length > 200) return { ok: false, reason: 'invalid' };

    const code = await provider.AuthorizationCode.find(codeValue);
    const challenge = createHash('sha256').update(login.value.verifier).digest('base64url');
    if (
      code === undefined ||
      (code as unknown as { consumed?: number }).consumed !== undefined ||
      code.clientId !== ACCOUNT_CLIENT_ID ||
      code.redirectUri !== accountUrl(issuer, this.scope.callbackPath) ||
      code.codeChallenge !== challenge ||
      code.accountId === undefined ||
      code.sessionUid === undefined
    ) {
      return { ok: false, reason: 'invalid' };
    }
    try {
      await code.consume();
    } catch {
      return { ok: false, reason: 'invalid' };
    }
    const id = token();
    const session: Omit<AccountSession, 'key'> = {
      sub: code.accountId,
      sessionUid: code.sessionUid,
      freshUntil: login.value.reauthenticate
        ? this.deps.clock.now().getTime() + FRESH_SIGN_IN_SECONDS * 1000
        : null,
      acr: code.acr ?? null,
    };
    await this.deps.store.set(this.sessionNamespace, digest(id), session, {
      ttlSeconds: ACCOUNT_SESSION_TTL_SECONDS,
    });
    this.setCookie(res, issuer, this.scope.cookie, id, null);
    return { ok: true, returnTo: login.value.returnTo };
  }

  /** The request's account session, while it and its provider session live. */
  async current(req: Request): Promise<AccountSession | null> {
    const id = readCookie(req, this.scope.cookie);
    if (id === null) return null;
    const key = digest(id);
    const entry = await this.deps.store.get<Omit<AccountSession, 'key'>>(this.sessionNamespace, key);
    if (entry === null) return null;
    if (!(await this.deps.sessions.isLive(entry.value.sub, entry.value.sessionUid))) {
      await this.deps.store.delete(this.sessionNamespace, key);
      return null;
    }
    return { key, ...entry.value };
  }

  /** Whether the person signed in again a moment ago (see freshUntil). */
  isFresh(session: AccountSession): boolean {
    return session.freshUntil !== null && this.deps.clock.now().getTime() <= session.freshUntil;
  }

  /** Ends the account session and forgets its cookie. */
  async end(res: Response, issuer: string, session: AccountSession): Promise<void> {
    await this.deps.store.delete(this.sessionNamespace, session.key);
    this.clearCookie(res, issuer, this.scope.cookie);
  }

  private setCookie(
    res: Response,
    issuer: string,
    name: string,
    value: string,
    maxAgeSeconds: number | null,
  ) {
    res.cookie(name, value, {
      httpOnly: true,
      sameSite: 'lax',
      secure: new URL(issuer).protocol === 'https:',
      path: this.scope.path,
      ...(maxAgeSeconds === null ? {} : { maxAge: maxAgeSeconds * 1000 }),
    });
  }

  private clearCookie(res: Response, issuer: string, name: string) {
    res.clearCookie(name, {
      httpOnly: true,
      sameSite: 'lax',
      secure: new URL(issuer).protocol === 'https:',
      path: this.scope.path,
    });
  }
}
