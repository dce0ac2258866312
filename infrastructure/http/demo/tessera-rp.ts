/**
 * The demo shop's side of the conversation with Tessera, over public HTTP only, as any third-party
 * relying party would hold it: discovery, an authorization request with PKCE S256, state and nonce,
 * the code redeemed at the token endpoint with client_secret_basic, the ID token verified against
 * the published keys, and the provider APIs under /v1 called with bearer tokens.
 *
 * Browser-facing URLs (the authorization and end-session endpoints) are put under the issuer; the
 * shop's own server-to-server calls go to the backchannel URL, which is the same server as seen
 * from inside (it differs from the issuer behind a proxy or with PUBLIC_URL).
 */
import { createHash, randomBytes } from 'node:crypto';
import { createRemoteJWKSet, type JWTVerifyGetKey, jwtVerify } from 'jose';
import {
  DEMO_BACKEND_SCOPES,
  DEMO_SIGN_IN_SCOPES,
  demoCallbackUrl,
  type DemoShopConfig,
} from './demo-config.js';

/** Tessera answered something the shop cannot go on with; shown on the shop's error page. */
export class DemoShopError extends Error {
  constructor(
    message: string,
    readonly detail: unknown = null,
  ) {
    super(message);
    this.name = 'DemoShopError';
  }
}

interface Discovery {
  readonly issuer: string;
  readonly authorization_endpoint: string;
  readonly token_endpoint: string;
  readonly userinfo_endpoint?: string;
  readonly jwks_uri: string;
  readonly end_session_endpoint?: string;
}

export interface PendingSignIn {
  /** Goes to the browser. */
  readonly authorizationUrl: string;
  readonly state: string;
  /** Kept by the shop until the code comes back. */
  readonly verifier: string;
  readonly nonce: string;
}

export interface SignedIn {
  readonly sub: string;
  readonly phone: string | null;
  readonly accessToken: string;
  readonly idToken: string;
  /** Seconds the access token lives. */
  readonly expiresIn: number;
}

/** An HTTP answer from Tessera's API: status and parsed JSON body (null when none). */
export interface ApiAnswer {
  readonly status: number;
  readonly body: unknown;
}

const random = (): string => randomBytes(32).toString('base64url');

/** A client_credentials token is renewed this long before it expires. */
const TOKEN_MARGIN_MS = 60_000;

export class TesseraRelyingParty {
  private discovery: Promise<Discovery> | null = null;
  private keys: JWTVerifyGetKey | null = null;
  private backendToken: { readonly value: string; readonly until: number } | null = null;

  constructor(
    private readonly config: DemoShopConfig,
    private readonly http: typeof fetch = fetch,
  ) {}

  /** Starts a sign-in: the authorization URL and what must be kept to finish it. */
  async beginSignIn(): Promise<PendingSignIn> {
    const doc = await this.discover();
    const state = random();
    const nonce = random();
    const verifier = random();
    const url = new URL(this.forBrowser(doc.authorization_endpoint));
    url.search = new URLSearchParams({
      client_id: this.config.clientId,
      response_type: 'code',
      scope: DEMO_SIGN_IN_SCOPES.join(' '),
      redirect_uri: demoCallbackUrl(this.config.shopUrl),
      state,
      nonce,
      code_challenge: createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
    }).toString();
    return { authorizationUrl: url.href, state, verifier, nonce };
  }

