/**
 * UserSessions over oidc-provider's storage: sessions are the provider's Session entries, found by
 * their `accountId` tag (see adapter.ts). What a session was last used from is noted on each
 * successful authorization (recordUse, hooked to the provider's `authorization.success`) as a
 * short "browser on system" summary; neither the raw user agent nor the address is kept.
 *
 * Ending a session does what the provider's own "sign out of all" does: the session entry goes
 * (its cookie then leads nowhere), the grants made in it go with their tokens (unless a grant was
 * meant to outlive logout), and every client with a back-channel logout URI gets a logout token.
 * Consents stay: they are the person's standing decisions, not sessions.
 */
import type Provider from 'oidc-provider';
import type { AdapterPayload } from 'oidc-provider';
import type { Clock } from '../../application/ports/clock.js';
import type { EphemeralStore } from '../../application/ports/ephemeral-store.js';
import type { Logger } from '../../application/ports/logger.js';
import type { UserSessions, UserSessionView } from '../../application/user/user-sessions.js';
import { isFirstPartyClient } from './account-client.js';
import { createOidcAdapterFactory, oidcNamespace } from './adapter.js';
import { OIDC_TTL_SECONDS } from './provider.js';

/** Where the last use of each session is noted, by session uid. */
export const SESSION_USE_NAMESPACE = 'oidc-session-use';

interface SessionAuthorization {
  readonly sid?: string;
  readonly grantId?: string;
  readonly persistsLogout?: boolean;
}

interface StoredSession extends AdapterPayload {
  readonly accountId?: string;
  readonly uid?: string;
  readonly loginTs?: number;
  readonly exp?: number;
  readonly authorizations?: Readonly<Record<string, SessionAuthorization>>;
}

interface SessionUse {
  readonly device: string | null;
  readonly at: number;
}

/** The part of a provider Client this module uses; backchannelLogout is untyped in the typings. */
interface LogoutCapableClient {
  readonly backchannelLogoutUri?: string;
  backchannelLogout(sub: string, sid: string): Promise<void>;
}

export interface OidcUserSessionsDeps {
  readonly store: EphemeralStore;
  /** The provider once built; back-channel notices need it, everything else works without. */
  readonly provider: () => Provider | null;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Told when grants are revoked (see OidcAdapterOptions.onRevoke). */
  readonly onRevoke?: () => void;
}

export class OidcUserSessions implements UserSessions {
  private readonly grants;

  constructor(private readonly deps: OidcUserSessionsDeps) {
    this.grants = createOidcAdapterFactory(
      deps.store,
      deps.onRevoke ? { onRevoke: deps.onRevoke } : {},
    )('Grant');
  }

  async list(sub: string): Promise<UserSessionView[]> {
    const entries = await this.sessionsOf(sub);
    const views = await Promise.all(
      entries.map(async ({ value }) => {
        const uid = value.uid!;
        const use = await this.deps.store.get<SessionUse>(SESSION_USE_NAMESPACE, uid);
        const loginTs = value.loginTs ?? value.iat ?? 0;
        return {
          uid,
          signedInAt: new Date(Number(loginTs) * 1000),
          expiresAt: new Date(Number(value.exp ?? 0) * 1000),
          lastUsedAt: use ? new Date(use.value.at) : null,
          device: use?.value.device ?? null,
          clientIds: Object.keys(value.authorizations ?? {}).filter((id) => !isFirstPartyClient(id)),
        } satisfies UserSessionView;
      }),
    );
    const recency = (v: UserSessionView) => (v.lastUsedAt ?? v.signedInAt).getTime();
    return views.sort((a, b) => recency(b) - recency(a));
  }

  async isLive(sub: string, uid: string): Promise<boolean> {
    return (await this.find(sub, uid)) !== null;
  }

  async end(sub: string, uid: string): Promise<boolean> {
    const entry = await this.find(sub, uid);
    if (entry === null) return false;
    await this.terminate(sub, entry.key, entry.value);
    return true;
  }

