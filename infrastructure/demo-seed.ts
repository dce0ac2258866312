import type { CatalogCommands, NewProductInput } from '../application/catalog/catalog-commands.js';
import type { CommandContext } from '../application/kernel/command-handler.js';
import { newId } from '../application/kernel/ids.js';
import type { AdminToken } from './admin-token.js';

export const DEMO_PROVIDER_NAME = 'Tessera Demo Media';

export const DEMO_PRODUCTS: readonly NewProductInput[] = [
  {
    sku: 'film-rental-48h',
    name: 'Film rental, 48 hours',
    kind: 'one_time',
    price: { amount: 4900, currency: 'NOK' },
    vatRate: 2500,
    timeSpec: 'PT48H',
  },
  {
    sku: 'premium-monthly',
    name: 'Premium, monthly',
    kind: 'subscription',
    price: { amount: 12900, currency: 'NOK' },
    vatRate: 2500,
    period: 'P1M',
    trial: 'P14D',
  },
];

export interface DemoSeedResult {
  readonly providerId: string;
  readonly productIds: readonly string[];
  /** False when everything already existed (every later start). */
  readonly created: boolean;
}

/**
 * Seeds a demo provider with a one-time SKU and a monthly plan. Every command carries a fixed
 * idempotency key, so each start after the first finds the earlier results and writes nothing.
 */
export async function seedDemo(commands: CatalogCommands): Promise<DemoSeedResult> {
  const ctx: CommandContext = { actor: { kind: 'system', id: 'demo-seed' }, correlationId: newId() };
  const provider = await commands.registerProvider(
    { name: DEMO_PROVIDER_NAME, contact: { url: 'https://tessera.dev' } },
    ctx,
    { idempotencyKey: 'demo-provider' },
  );
  let created = !provider.deduplicated;
  const productIds: string[] = [];
  for (const product of DEMO_PRODUCTS) {
    const result = await commands.addProduct(provider.id, product, ctx, {
      idempotencyKey: `demo-product-${product.sku}`,
    });
    created ||= !result.deduplicated;
    productIds.push(result.id);
  }
  return { providerId: provider.id, productIds, created };
}

/** What to tell a person who just started Tessera: where it is and how to talk to it. */
export function describeStart(url: string, admin: AdminToken, demo: DemoSeedResult | null): string {
  const tokenLine =
    admin.source === 'file'
      ? `Admin token${admin.generated ? ' (new)' : ''}: in ${admin.file} (mode 0600; not printed, so it stays out of terminal logs)`
      : 'Admin token: from ADMIN_TOKEN';
  const tokenRef = admin.source === 'file' ? `$(cat ${admin.file})` : '$ADMIN_TOKEN';
  const lines = [
    `Tessera is listening on ${url}`,
    `  ${tokenLine}`,
    `  Health: ${url}/healthz  Ready: ${url}/readyz  Metrics: ${url}/metrics`,
  ];
  if (demo) {
    lines.push(
      `  Demo provider "${DEMO_PROVIDER_NAME}" (${demo.providerId})${demo.created ? ' seeded' : ' already present'} with SKUs ${DEMO_PRODUCTS.map((p) => p.sku).join(', ')}`,
      `  Try: curl -s -H "Authorization: Bearer ${tokenRef}" ${url}/admin/v1/providers/${demo.providerId}/products`,
    );
  } else {
    lines.push(`  Try: curl -s -H "Authorization: Bearer ${tokenRef}" ${url}/admin/v1/providers`);
  }
  return `${lines.join('\n')}\n`;
}
