import type { GrantRevoker } from '../../application/consent/grant-revoker.js';
import type { EphemeralStore } from '../../application/ports/ephemeral-store.js';
import { createOidcAdapterFactory, grantsOf } from './adapter.js';

/**
 * GrantRevoker over oidc-provider's storage: the user's grants to the client are found by their
 * `accountId` tag and removed through the same adapter the provider uses.
 *
 * Each grant is destroyed before its tokens are swept. The provider (and OidcTokenVerifier) refuse
 * any token whose grant is gone, so from that moment the client's access and refresh tokens are
 * dead; the sweep then deletes their records. Should the sweep fail half-way, the leftovers are
 * inert and expire with their TTL.
 *
 * It needs only the store, not the provider instance, so it works before the provider is built
 * (the provider is created once the server knows its issuer).
 */
export class OidcGrantRevoker implements GrantRevoker {
  private readonly grants;

  constructor(
    private readonly store: EphemeralStore,
    onRevoke?: () => void,
  ) {
    this.grants = createOidcAdapterFactory(store, onRevoke ? { onRevoke } : {})('Grant');
  }

  async revokeFor(sub: string, clientId: string): Promise<number> {
    return this.revoke(await grantsOf(this.store, sub, clientId));
  }

  async revokeAllFor(sub: string): Promise<number> {
    return this.revoke(await grantsOf(this.store, sub));
  }

  private async revoke(ids: readonly string[]): Promise<number> {
    for (const grantId of ids) {
      await this.grants.destroy(grantId);
      await this.grants.revokeByGrantId(grantId);
    }
    return ids.length;
  }
}
