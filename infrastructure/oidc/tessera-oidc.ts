import { createHmac } from 'node:crypto';
import type { RequestHandler } from 'express';
import type Provider from 'oidc-provider';
import type { ClientMetadata, Configuration, KoaContextWithOIDC } from 'oidc-provider';
import type { AuthorizationClient, ClientQueries } from '../../application/catalog/client-queries.js';
import { verifyClientSecret } from '../../application/catalog/client-secrets.js';
import type { Clock } from '../../application/ports/clock.js';
import type { EphemeralStore } from '../../application/ports/ephemeral-store.js';
import type { Logger } from '../../application/ports/logger.js';
import type { ReadModelStore } from '../../application/ports/read-model-store.js';
import type { UserQueries } from '../../application/user/user-queries.js';
import { KNOWN_SCOPES } from '../../domain/catalog/client-scopes.js';
import { HttpProblem } from '../http/problem.js';
import { chooseLocale, type Locale } from '../http/pages/i18n.js';
import { originOf, type Page, pageCsp, renderPage } from '../http/pages/render.js';
import { errorPage, loggedOutPage, type LogoutForm, logoutPage } from '../http/pages/views.js';
import type { Secrets } from '../secrets.js';
import { assertClaimsParameter, createFindAccount, OIDC_CLAIMS } from './account-claims.js';
import { ACCOUNT_CLIENT_ID, accountClientMetadata, isFirstPartyClient } from './account-client.js';
import { createOidcAdapterFactory } from './adapter.js';
import { createOidcProvider } from './provider.js';
import { openTesseraSigningKeys } from './tessera-keys.js';

/**
 * The client metadata oidc-provider needs, from a client registered in Tessera's catalog. Disabled
 * clients are unknown to the protocol (invalid_client). The stored "secret" is the SHA-256 digest;
 * the provider compares through verifyClientSecret.
 */
export function toClientMetadata(client: AuthorizationClient): ClientMetadata | undefined {
  if (client.status !== 'active') return undefined;
  const confidential = client.clientType === 'confidential';
  return {
    client_id: client.clientId,
    ...(confidential && client.secretDigest !== null
      ? { client_secret: client.secretDigest, token_endpoint_auth_method: 'client_secret_basic' }
      : { token_endpoint_auth_method: 'none' }),
    client_name: client.name,
    ...(client.logoUri !== null ? { logo_uri: client.logoUri } : {}),
    redirect_uris: [...client.redirectUris],
    post_logout_redirect_uris: [...client.postLogoutRedirectUris],
    // With a sid in ID and logout tokens, a client can end the one session a logout is about.
    ...(client.backchannelLogoutUri !== null
      ? { backchannel_logout_uri: client.backchannelLogoutUri, backchannel_logout_session_required: true }
      : {}),
    grant_types: [...client.grantTypes],
    response_types: client.grantTypes.includes('authorization_code') ? ['code'] : [],
    scope: client.scopes.join(' '),
  };
}

export interface TesseraOidcDeps {
  readonly issuer: string;
  readonly ephemeral: EphemeralStore;
  readonly readModels: ReadModelStore;
  readonly clock: Clock;
  readonly secrets: Secrets;
  readonly clients: Pick<ClientQueries, 'findForAuthorization'>;
  /** Claims of signed-in accounts (ID token, userinfo). */
  readonly accounts: Pick<UserQueries, 'getUser'>;
  /**
   * The users' recorded consents (ConsentQueries). With it, a consent outlives the provider's
   * Grant: a missing or expired Grant is rebuilt from the consent. Without it, a Grant's TTL bounds
   * how long prompt=none works.
   */
  readonly consents?: ConsentedScopes;
  /** Told whenever a token or grant is destroyed (clears caches of verified tokens). */
  readonly onTokensRevoked?: () => void;
  /** Where failed back-channel logout notices are reported. */
  readonly logger?: Logger;
  /** Told of every successful authorization, so the account page can show when a session was used. */
  readonly sessions?: { recordUse(sessionUid: string, userAgent: string | undefined): Promise<void> };
}

/** The scopes a user has allowed a client, or null without an active consent. */
export interface ConsentedScopes {
  consentedScopes(sub: string, clientId: string): Promise<readonly string[] | null>;
}

/** Where oidc-provider sends the browser for sign-in and consent (served by the interaction router). */
export const INTERACTION_PATH = '/interaction';

/** Authentication context classes: "1" a one-time code, "2" a password as well. */
export const ACR_VALUES = ['1', '2'] as const;

/**
 * The key of the interaction forms' CSRF tokens, derived from the cookie key: both protect the
 * same browser conversation, and one more master-secret purpose would buy nothing.
 */
