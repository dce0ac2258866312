import { inject, injectable } from 'inversify';
import { DomainError } from '../../domain/kernel/decider.js';
import type { ConsentCommand } from '../../domain/consent/commands.js';
import { consentDecider, consentStreamId } from '../../domain/consent/decider.js';
import type { RevokedBy } from '../../domain/consent/events.js';
import { ClientQueries } from '../catalog/client-queries.js';
import type { CommandContext, CommandHandler } from '../kernel/command-handler.js';
import { PORTS } from '../tokens.js';
import { GRANT_REVOKER, type GrantRevoker } from './grant-revoker.js';

export interface ConsentWriteResult {
  /** Global log position of the write (pass as `minPosition`); null when nothing was recorded. */
  readonly position: number | null;
}

export interface RevocationResult extends ConsentWriteResult {
  /** False when there was no active consent to revoke (nothing was recorded). */
  readonly revoked: boolean;
  /** How many authorization-server grants were destroyed with their tokens. */
  readonly grantsRevoked: number;
}

export interface AllowInput {
  readonly scopes: readonly string[];
  /** Claims asked for with the `claims` request parameter. */
  readonly claims?: readonly string[];
}

export interface RevokeInput {
  /** Who withdraws it; defaults to the acting party's kind (a client acting counts as the system). */
  readonly by?: RevokedBy;
  readonly reason?: string;
}

function revokerOf(ctx: CommandContext): RevokedBy {
  return ctx.actor.kind === 'client' ? 'system' : ctx.actor.kind;
}

/**
 * Write side of consents: the user's answers on the consent page, and withdrawals. A revocation
 * also destroys the client's grants and tokens at the authorization server (GrantRevoker).
 */
@injectable()
export class ConsentCommands {
  constructor(
    @inject(PORTS.CommandHandler) private readonly handler: CommandHandler,
    @inject(ClientQueries) private readonly clients: Pick<ClientQueries, 'findForAuthorization'>,
    @inject(GRANT_REVOKER) private readonly grants: GrantRevoker,
  ) {}

  private async providerOf(clientId: string): Promise<string> {
    const client = await this.clients.findForAuthorization(clientId);
    if (!client) throw new DomainError('not_found', 'client_not_found', 'No such client.');
    return client.providerId;
  }

  private async run(sub: string, clientId: string, command: ConsentCommand, ctx: CommandContext) {
    return this.handler.handle(consentDecider, consentStreamId(sub, clientId), command, ctx);
  }

  /**
   * Records that the user allowed the client these scopes. Pass everything the client is to hold
   * (or just what was asked): scopes already granted are not recorded again.
   */
  async allow(
    sub: string,
    clientId: string,
    input: AllowInput,
    ctx: CommandContext,
  ): Promise<ConsentWriteResult> {
    const providerId = await this.providerOf(clientId);
    const result = await this.run(
      sub,
      clientId,
      {
        type: 'GrantConsent',
        sub,
        clientId,
        providerId,
        scopes: input.scopes,
        ...(input.claims === undefined ? {} : { claims: input.claims }),
      },
      ctx,
    );
    return { position: result.position };
  }

  /** Records that the user declined the client's request for these scopes. */
  async deny(
    sub: string,
    clientId: string,
    scopes: readonly string[],
    ctx: CommandContext,
  ): Promise<ConsentWriteResult> {
    const providerId = await this.providerOf(clientId);
    const result = await this.run(
      sub,
      clientId,
      { type: 'DenyConsent', sub, clientId, providerId, scopes },
      ctx,
    );
    return { position: result.position };
  }

  /**
   * Withdraws the user's consent to the client, then destroys the client's grants and tokens for
   * the user. The grants are swept even when there was no active consent to record a revocation
   * of, so a retry after a failure between the two steps still finishes the job.
   */
  async revoke(
    sub: string,
    clientId: string,
    input: RevokeInput,
    ctx: CommandContext,
  ): Promise<RevocationResult> {
    const result = await this.run(
      sub,
      clientId,
      {
        type: 'RevokeConsent',
        by: input.by ?? revokerOf(ctx),
        ...(input.reason === undefined ? {} : { reason: input.reason }),
      },
      ctx,
    );
    const grantsRevoked = await this.grants.revokeFor(sub, clientId);
    return { revoked: result.events.length > 0, position: result.position, grantsRevoked };
  }
}