  async endAll(sub: string): Promise<number> {
    const entries = await this.sessionsOf(sub);
    for (const entry of entries) await this.terminate(sub, entry.key, entry.value);
    return entries.length;
  }

  /** Notes that a session was just used, from the request's User-Agent. */
  async recordUse(sessionUid: string, userAgent: string | undefined): Promise<void> {
    const use: SessionUse = { device: describeDevice(userAgent), at: this.deps.clock.now().getTime() };
    await this.deps.store.set(SESSION_USE_NAMESPACE, sessionUid, use, {
      ttlSeconds: OIDC_TTL_SECONDS.Session,
    });
  }

  private async sessionsOf(sub: string) {
    const entries = await this.deps.store.findByTag<StoredSession>(
      oidcNamespace('Session'),
      'accountId',
      sub,
    );
    return entries.filter((e) => e.value.accountId === sub && typeof e.value.uid === 'string');
  }

  private async find(sub: string, uid: string) {
    if (uid.length === 0 || uid.length > 100) return null;
    const [entry] = await this.deps.store.findByTag<StoredSession>(oidcNamespace('Session'), 'uid', uid);
    return entry !== undefined && entry.value.accountId === sub ? entry : null;
  }

  private async terminate(sub: string, key: string, session: StoredSession): Promise<void> {
    await this.deps.store.delete(oidcNamespace('Session'), key);
    if (session.uid !== undefined) await this.deps.store.delete(SESSION_USE_NAMESPACE, session.uid);
    const notices: Promise<void>[] = [];
    for (const [clientId, authorization] of Object.entries(session.authorizations ?? {})) {
      const { grantId, sid } = authorization;
      if (grantId !== undefined && authorization.persistsLogout !== true) {
        await this.grants.destroy(grantId);
        await this.grants.revokeByGrantId(grantId);
      }
      if (sid !== undefined) notices.push(this.notify(sub, clientId, sid));
    }
    await Promise.all(notices);
  }

  /** A back-channel logout notice; a client that does not answer is logged, not retried. */
  private async notify(sub: string, clientId: string, sid: string): Promise<void> {
    const provider = this.deps.provider();
    if (provider === null || isFirstPartyClient(clientId)) return;
    try {
      const client = (await provider.Client.find(clientId)) as unknown as LogoutCapableClient | undefined;
      if (client?.backchannelLogoutUri === undefined) return;
      await client.backchannelLogout(sub, sid);
    } catch (err) {
      this.deps.logger.warn(
        { clientId, err: err instanceof Error ? err.message : String(err) },
        'back-channel logout notice failed',
      );
    }
  }
}

const BROWSERS: ReadonlyArray<readonly [RegExp, string]> = [
  [/\bEdg(e|A|iOS)?\//, 'Edge'],
  [/\bOPR\/|\bOpera\b/, 'Opera'],
  [/\bFirefox\/|\bFxiOS\//, 'Firefox'],
  [/\bSamsungBrowser\//, 'Samsung Internet'],
  [/\bChrom(e|ium)\/|\bCriOS\//, 'Chrome'],
  [/\bSafari\//, 'Safari'],
];

const SYSTEMS: ReadonlyArray<readonly [RegExp, string]> = [
  [/\bAndroid\b/, 'Android'],
  [/\biPhone\b|\biPad\b|\biPod\b/, 'iOS'],
  [/\bCrOS\b/, 'ChromeOS'],
  [/\bWindows\b/, 'Windows'],
  [/\bMac OS X\b|\bMacintosh\b/, 'macOS'],
  [/\bLinux\b/, 'Linux'],
];

/** "Firefox on Linux" from a User-Agent header; null when neither part is recognised. */
export function describeDevice(userAgent: string | undefined): string | null {
  if (userAgent === undefined) return null;
  const ua = userAgent.slice(0, 512);
  const browser = BROWSERS.find(([pattern]) => pattern.test(ua))?.[1];
  const system = SYSTEMS.find(([pattern]) => pattern.test(ua))?.[1];
  if (browser !== undefined && system !== undefined) return `${browser} on ${system}`;
  return browser ?? system ?? null;
}