export function interactionCsrfKey(secrets: Secrets): Buffer {
  return createHmac('sha256', secrets.derive('oidc-cookies')).update('interaction-csrf').digest();
}

/**
 * The user-facing part of the provider's configuration: interactions at our pages, accounts and
 * claims from the users read model, error and sign-out pages in the user's language and Tessera's
 * look (the library's own would pull a web font the CSP forbids), grants backed by the users'
 * consents, and cookies that are signed, Lax, and Secure whenever the issuer is https (Tessera
 * then runs behind a TLS-terminating proxy, whose X-Forwarded-Proto the provider must trust to set
 * Secure cookies).
 */
export function userFacingConfiguration(
  issuer: string,
  accounts: Pick<UserQueries, 'getUser'>,
  consents?: ConsentedScopes,
): Configuration {
  const secure = new URL(issuer).protocol === 'https:';
  const cookie = { httpOnly: true, sameSite: 'lax' as const, signed: true, ...(secure ? { secure } : {}) };
  return {
    interactions: { url: (_ctx, interaction) => `${INTERACTION_PATH}/${interaction.uid}` },
    findAccount: createFindAccount(accounts),
    claims: OIDC_CLAIMS,
    acrValues: [...ACR_VALUES],
    cookies: { long: cookie, short: cookie },
    renderError: (ctx, out) => {
      sendProviderPage(ctx, errorPage(requestLocale(ctx), out.error_description ?? out.error));
    },
    features: {
      // The `claims` parameter, so a client can make acr "2" an essential claim (interaction-router).
      claimsParameter: { enabled: true, assertClaimsParameter },
      rpInitiatedLogout: {
        logoutSource: (ctx, form) => {
          const redirect = originOf(ctx.oidc.params?.post_logout_redirect_uri);
          sendProviderPage(
            ctx,
            logoutPage({
              locale: requestLocale(ctx),
              form: parseLogoutForm(form),
              clientName: ctx.oidc.client?.clientName ?? null,
              formOrigins: redirect === null ? [] : [redirect],
            }),
          );
        },
        postLogoutSuccessSource: (ctx) => {
          sendProviderPage(ctx, loggedOutPage(requestLocale(ctx), ctx.oidc.client?.clientName ?? null));
        },
      },
    },
    loadExistingGrant: loadGrantOrConsent(consents),
  };
}

/** The page language of a provider request: its ui_locales, else the browser's Accept-Language. */
function requestLocale(ctx: KoaContextWithOIDC): Locale {
  const uiLocales = ctx.oidc?.params?.ui_locales;
  return chooseLocale(typeof uiLocales === 'string' ? uiLocales : undefined, ctx.get('accept-language'));
}

/** Answers a provider request with one of Tessera's pages, under the same headers as sendPage. */
function sendProviderPage(ctx: KoaContextWithOIDC, page: Page): void {
  ctx.set('Content-Security-Policy', pageCsp(page));
  ctx.set('Cache-Control', 'no-store');
  ctx.set('Referrer-Policy', 'no-referrer');
  ctx.type = 'html';
  ctx.body = renderPage(page);
}

const ENTITIES: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'" };
const unescapeHtml = (text: string): string =>
  text.replace(/&(amp|lt|gt|quot|#39);/g, (_m, name: string) => ENTITIES[name] ?? _m);

/**
 * The action and hidden fields of the logout form oidc-provider hands to logoutSource. The page is
 * ours, the form's contents the library's: every hidden field it sends (the xsrf token today) is
 * posted back unchanged. A form that cannot be read fails loudly rather than losing its token.
 */
export function parseLogoutForm(html: string): LogoutForm {
  const action = /<form\b[^>]*\baction="([^"]*)"/.exec(html)?.[1];
  if (action === undefined) throw new Error("The provider's logout form has no action");
  const fields: Record<string, string> = {};
  for (const input of html.matchAll(/<input\b[^>]*>/g)) {
    const tag = input[0];
    if (!/\btype="hidden"/.test(tag)) continue;
    const name = /\bname="([^"]*)"/.exec(tag)?.[1];
    const value = /\bvalue="([^"]*)"/.exec(tag)?.[1];
    if (name !== undefined && value !== undefined) fields[unescapeHtml(name)] = unescapeHtml(value);
  }
  if (fields.xsrf === undefined) throw new Error("The provider's logout form has no xsrf token");
  return { action: unescapeHtml(action), fields };
}

/**
 * The provider's loadExistingGrant, extended by Tessera's consents. The Grant the session points at
 * is used while it exists; when it does not (it expired after its TTL, or was never made in this
 * session), an active Consent is the user's standing decision, so a Grant holding exactly the
 * consented scopes is made and saved, and prompt=none keeps working. Without a consent there is no
 * grant, and the consent prompt (consent_required under prompt=none) follows as before. Revoking a
 * consent destroys the client's Grants and ends the consent, so nothing is rebuilt after it.
 */
