/**
 * Checks bearer access tokens issued by Tessera's own OpenID Connect server, for the REST APIs that
 * accept them. The protocol library owns the token formats and storage; this port only answers
 * "is this token good now, and what does it allow".
 */

/** What a valid access token stands for. */
export interface VerifiedToken {
  /** The OAuth client the token was issued to. */
  readonly clientId: string;
  /**
   * The user the token acts for (the OIDC `sub`); null for a client_credentials token, which acts
   * for the client itself.
   */
  readonly sub: string | null;
  /** The granted scopes, e.g. `['openid', 'phone', 'id.user.read']`. */
  readonly scopes: readonly string[];
  /** Epoch seconds after which the token is no longer accepted. */
  readonly expiresAt: number;
}

export interface TokenVerifier {
  /**
   * The token's meaning, or null when it is unknown, expired, revoked, malformed, or belongs to a
   * client or grant that no longer exists. Throws TokenVerifierUnavailableError while tokens cannot
   * be checked at all (the authorization server is still starting); other errors are failures of
   * the underlying store. The token value itself never appears in any error or log line.
   */
  verify(accessToken: string): Promise<VerifiedToken | null>;
}

/** Tokens cannot be checked yet: the caller should answer "try again shortly", not "invalid token". */
export class TokenVerifierUnavailableError extends Error {
  constructor() {
    super('Access tokens cannot be verified yet: the authorization server is starting');
    this.name = 'TokenVerifierUnavailableError';
  }
}
