import { inject, injectable } from 'inversify';
import { DomainError, type DomainErrorKind } from '../../domain/kernel/decider.js';
import type { GrantRight, RightCommand } from '../../domain/right/commands.js';
import { type GrantedRight, type RightAggregateState, rightDecider } from '../../domain/right/decider.js';
import { RightIdSchema, rightStreamId } from '../../domain/right/values.js';
import type { ProductDoc } from '../../projections/catalog.js';
import { CatalogQueries } from '../catalog/catalog-queries.js';
import type { CreateOptions } from '../catalog/results.js';
import type { CommandContext, CommandHandler, Idempotency } from '../kernel/command-handler.js';
import { newId } from '../kernel/ids.js';
import { PORTS } from '../tokens.js';
import type { GrantRightInput, GrantRightResult, RightIssuer } from './right-issuer.js';

/** What a change to an existing right reports back. */
export interface RightWriteResult {
  readonly rightId: string;
  /** Global log position of the write (pass as `minPosition`); null when nothing was recorded. */
  readonly position: number | null;
  /** False when the command was a no-op (e.g. usage recorded a second time). */
  readonly changed: boolean;
  /** The right as it stands after the command. */
  readonly right: GrantedRight;
}

/** How a right's end moves: to a later instant, or by an ISO 8601 duration. */
export type ExtendInput = { readonly validUntil: string } | { readonly by: string };

/** One item of a batch grant: its result, or why it was refused. */
export type GrantManyItem =
  | { readonly index: number; readonly ok: true; readonly result: GrantRightResult }
  | {
      readonly index: number;
      readonly ok: false;
      readonly error: {
        readonly kind: DomainErrorKind;
        readonly code: string;
        readonly message: string;
        readonly field?: string;
      };
    };

/** Largest batch grantMany takes in one call. */
export const MAX_GRANT_BATCH = 100;

function rightIdOf(streamId: string): string {
  return streamId.startsWith('right-') ? streamId.slice('right-'.length) : streamId;
}

function skuNotFound(sku: string): DomainError {
  return new DomainError(
    'invalid',
    'sku_not_found',
    `sku: "${sku}" is not in this provider's catalog.`,
    'sku',
  );
}

/**
 * Write side of rights. Every operation acts for one provider: a right of another provider is
 * `right_not_found`, exactly as if it did not exist. Grants resolve the SKU in the provider's catalog
 * and take the default validity from the product.
 */
@injectable()
export class RightCommands implements RightIssuer {
  constructor(
    @inject(PORTS.CommandHandler) private readonly handler: CommandHandler,
    @inject(CatalogQueries) private readonly catalog: Pick<CatalogQueries, 'findProductBySku'>,
  ) {}

  /**
   * Grants a right. With a rightId, a retry with the same data grants nothing new and answers
   * `created: false`; different data under the same rightId is `right_exists`. With an
   * Idempotency-Key (options), a repeat of the same request returns the first right.
   */
  async grant(
    input: GrantRightInput,
    ctx: CommandContext,
    options: CreateOptions = {},
  ): Promise<GrantRightResult> {
    const product = await this.catalog.findProductBySku(input.providerId, input.sku);
    return this.grantFor(product, input, ctx, options);
  }

  /**
   * Grants many rights, each in its own stream: an item is either fully granted or not at all, and
   * one refusal does not stop the others. Results come back in input order.
   */
  async grantMany(inputs: readonly GrantRightInput[], ctx: CommandContext): Promise<GrantManyItem[]> {
    if (inputs.length > MAX_GRANT_BATCH) {
      throw new DomainError(
        'invalid',
        'too_many_rights',
        `At most ${MAX_GRANT_BATCH} rights can be granted in one request.`,
        'rights',
      );
    }
    const products = new Map<string, Promise<ProductDoc | null>>();
    const results: GrantManyItem[] = [];
    for (const [index, input] of inputs.entries()) {
      const key = `${input.providerId}\u0000${input.sku}`;
      let product = products.get(key);
      if (!product) {
        product = this.catalog.findProductBySku(input.providerId, input.sku);
        products.set(key, product);
      }
      try {
        results.push({ index, ok: true, result: await this.grantFor(await product, input, ctx, {}) });
      } catch (err) {
        if (!(err instanceof DomainError)) throw err;
        results.push({
          index,
          ok: false,
          error: {
            kind: err.kind,
            code: err.code,
            message: err.message,
            ...(err.field === undefined ? {} : { field: err.field }),
          },
        });
      }
    }
    return results;
  }

