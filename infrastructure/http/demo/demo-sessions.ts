/**
 * The demo shop's own sessions, as a relying party keeps them: a random id in an HttpOnly,
 * SameSite=Lax cookie scoped to the shop's path (Secure behind https), stored in the ephemeral
 * store only under its SHA-256 digest. A second short cookie binds a sign-in's state to the browser
 * that started it. Nothing here is shared with Tessera's own pages.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Request, Response } from 'express';
import type { EphemeralStore } from '../../../application/ports/ephemeral-store.js';
import { readCookie } from '../account/account-session.js';

export const DEMO_COOKIE = 'tessera_demo';
export const DEMO_LOGIN_COOKIE = 'tessera_demo_login';
const SESSION_NAMESPACE = 'demo-shop-session';
const LOGIN_NAMESPACE = 'demo-shop-login';
const LOGIN_TTL_SECONDS = 15 * 60;
/** A shop session ends with its access token, and never lives longer than this. */
const MAX_SESSION_SECONDS = 3600;

export interface DemoSession {
  readonly sub: string;
  readonly phone: string | null;
  readonly accessToken: string;
  readonly idToken: string;
  /** Epoch ms when the session (and its access token) ends. */
  readonly expiresAt: number;
  /** The token the shop's forms carry. */
  readonly csrf: string;
  /** A message for the next page view (a purchase's outcome). */
  readonly notice?: { readonly text: string; readonly ok: boolean };
}

export interface DemoLogin {
  readonly verifier: string;
  readonly nonce: string;
}

const digest = (value: string): string => createHash('sha256').update(value).digest('base64url');
const token = (): string => randomBytes(32).toString('base64url');

export class DemoSessions {
  constructor(
    private readonly store: EphemeralStore,
    /** The cookies' path, the shop's own (e.g. /demo). */
    private readonly path: string,
  ) {}

  /** Remembers a sign-in's PKCE verifier and nonce under its state, bound to this browser. */
  async beginLogin(res: Response, secure: boolean, state: string, login: DemoLogin): Promise<void> {
    await this.store.set(LOGIN_NAMESPACE, digest(state), login, { ttlSeconds: LOGIN_TTL_SECONDS });
    this.setCookie(res, secure, DEMO_LOGIN_COOKIE, state, LOGIN_TTL_SECONDS);
  }

  /** The sign-in the callback's state names, once, and only in the browser that started it. */
  async takeLogin(req: Request, res: Response, secure: boolean, state: unknown): Promise<DemoLogin | null> {
    const cookie = readCookie(req, DEMO_LOGIN_COOKIE);
    this.clearCookie(res, secure, DEMO_LOGIN_COOKIE);
    if (typeof state !== 'string' || cookie === null || cookie !== state) return null;
    const entry = await this.store.get<DemoLogin>(LOGIN_NAMESPACE, digest(state));
    if (entry === null || !(await this.store.consume(LOGIN_NAMESPACE, digest(state)))) return null;
    return entry.value;
  }

  async open(
    res: Response,
    secure: boolean,
    session: Omit<DemoSession, 'csrf' | 'expiresAt'>,
    lifetimeSeconds: number,
  ): Promise<void> {
    const id = token();
    const ttlSeconds = Math.max(60, Math.min(lifetimeSeconds, MAX_SESSION_SECONDS));
    const value: DemoSession = { ...session, csrf: token(), expiresAt: Date.now() + ttlSeconds * 1000 };
    await this.store.set(SESSION_NAMESPACE, digest(id), value, { ttlSeconds });
    this.setCookie(res, secure, DEMO_COOKIE, id, null);
  }

  /** The request's session and the key it is stored under. */
  async current(req: Request): Promise<{ readonly key: string; readonly session: DemoSession } | null> {
    const id = readCookie(req, DEMO_COOKIE);
    if (id === null) return null;
    const key = digest(id);
    const entry = await this.store.get<DemoSession>(SESSION_NAMESPACE, key);
    return entry === null ? null : { key, session: entry.value };
  }

  /** Stores a changed session under the same key until the same end. */
  async update(key: string, session: DemoSession): Promise<void> {
    const ttlSeconds = Math.ceil((session.expiresAt - Date.now()) / 1000);
    if (ttlSeconds <= 0) return;
    await this.store.set(SESSION_NAMESPACE, key, session, { ttlSeconds });
  }

  async end(res: Response, secure: boolean, key: string): Promise<void> {
    await this.store.delete(SESSION_NAMESPACE, key);
    this.clearCookie(res, secure, DEMO_COOKIE);
  }

  /** Whether a form's token is the session's, compared in constant time. */
  static csrfMatches(session: DemoSession, given: unknown): boolean {
    if (typeof given !== 'string') return false;
    const a = Buffer.from(session.csrf);
    const b = Buffer.from(given);
    return a.length === b.length && timingSafeEqual(a, b);
  }

  private setCookie(
    res: Response,
    secure: boolean,
    name: string,
    value: string,
    maxAgeSeconds: number | null,
  ) {
    res.cookie(name, value, {
      httpOnly: true,
      sameSite: 'lax',
      secure,
      path: this.path,
      ...(maxAgeSeconds === null ? {} : { maxAge: maxAgeSeconds * 1000 }),
    });
  }

  private clearCookie(res: Response, secure: boolean, name: string) {
    res.clearCookie(name, { httpOnly: true, sameSite: 'lax', secure, path: this.path });
  }
}