  /** Redeems the code, verifies the ID token (signature, issuer, audience, nonce) and reads the phone. */
  async finishSignIn(code: string, pending: Pick<PendingSignIn, 'verifier' | 'nonce'>): Promise<SignedIn> {
    const doc = await this.discover();
    const res = await this.http(this.forServer(doc.token_endpoint), {
      method: 'POST',
      headers: { authorization: this.basicAuth(), 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code,
        redirect_uri: demoCallbackUrl(this.config.shopUrl),
        code_verifier: pending.verifier,
      }).toString(),
    });
    const tokens = (await readJson(res)) as Record<string, unknown> | null;
    if (
      res.status !== 200 ||
      typeof tokens?.access_token !== 'string' ||
      typeof tokens.id_token !== 'string'
    ) {
      throw new DemoShopError('The token endpoint did not redeem the code.', tokens);
    }
    this.keys ??= createRemoteJWKSet(new URL(this.forServer(doc.jwks_uri)));
    const { payload } = await jwtVerify(tokens.id_token, this.keys, {
      issuer: this.config.issuer,
      audience: this.config.clientId,
    });
    if (payload.nonce !== pending.nonce || typeof payload.sub !== 'string') {
      throw new DemoShopError('The ID token does not belong to this sign-in.');
    }
    return {
      sub: payload.sub,
      phone: await this.phoneOf(doc, tokens.access_token),
      accessToken: tokens.access_token,
      idToken: tokens.id_token,
      expiresIn: typeof tokens.expires_in === 'number' ? tokens.expires_in : 3600,
    };
  }

  /** Where to send the browser to sign out at Tessera too, coming back to the shop. */
  async signOutUrl(idToken: string): Promise<string> {
    const doc = await this.discover();
    if (doc.end_session_endpoint === undefined) return this.config.shopUrl;
    const url = new URL(this.forBrowser(doc.end_session_endpoint));
    url.search = new URLSearchParams({
      id_token_hint: idToken,
      post_logout_redirect_uri: this.config.shopUrl,
    }).toString();
    return url.href;
  }

  /** Calls /v1 as the shop's backend (client_credentials). */
  async asBackend(method: string, path: string, body?: unknown, idempotencyKey?: string): Promise<ApiAnswer> {
    return this.api(await this.backend(), method, path, body, idempotencyKey);
  }

  /** Calls /v1 with the signed-in person's access token. */
  asUser(
    token: string,
    method: string,
    path: string,
    body?: unknown,
    idempotencyKey?: string,
  ): Promise<ApiAnswer> {
    return this.api(token, method, path, body, idempotencyKey);
  }

  private async api(
    token: string,
    method: string,
    path: string,
    body: unknown,
    idempotencyKey: string | undefined,
  ): Promise<ApiAnswer> {
    const headers: Record<string, string> = { authorization: `Bearer ${token}`, accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (idempotencyKey !== undefined) headers['idempotency-key'] = idempotencyKey;
    const res = await this.http(`${this.config.backchannelUrl}${path}`, {
      method,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, body: await readJson(res) };
  }

  private async backend(): Promise<string> {
    const now = Date.now();
    if (this.backendToken !== null && this.backendToken.until > now) return this.backendToken.value;
    const doc = await this.discover();
    const res = await this.http(this.forServer(doc.token_endpoint), {
      method: 'POST',
      headers: { authorization: this.basicAuth(), 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        scope: DEMO_BACKEND_SCOPES.join(' '),
      }).toString(),
    });
    const answer = (await readJson(res)) as Record<string, unknown> | null;
    if (res.status !== 200 || typeof answer?.access_token !== 'string') {
      throw new DemoShopError('The shop could not get a client_credentials token.', answer);
    }
    const lifetimeMs = (typeof answer.expires_in === 'number' ? answer.expires_in : 600) * 1000;
    this.backendToken = {
      value: answer.access_token,
      until: now + Math.max(0, lifetimeMs - TOKEN_MARGIN_MS),
    };
    return answer.access_token;
  }

  private async phoneOf(doc: Discovery, accessToken: string): Promise<string | null> {
    if (doc.userinfo_endpoint === undefined) return null;
    const res = await this.http(this.forServer(doc.userinfo_endpoint), {
      headers: { authorization: `Bearer ${accessToken}` },
    });
    const claims = (await readJson(res)) as Record<string, unknown> | null;
    return res.status === 200 && typeof claims?.phone_number === 'string' ? claims.phone_number : null;
  }

  private discover(): Promise<Discovery> {
    this.discovery ??= (async () => {
      const res = await this.http(`${this.config.backchannelUrl}/.well-known/openid-configuration`);
      const doc = (await readJson(res)) as Discovery | null;
      if (res.status !== 200 || doc === null || doc.issuer !== this.config.issuer) {
        throw new DemoShopError('Tessera’s discovery document is missing or names another issuer.', doc);
      }
      return doc;
    })();
    // A failed discovery is tried again on the next request.
    this.discovery.catch(() => (this.discovery = null));
    return this.discovery;
  }

  /** An endpoint's path after the issuer (or the backchannel URL, whichever the document used). */
  private relative(endpoint: string): string {
    for (const base of [this.config.issuer, this.config.backchannelUrl]) {
      if (endpoint.startsWith(`${base}/`)) return endpoint.slice(base.length);
    }
    throw new DemoShopError(`The endpoint ${endpoint} is not under the issuer.`);
  }

  private forBrowser(endpoint: string): string {
    return this.config.issuer + this.relative(endpoint);
  }

  private forServer(endpoint: string): string {
    return this.config.backchannelUrl + this.relative(endpoint);
  }

  /** client_secret_basic: id and secret form-urlencoded, then base64 (RFC 6749 §2.3.1). */
  private basicAuth(): string {
    const encode = (value: string) => encodeURIComponent(value).replace(/%20/g, '+');
    const pair = `${encode(this.config.clientId)}:${encode(this.config.clientSecret)}`;
    return `Basic ${Buffer.from(pair).toString('base64')}`;
  }
}

async function readJson(res: Response): Promise<unknown> {
  const text = await res.text();
  if (text === '') return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return { text: text.slice(0, 500) };
  }
}
