import { DomainError } from '../../domain/kernel/decider.js';
import type { PlanOffer } from '../../domain/subscription/commands.js';
import { CATALOG_PROJECTION, type ProductDoc } from '../../projections/catalog.js';
import type { Views } from '../ports/views.js';

/**
 * Finds a provider's product by SKU in the catalog read model and offers it as a plan; the
 * Subscription decider decides whether it can be one. A SKU of another provider is not found.
 */
export async function findPlanOffer(views: Views, providerId: string, sku: string): Promise<PlanOffer> {
  const page = await views
    .view<ProductDoc>(CATALOG_PROJECTION, 'products')
    .find({ where: { providerId, sku }, limit: 1 });
  const product = page.items[0];
  if (!product) {
    throw new DomainError('invalid', 'plan_not_found', `No product "${sku}" in this catalog.`, 'sku');
  }
  return {
    productId: product.id,
    providerId: product.providerId,
    sku: product.sku,
    kind: product.kind,
    period: product.period,
    trial: product.trial,
    status: product.status,
  };
}
