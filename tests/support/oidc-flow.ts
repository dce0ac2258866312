import { expect } from 'chai';
import * as oidc from 'openid-client';
import { type Browser, formAction, hiddenField, type Visit } from './browser.js';
import type { TestServer } from './test-server.js';

/**
 * The pieces of an authorization-code flow as end-to-end tests drive it: a relying party
 * (openid-client) per registered client, a person signing in with a phone and the code from the
 * development outbox, and the consent page.
 */

export interface RegisteredClient {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly rp: oidc.Configuration;
}

/** Registers a confidential client of the provider and discovers the server for it. */
export async function registerConfidentialClient(
  server: TestServer,
  providerId: string,
  body: Record<string, unknown>,
): Promise<RegisteredClient> {
  const res = await server.request('POST', `/admin/v1/providers/${providerId}/clients`, {
    body: { clientType: 'confidential', ...body },
  });
  expect(res.status, JSON.stringify(res.body)).to.equal(201);
  const { clientId, clientSecret } = res.body as { clientId: string; clientSecret: string };
  const rp = await oidc.discovery(
    new URL(server.url),
    clientId,
    undefined,
    oidc.ClientSecretBasic(clientSecret),
    { execute: [oidc.allowInsecureRequests] },
  );
  return { clientId, clientSecret, rp };
}

export interface AuthorizationRequest {
  readonly url: string;
  readonly verifier: string;
  readonly state: string;
}

/** An authorization request with PKCE S256 and state. */
export async function authorizationRequest(
  rp: oidc.Configuration,
  redirectUri: string,
  params: Record<string, string>,
): Promise<AuthorizationRequest> {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const url = oidc.buildAuthorizationUrl(rp, {
    redirect_uri: redirectUri,
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    ...params,
  });
  return { url: url.href, verifier, state };
}

/** The six-digit code last sent to `to` (an E.164 phone or an email), from the development outbox. */
export async function latestCode(server: TestServer, to: string): Promise<string> {
  const res = await fetch(`${server.url}/dev/outbox/latest?to=${encodeURIComponent(to)}`);
  expect(res.status).to.equal(200);
  const message = (await res.json()) as { text: string };
  const code = /\b(\d{6})\b/.exec(message.text)?.[1];
  if (code === undefined) throw new Error('No code in the message');
  return code;
}

/** From the sign-in page: submits the phone (E.164), then the code read from the outbox. */
export async function signInWithPhone(
  server: TestServer,
  browser: Browser,
  page: Visit,
  phone: string,
): Promise<Visit> {
  expect(page.status, page.body).to.equal(200);
  const codePage = await browser.post(formAction(page.body, '/identifier'), {
    csrf: hiddenField(page.body, 'csrf'),
    identifier: phone,
  });
  expect(codePage.status, codePage.body).to.equal(200);
  return browser.post(formAction(codePage.body, '/code'), {
    csrf: hiddenField(codePage.body, 'csrf'),
    code: await latestCode(server, phone),
    remember: '1',
  });
}

/** Answers the consent page, ending at the relying party's redirect URI. */
export async function answerConsent(browser: Browser, page: Visit, decision: 'allow' | 'deny'): Promise<URL> {
  expect(page.status, page.body).to.equal(200);
  expect(page.body).to.include('/consent');
  const done = await browser.post(formAction(page.body, '/consent'), {
    csrf: hiddenField(page.body, 'csrf'),
    decision,
  });
  expect(done.leftTo, done.body).to.be.a('string');
  return new URL(done.leftTo!);
}

/** Redeems the code at the callback for tokens, checking state and PKCE. */
export async function redeem(
  rp: oidc.Configuration,
  request: AuthorizationRequest,
  callback: URL,
): Promise<oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers> {
  return oidc.authorizationCodeGrant(rp, callback, {
    pkceCodeVerifier: request.verifier,
    expectedState: request.state,
  });
}
