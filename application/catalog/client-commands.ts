import { inject, injectable } from 'inversify';
import { DomainError } from '../../domain/kernel/decider.js';
import type {
  ClientMetadataInput,
  RegisterClient,
  UpdateClient,
} from '../../domain/catalog/client-commands.js';
import { clientDecider } from '../../domain/catalog/client-decider.js';
import { type ClientType, clientStreamId } from '../../domain/catalog/client-values.js';
import { providerDecider } from '../../domain/catalog/provider-decider.js';
import { providerStreamId } from '../../domain/catalog/values.js';
import type { CommandContext, CommandHandler, HandleResult } from '../kernel/command-handler.js';
import { newId } from '../kernel/ids.js';
import { PORTS } from '../tokens.js';
import { digestClientSecret, generateClientSecret } from './client-secrets.js';
import type { CreateOptions, WriteResult } from './results.js';

export interface NewClientInput extends ClientMetadataInput {
  readonly clientType: ClientType;
}

/** Registration data to change; see UpdateClient (what is omitted is kept, null removes). */
export type ClientChangesInput = Omit<UpdateClient, 'type'>;

/** A write that issued a new client secret. */
export interface SecretWriteResult extends WriteResult {
  /**
   * The new secret in clear, to be shown to the caller once: Tessera keeps only its digest.
   * Null for public clients, and when a create was a repeat of an earlier one (same
   * Idempotency-Key): that secret was shown then and cannot be shown again; rotate to get a new one.
   */
  readonly clientSecret: string | null;
}

const STREAM_PREFIX = 'client-';

function toWriteResult(result: HandleResult<unknown>): WriteResult {
  const id = result.streamId.startsWith(STREAM_PREFIX)
    ? result.streamId.slice(STREAM_PREFIX.length)
    : result.streamId;
  return { id, position: result.position, deduplicated: result.deduplicated };
}

/**
 * Write side of OAuth/OIDC clients: register, update, rotate the secret, disable and enable.
 * Secrets are generated here, returned once, and only their digests reach the event log.
 */
@injectable()
export class ClientCommands {
  constructor(@inject(PORTS.CommandHandler) private readonly handler: CommandHandler) {}

  /**
   * Registers a client of a registered provider. With an Idempotency-Key, a repeat of the same
   * request returns the first client (without its secret) instead of registering another.
   */
  async registerClient(
    providerId: string,
    input: NewClientInput,
    ctx: CommandContext,
    options: CreateOptions = {},
  ): Promise<SecretWriteResult> {
    const provider = await this.handler.load(providerDecider, providerStreamId(providerId));
    if (provider.state.status !== 'registered') {
      throw new DomainError('not_found', 'provider_not_found', 'No such service provider.');
    }
    const clientId = newId();
    const secret = input.clientType === 'confidential' ? generateClientSecret() : null;
    const command: RegisterClient = {
      ...input,
      type: 'RegisterClient',
      clientId,
      providerId,
      ...(secret === null ? {} : { secretDigest: digestClientSecret(secret) }),
    };
    // The secret is left out of the idempotency request: it differs on every attempt.
    const idempotency =
      options.idempotencyKey === undefined
        ? undefined
        : {
            key: options.idempotencyKey,
            scope: `${ctx.actor.kind}:${ctx.actor.id}`,
            request: { op: 'registerClient', providerId, ...input },
          };
    const result = await this.handler.handle(clientDecider, clientStreamId(clientId), command, ctx, {
      ...(idempotency ? { idempotency } : {}),
    });
    return { ...toWriteResult(result), clientSecret: result.deduplicated ? null : secret };
  }

  async updateClient(
    clientId: string,
    changes: ClientChangesInput,
    ctx: CommandContext,
  ): Promise<WriteResult> {
    const result = await this.handler.handle(
      clientDecider,
      clientStreamId(clientId),
      { ...changes, type: 'UpdateClient' },
      ctx,
    );
    return toWriteResult(result);
  }

  /** Issues a new secret for a confidential client; the old one stops working. */
  async rotateSecret(clientId: string, ctx: CommandContext): Promise<SecretWriteResult> {
    const secret = generateClientSecret();
    const result = await this.handler.handle(
      clientDecider,
      clientStreamId(clientId),
      { type: 'RotateClientSecret', secretDigest: digestClientSecret(secret) },
      ctx,
    );
    return { ...toWriteResult(result), clientSecret: secret };
  }

  async disableClient(
    clientId: string,
    reason: string | undefined,
    ctx: CommandContext,
  ): Promise<WriteResult> {
    const result = await this.handler.handle(
      clientDecider,
      clientStreamId(clientId),
      { type: 'DisableClient', ...(reason === undefined ? {} : { reason }) },
      ctx,
    );
    return toWriteResult(result);
  }

  async enableClient(clientId: string, ctx: CommandContext): Promise<WriteResult> {
    const result = await this.handler.handle(
      clientDecider,
      clientStreamId(clientId),
      { type: 'EnableClient' },
      ctx,
    );
    return toWriteResult(result);
  }
}
