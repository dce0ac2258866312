/**
 * The authorization server's side of a withdrawn consent: every grant the user gave the client,
 * with every token issued under it, is destroyed, so nothing the client still holds keeps working.
 */
export interface GrantRevoker {
  /**
   * Destroys every grant of (`sub`, `clientId`) and revokes its codes and tokens. Idempotent;
   * resolves to the number of grants destroyed.
   */
  revokeFor(sub: string, clientId: string): Promise<number>;
  /** Destroys every grant of `sub`, whatever the client (the account is being deleted). */
  revokeAllFor(sub: string): Promise<number>;
}

export const GRANT_REVOKER = Symbol.for('tessera.port.GrantRevoker');
