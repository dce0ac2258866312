/**
 * The authorization server's sign-in sessions of one account, as the account page and account
 * deletion need them. Ending a session signs that browser out, revokes the tokens issued in it and
 * tells the relying parties that asked to be told (back-channel logout).
 */

export interface UserSessionView {
  /** Stable for the session's life; what the account page names a session by. */
  readonly uid: string;
  readonly signedInAt: Date;
  readonly expiresAt: Date;
  /** When it was last used to sign in to a service; null when not since sign-in. */
  readonly lastUsedAt: Date | null;
  /** "Firefox on Linux": the browser and system, when known. */
  readonly device: string | null;
  /** The services signed in to through this session (client ids), Tessera's own page excluded. */
  readonly clientIds: readonly string[];
}

export interface UserSessions {
  /** The account's live sessions, most recently used first. */
  list(sub: string): Promise<UserSessionView[]>;
  /** Whether the session is live and the account's. */
  isLive(sub: string, uid: string): Promise<boolean>;
  /** Ends one of the account's sessions; false when there was no such live session. */
  end(sub: string, uid: string): Promise<boolean>;
  /** Ends every session of the account; resolves to how many. */
  endAll(sub: string): Promise<number>;
}

export const USER_SESSIONS = Symbol.for('tessera.port.UserSessions');