  private async grantFor(
    product: ProductDoc | null,
    input: GrantRightInput,
    ctx: CommandContext,
    options: CreateOptions,
  ): Promise<GrantRightResult> {
    if (!product) throw skuNotFound(input.sku);
    if (product.kind === 'subscription' && (input.validUntil === undefined || input.validUntil === null)) {
      throw new DomainError(
        'invalid',
        'validity_required',
        'validUntil: a right for a subscription plan needs an end instant.',
        'validUntil',
      );
    }
    const rightId = input.rightId ?? newId();
    const command: GrantRight = {
      type: 'GrantRight',
      rightId,
      providerId: input.providerId,
      productId: product.id,
      sku: product.sku,
      sub: input.sub,
      grantor: input.grantor,
      ...(input.validFrom === undefined ? {} : { validFrom: input.validFrom }),
      ...(input.validUntil === undefined ? {} : { validUntil: input.validUntil }),
      ...(product.timeSpec === null ? {} : { defaultValidity: product.timeSpec }),
      ...(input.payload === undefined ? {} : { payload: input.payload }),
      ...(input.initialState === undefined ? {} : { initialState: input.initialState }),
    };
    const idempotency: Idempotency | undefined =
      options.idempotencyKey === undefined
        ? undefined
        : {
            key: options.idempotencyKey,
            scope: `rights:${input.providerId}`,
            request: { op: 'grantRight', ...input },
          };
    const result = await this.handler.handle(
      rightDecider,
      rightStreamId(rightId),
      command,
      ctx,
      idempotency ? { idempotency } : {},
    );
    const created = !result.deduplicated && result.events.length > 0;
    return { rightId: rightIdOf(result.streamId), position: created ? result.position : null, created };
  }

  async extend(
    providerId: string,
    rightId: string,
    input: ExtendInput,
    ctx: CommandContext,
  ): Promise<RightWriteResult> {
    return this.change(
      rightId,
      {
        type: 'ExtendRight',
        providerId,
        ...('by' in input ? { by: input.by } : { validUntil: input.validUntil }),
      },
      ctx,
    );
  }

  async suspend(
    providerId: string,
    rightId: string,
    reason: string | undefined,
    ctx: CommandContext,
  ): Promise<RightWriteResult> {
    return this.change(
      rightId,
      { type: 'SuspendRight', providerId, ...(reason === undefined ? {} : { reason }) },
      ctx,
    );
  }

  async reactivate(providerId: string, rightId: string, ctx: CommandContext): Promise<RightWriteResult> {
    return this.change(rightId, { type: 'ReactivateRight', providerId }, ctx);
  }

  async terminate(
    providerId: string,
    rightId: string,
    reason: string | undefined,
    ctx: CommandContext,
  ): Promise<RightWriteResult> {
    return this.change(
      rightId,
      { type: 'TerminateRight', providerId, ...(reason === undefined ? {} : { reason }) },
      ctx,
    );
  }

  /** Marks the right used (only while it is active); recording it again changes nothing. */
  async recordUsage(providerId: string, rightId: string, ctx: CommandContext): Promise<RightWriteResult> {
    return this.change(rightId, { type: 'RecordRightUsage', providerId }, ctx);
  }

  private async change(
    rightId: string,
    command: RightCommand,
    ctx: CommandContext,
  ): Promise<RightWriteResult> {
    // An id that could never name a stream of ours is simply not found (and never touches the store).
    if (!RightIdSchema.safeParse(rightId).success) {
      throw new DomainError('not_found', 'right_not_found', 'No such right.');
    }
    const result = await this.handler.handle(rightDecider, rightStreamId(rightId), command, ctx);
    const state: RightAggregateState = result.state;
    if (state.status === 'none') throw new DomainError('not_found', 'right_not_found', 'No such right.');
    return { rightId, position: result.position, changed: result.events.length > 0, right: state };
  }
}