function loadGrantOrConsent(consents: ConsentedScopes | undefined): Configuration['loadExistingGrant'] {
  return async (ctx) => {
    const { oidc } = ctx;
    const clientId = oidc.client?.clientId;
    const grantId =
      oidc.result?.consent?.grantId ??
      (clientId === undefined ? undefined : oidc.session?.grantIdFor(clientId));
    if (grantId !== undefined) {
      const grant = await oidc.provider.Grant.find(grantId);
      if (grant !== undefined) return grant;
    }
    const accountId = oidc.account?.accountId;
    if (clientId === undefined || accountId === undefined) return undefined;
    if (isFirstPartyClient(clientId)) {
      // Tessera's own account page: nothing to consent to, it only learns who signed in.
      const grant = new oidc.provider.Grant({ accountId, clientId });
      grant.addOIDCScope('openid');
      await grant.save();
      return grant;
    }
    if (consents === undefined) return undefined;
    const scopes = await consents.consentedScopes(accountId, clientId);
    if (scopes === null || scopes.length === 0) return undefined;
    const grant = new oidc.provider.Grant({ accountId, clientId });
    grant.addOIDCScope(scopes.join(' '));
    await grant.save();
    return grant;
  };
}

/**
 * Assembles Tessera's OpenID Connect provider: protocol state in the ephemeral store, signing keys in
 * the read-model store (the first one made on first start, private parts sealed with a derived key),
 * clients from the catalog, cookies signed with a derived key.
 */
export async function createTesseraOidc(deps: TesseraOidcDeps): Promise<Provider> {
  const keys = await openTesseraSigningKeys(deps);
  await keys.ensureCurrent();
  const provider = createOidcProvider({
    issuer: deps.issuer,
    adapter: createOidcAdapterFactory(
      deps.ephemeral,
      deps.onTokensRevoked ? { onRevoke: deps.onTokensRevoked } : {},
    ),
    jwks: await keys.jwks(),
    findClient: async (clientId) => {
      if (clientId === ACCOUNT_CLIENT_ID) return accountClientMetadata(deps.issuer);
      const client = await deps.clients.findForAuthorization(clientId);
      return client ? toClientMetadata(client) : undefined;
    },
    compareClientSecret: async (storedDigest, presented) => verifyClientSecret(presented, storedDigest),
    cookieKeys: [deps.secrets.derive('oidc-cookies').toString('base64url')],
    configuration: {
      scopes: [...KNOWN_SCOPES],
      ...userFacingConfiguration(deps.issuer, deps.accounts, deps.consents),
    },
  });
  if (new URL(deps.issuer).protocol === 'https:') provider.proxy = true;
  provider.on('backchannel.error', (_ctx: unknown, err: unknown, client: { clientId?: string }) => {
    deps.logger?.warn(
      { clientId: client?.clientId, err: err instanceof Error ? err.message : String(err) },
      'back-channel logout notice failed',
    );
  });
  const sessions = deps.sessions;
  if (sessions !== undefined) {
    provider.on('authorization.success', (ctx: KoaContextWithOIDC) => {
      const uid = ctx.oidc.session?.uid;
      // Best effort: a failed note must not fail the sign-in it describes.
      if (uid !== undefined)
        sessions.recordUse(uid, ctx.get('user-agent') || undefined).catch(() => undefined);
    });
  }
  return provider;
}

/** Paths the OpenID Connect provider answers; everything else is Express's. */
export function isOidcPath(path: string): boolean {
  return path.startsWith('/oauth/') || path === '/.well-known/openid-configuration';
}

/**
 * Where the provider plugs into the Express app. The provider is built once the server knows its
 * public URL (the issuer), after the app exists; until then the protocol paths answer 503.
 */
export class OidcSlot {
  private callback: ReturnType<Provider['callback']> | null = null;
  private current: Provider | null = null;

  set(provider: Provider): void {
    this.current = provider;
    this.callback = provider.callback();
  }

  /** The provider, or null while it is not built yet. */
  peek(): Provider | null {
    return this.current;
  }

  /** The provider; throws a 503 problem while it is not built yet. */
  provider(): Provider {
    if (this.current === null) throw starting();
    return this.current;
  }

  middleware(): RequestHandler {
    return (req, res, next) => {
      if (!isOidcPath(req.path)) return next();
      if (this.callback === null) throw starting();
      void this.callback(req, res);
    };
  }
}

function starting(): HttpProblem {
  return new HttpProblem(503, 'oidc_starting', 'The OpenID Connect provider is starting; retry shortly.');
}
