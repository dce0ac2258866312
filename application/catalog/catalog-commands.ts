import { inject, injectable } from 'inversify';
import { DomainError } from '../../domain/kernel/decider.js';
import type { Money } from '../../domain/shared/money.js';
import type { AddProduct } from '../../domain/catalog/commands.js';
import type { ProductEvent } from '../../domain/catalog/events.js';
import { providerDecider } from '../../domain/catalog/provider-decider.js';
import { productDecider } from '../../domain/catalog/product-decider.js';
import {
  type Contact,
  productStreamId,
  providerStreamId,
  skuReservationKey,
} from '../../domain/catalog/values.js';
import type { CommandContext, CommandHandler, HandleResult, Idempotency } from '../kernel/command-handler.js';
import { ReservationConflictError } from '../ports/event-store.js';
import { newId } from '../kernel/ids.js';
import { PORTS } from '../tokens.js';
import type { CreateOptions, WriteResult } from './results.js';

export interface RegisterProviderInput {
  readonly name: string;
  readonly contact?: Contact;
}

interface NewProductBase {
  readonly sku: string;
  readonly name: string;
  readonly price: Money;
  readonly vatRate: number;
}

export type NewProductInput =
  | (NewProductBase & { readonly kind: 'one_time'; readonly timeSpec: string })
  | (NewProductBase & { readonly kind: 'subscription'; readonly period: string; readonly trial?: string });

export interface ChangePriceInput {
  readonly price?: Money;
  readonly vatRate?: number;
}

/** Claims the product's SKU for its provider in the same append that adds the product. */
function skuReservation(events: readonly ProductEvent[]) {
  return {
    reserve: events.flatMap((e) =>
      e.type === 'ProductAdded' ? [{ key: skuReservationKey(e.data.providerId, e.data.sku) }] : [],
    ),
  };
}

/** Idempotency keys belong to the caller: two callers using the same key never collide. */
function idempotency(
  ctx: CommandContext,
  key: string | undefined,
  request: unknown,
): Idempotency | undefined {
  return key === undefined ? undefined : { key, scope: `${ctx.actor.kind}:${ctx.actor.id}`, request };
}

function idFromStream(streamId: string, prefix: string): string {
  return streamId.startsWith(prefix) ? streamId.slice(prefix.length) : streamId;
}

function toWriteResult(result: HandleResult<unknown>, prefix: string): WriteResult {
  return {
    id: idFromStream(result.streamId, prefix),
    position: result.position,
    deduplicated: result.deduplicated,
  };
}

/** Write side of the service catalog: providers and their products (SKUs). */
@injectable()
export class CatalogCommands {
  constructor(@inject(PORTS.CommandHandler) private readonly handler: CommandHandler) {}

  async registerProvider(
    input: RegisterProviderInput,
    ctx: CommandContext,
    options: CreateOptions = {},
  ): Promise<WriteResult> {
    const providerId = newId();
    const idem = idempotency(ctx, options.idempotencyKey, { op: 'registerProvider', ...input });
    const result = await this.handler.handle(
      providerDecider,
      providerStreamId(providerId),
      {
        type: 'RegisterProvider',
        providerId,
        name: input.name,
        ...(input.contact ? { contact: input.contact } : {}),
      },
      ctx,
      idem ? { idempotency: idem } : {},
    );
    return toWriteResult(result, 'provider-');
  }

  async renameProvider(providerId: string, name: string, ctx: CommandContext): Promise<WriteResult> {
    const result = await this.handler.handle(
      providerDecider,
      providerStreamId(providerId),
      { type: 'RenameProvider', name },
      ctx,
    );
    return toWriteResult(result, 'provider-');
  }

  /**
   * Adds a product to a registered provider's catalog. The SKU is reserved atomically with the
   * append, so of concurrent requests for one SKU exactly one succeeds; the rest get `sku_taken`.
   */
  async addProduct(
    providerId: string,
    input: NewProductInput,
    ctx: CommandContext,
    options: CreateOptions = {},
  ): Promise<WriteResult> {
    const provider = await this.handler.load(providerDecider, providerStreamId(providerId));
    if (provider.state.status !== 'registered') {
      throw new DomainError('not_found', 'provider_not_found', 'No such service provider.');
    }
    const productId = newId();
    const command: AddProduct = { type: 'AddProduct', productId, providerId, ...input };
    const idem = idempotency(ctx, options.idempotencyKey, { op: 'addProduct', providerId, ...input });
    try {
      const result = await this.handler.handle(productDecider, productStreamId(productId), command, ctx, {
        reservations: skuReservation,
        ...(idem ? { idempotency: idem } : {}),
      });
      return toWriteResult(result, 'product-');
    } catch (err) {
      if (err instanceof ReservationConflictError && err.key === skuReservationKey(providerId, input.sku)) {
        throw new DomainError(
          'conflict',
          'sku_taken',
          `The SKU "${input.sku}" is already used by another product of this provider.`,
          'sku',
        );
      }
      throw err;
    }
  }

  async changePrice(productId: string, input: ChangePriceInput, ctx: CommandContext): Promise<WriteResult> {
    const result = await this.handler.handle(
      productDecider,
      productStreamId(productId),
      {
        type: 'ChangeProductPrice',
        ...(input.price === undefined ? {} : { price: input.price }),
        ...(input.vatRate === undefined ? {} : { vatRate: input.vatRate }),
      },
      ctx,
    );
    return toWriteResult(result, 'product-');
  }

  async retireProduct(
    productId: string,
    reason: string | undefined,
    ctx: CommandContext,
  ): Promise<WriteResult> {
    const result = await this.handler.handle(
      productDecider,
      productStreamId(productId),
      { type: 'RetireProduct', ...(reason === undefined ? {} : { reason }) },
      ctx,
    );
    return toWriteResult(result, 'product-');
  }
}
