import type Provider from 'oidc-provider';
import {
  type TokenVerifier,
  TokenVerifierUnavailableError,
  type VerifiedToken,
} from '../../application/ports/token-verifier.js';

/** Longer values are no token this provider issues; they are refused without a store lookup. */
const MAX_TOKEN_LENGTH = 2048;

export interface OidcTokenVerifierOptions {
  /**
   * When set, a token restricted to audiences (resource indicators) is accepted only if this is one
   * of them. Unset, audience-restricted tokens are refused: they were meant for another API.
   */
  readonly audience?: string;
}

/** The parts of an access token or client_credentials token this adapter reads. */
interface IssuedToken {
  readonly clientId?: string | undefined;
  readonly scopes: Set<string>;
  readonly exp?: number | undefined;
  readonly isValid: boolean;
  readonly aud?: string | string[] | undefined;
  readonly jkt?: string | undefined;
  readonly 'x5t#S256'?: string | undefined;
}

/**
 * TokenVerifier over Tessera's oidc-provider: looks an opaque token up as a user access token
 * (authorization code / refresh grants) and as a client_credentials token, in the provider's own
 * storage, and applies the checks the provider's userinfo endpoint applies:
 *
 * - expired or revoked tokens are gone or invalid;
 * - the client must still exist and be enabled (a disabled client's tokens stop working at once);
 * - a user token's grant must still exist for the same client and account, so revoking a consent
 *   (which destroys the grant) ends its tokens even if a token record lingered;
 * - sender-constrained tokens (DPoP, mTLS) are refused, since this API checks no proof of
 *   possession and must not turn them into plain bearer tokens.
 *
 * The provider is created only once the server knows its issuer URL, after the HTTP app exists, so
 * it is fetched through a getter on each call.
 */
export class OidcTokenVerifier implements TokenVerifier {
  constructor(
    private readonly provider: () => Provider | null,
    private readonly options: OidcTokenVerifierOptions = {},
  ) {}

  async verify(accessToken: string): Promise<VerifiedToken | null> {
    const provider = this.provider();
    if (provider === null) throw new TokenVerifierUnavailableError();
    if (typeof accessToken !== 'string' || accessToken.length === 0 || accessToken.length > MAX_TOKEN_LENGTH)
      return null;
    const [userToken, clientToken] = await Promise.all([
      provider.AccessToken.find(accessToken),
      provider.ClientCredentials.find(accessToken),
    ]);
    if (userToken) return this.userToken(provider, userToken);
    if (clientToken) return this.clientToken(provider, clientToken);
    return null;
  }

  private async userToken(
    provider: Provider,
    token: InstanceType<Provider['AccessToken']>,
  ): Promise<VerifiedToken | null> {
    if (!(await this.usable(provider, token)) || !token.accountId) return null;
    const grant = await provider.Grant.find(token.grantId, { ignoreExpiration: true });
    if (!grant || grant.isExpired) return null;
    if (grant.clientId !== token.clientId || grant.accountId !== token.accountId) return null;
    return describe(token, token.accountId);
  }

  private async clientToken(
    provider: Provider,
    token: InstanceType<Provider['ClientCredentials']>,
  ): Promise<VerifiedToken | null> {
    return (await this.usable(provider, token)) ? describe(token, null) : null;
  }

  private async usable(provider: Provider, token: IssuedToken): Promise<boolean> {
    if (!token.isValid || typeof token.exp !== 'number' || !token.clientId) return false;
    if (token.jkt !== undefined || token['x5t#S256'] !== undefined) return false;
    if (!this.audienceAccepted(token.aud)) return false;
    return (await provider.Client.find(token.clientId)) !== undefined;
  }

  private audienceAccepted(aud: string | string[] | undefined): boolean {
    if (aud === undefined) return true;
    const { audience } = this.options;
    return audience !== undefined && (Array.isArray(aud) ? aud.includes(audience) : aud === audience);
  }
}

function describe(token: IssuedToken, sub: string | null): VerifiedToken {
  return {
    clientId: token.clientId ?? '',
    sub,
    scopes: [...token.scopes].filter((scope) => scope.length > 0),
    expiresAt: token.exp ?? 0,
  };
}
