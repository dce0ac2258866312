import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CatalogCommands, NewProductInput } from '../application/catalog/catalog-commands.js';
import type { ClientCommands } from '../application/catalog/client-commands.js';
import { verifyClientSecret } from '../application/catalog/client-secrets.js';
import type { CommandContext, CommandHandler } from '../application/kernel/command-handler.js';
import { newId } from '../application/kernel/ids.js';
import { clientDecider } from '../domain/catalog/client-decider.js';
import { clientStreamId } from '../domain/catalog/client-values.js';
import type { AdminToken } from './admin-token.js';
import {
  DEMO_BACKEND_SCOPES,
  DEMO_SIGN_IN_SCOPES,
  demoCallbackUrl,
  type DemoShopConfig,
} from './http/demo/demo-config.js';

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
  /** The demo shop, once its client is seeded (after the server listens; see seedDemoShop). */
  readonly shop?: DemoShopSeed;
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

/** Where the demo shop is served, under the issuer. */
export const DEMO_SHOP_PATH = '/demo';
/** The demo client's id and secret, kept in DATA_DIR (mode 0600) for the shop. */
export const DEMO_CLIENT_FILE = 'demo-client.json';
const DEMO_CLIENT_IDEMPOTENCY_KEY = 'demo-shop-client';
/**
 * The registration names the redirect URIs of the default configuration: it is the idempotent
 * request, so it must be the same at every start. seedDemoShop then moves the URIs to wherever the
 * shop actually is (another port, a PUBLIC_URL), which is a no-op on the default.
 */
const DEFAULT_SHOP_URL = `http://127.0.0.1:3000${DEMO_SHOP_PATH}`;

const demoClientRegistration = (shopUrl: string) => ({
  clientType: 'confidential' as const,
  name: 'Tessera Demo Shop',
  redirectUris: [demoCallbackUrl(shopUrl)],
  postLogoutRedirectUris: [shopUrl],
  scopes: [...new Set<string>([...DEMO_SIGN_IN_SCOPES, ...DEMO_BACKEND_SCOPES])],
  // The shop signs people in (authorization_code) and its backend creates transactions and checks
  // access on its own (client_credentials). Its sessions end with the access token: no refresh.
  grantTypes: ['authorization_code', 'client_credentials'],
});

/** What seedDemoShop did this time; empty on every start that found everything in place. */
export type DemoClientChange = 'registered' | 'redirect_uris_updated' | 'secret_rotated';

export interface DemoShopSeed {
  /** The shop's home page. */
  readonly url: string;
  readonly clientId: string;
  /** The file holding the client's id and secret (mode 0600). */
  readonly secretFile: string;
  readonly changes: readonly DemoClientChange[];
  /** Everything the shop's router needs (DemoShopSlot.set). */
  readonly config: DemoShopConfig;
}

export interface DemoShopSeedDeps {
  readonly clients: Pick<ClientCommands, 'registerClient' | 'updateClient' | 'rotateSecret'>;
  /** Reads the client's stream: its current redirect URIs and secret digest, from the log itself. */
  readonly handler: Pick<CommandHandler, 'load'>;
  readonly dataDir: string;
}

export interface DemoShopLocation {
  /** The OpenID Connect issuer (PUBLIC_URL, else the listening URL). */
  readonly issuer: string;
  /** Where this process is reached by itself (the listening URL). */
  readonly internalUrl: string;
  /** The shop's base URL; `${issuer}/demo` unless the shop is served elsewhere. */
  readonly shopUrl?: string;
}

interface StoredClient {
  readonly clientId: string;
  readonly clientSecret: string;
}

function readStoredClient(file: string): StoredClient | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    // Missing or unreadable: the secret is replaced, so a damaged file repairs itself.
    return null;
  }
  if (typeof parsed !== 'object' || parsed === null) return null;
  const { clientId, clientSecret } = parsed as Record<string, unknown>;
  return typeof clientId === 'string' && typeof clientSecret === 'string' ? { clientId, clientSecret } : null;
}

/** Replaces the file in one step (write aside, rename), readable by the owner only. */
function writeStoredClient(dataDir: string, file: string, client: StoredClient): void {
  mkdirSync(dataDir, { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(client)}\n`, { mode: 0o600 });
  chmodSync(temporary, 0o600);
  renameSync(temporary, file);
}

const sameList = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && a.every((v, i) => v === b[i]);

/**
 * Seeds the demo shop's confidential client of the demo provider and returns the shop's
 * configuration. Runs once the server listens, because the redirect URI names the issuer.
 *
 * Idempotent across restarts: the registration carries a fixed idempotency key (and a fixed
 * request), so every later start finds the first client. Then, reading the client's own stream:
 * - its redirect and post-logout URIs are moved to the current shop URL when the issuer changed
 *   (another PORT or PUBLIC_URL); unchanged, nothing is written;
 * - the secret, shown only at registration, is kept in DATA_DIR/demo-client.json (mode 0600, like
 *   the admin token). When that file is missing, names another client, or holds a secret that no
 *   longer matches the digest (an admin rotated it), the secret is rotated and the file rewritten.
 *   Rotating at every start would also work, but would append an event per start and cut off any
 *   other process still using the old secret.
 */
export async function seedDemoShop(
  deps: DemoShopSeedDeps,
  demo: DemoSeedResult,
  location: DemoShopLocation,
): Promise<DemoShopSeed> {
  const ctx: CommandContext = { actor: { kind: 'system', id: 'demo-seed' }, correlationId: newId() };
  const issuer = location.issuer.replace(/\/+$/, '');
  const shopUrl = (location.shopUrl ?? `${issuer}${DEMO_SHOP_PATH}`).replace(/\/+$/, '');
  const file = join(deps.dataDir, DEMO_CLIENT_FILE);
  const changes: DemoClientChange[] = [];

  const registered = await deps.clients.registerClient(
    demo.providerId,
    demoClientRegistration(DEFAULT_SHOP_URL),
    ctx,
    { idempotencyKey: DEMO_CLIENT_IDEMPOTENCY_KEY },
  );
  const clientId = registered.id;
  if (!registered.deduplicated) changes.push('registered');

  const { state } = await deps.handler.load(clientDecider, clientStreamId(clientId));
  if (state.status === 'none') throw new Error(`The demo client ${clientId} has no registration`);

  const wanted = demoClientRegistration(shopUrl);
  if (
    !sameList(state.metadata.redirectUris, wanted.redirectUris) ||
    !sameList(state.metadata.postLogoutRedirectUris, wanted.postLogoutRedirectUris)
  ) {
    await deps.clients.updateClient(
      clientId,
      { redirectUris: wanted.redirectUris, postLogoutRedirectUris: wanted.postLogoutRedirectUris },
      ctx,
    );
    changes.push('redirect_uris_updated');
  }

  let secret = registered.clientSecret;
  if (secret === null) {
    const stored = readStoredClient(file);
    if (stored?.clientId === clientId && verifyClientSecret(stored.clientSecret, state.secretDigest)) {
      secret = stored.clientSecret;
    } else {
      const rotated = await deps.clients.rotateSecret(clientId, ctx);
      if (rotated.clientSecret === null) throw new Error('Rotating the demo client secret gave no secret');
      secret = rotated.clientSecret;
      changes.push('secret_rotated');
    }
  }
  if (changes.includes('registered') || changes.includes('secret_rotated')) {
    writeStoredClient(deps.dataDir, file, { clientId, clientSecret: secret });
  }

  return {
    url: shopUrl,
    clientId,
    secretFile: file,
    changes,
    config: {
      issuer,
      backchannelUrl: location.internalUrl.replace(/\/+$/, ''),
      shopUrl,
      clientId,
      clientSecret: secret,
      providerName: DEMO_PROVIDER_NAME,
      products: DEMO_PRODUCTS,
    },
  };
}

/** What to tell a person who just started Tessera: where it is and how to talk to it. */
export function describeStart(url: string, admin: AdminToken, demo: DemoSeedResult | null): string {
  const tokenLine =
    admin.source === 'file'
      ? `Admin token${admin.generated ? ' (new)' : ''}: in ${admin.file} (mode 0600; not printed, so it stays out of terminal logs)`
      : 'Admin token: from ADMIN_TOKEN';
  const tokenRef = admin.source === 'file' ? `$(cat ${admin.file})` : '$ADMIN_TOKEN';
  const lines: string[] = [];
  if (demo?.shop) {
    lines.push(
      `Open ${demo.shop.url} and sign in with any phone number; the code appears at ${origin(demo.shop.url)}/dev/outbox`,
      '',
    );
  }
  lines.push(
    `Tessera is listening on ${url}`,
    `  ${tokenLine}`,
    `  Health: ${url}/healthz  Ready: ${url}/readyz  Metrics: ${url}/metrics`,
  );
  if (demo) {
    lines.push(
      `  Demo provider "${DEMO_PROVIDER_NAME}" (${demo.providerId})${demo.created ? ' seeded' : ' already present'} with SKUs ${DEMO_PRODUCTS.map((p) => p.sku).join(', ')}`,
    );
    if (demo.shop) {
      lines.push(
        `  Demo shop client ${demo.shop.clientId}: secret in ${demo.shop.secretFile} (mode 0600)`,
        `  Also: ${origin(demo.shop.url)}/account (your account), /support, /dashboard, /docs (the API)`,
        `  Staff pages need roles: npm run cli -- staff grant <your phone> --role support-lead --role auditor --provider ${demo.providerId} --reason demo`,
      );
    }
    lines.push(
      `  Try: curl -s -H "Authorization: Bearer ${tokenRef}" ${url}/admin/v1/providers/${demo.providerId}/products`,
    );
  } else {
    lines.push(`  Try: curl -s -H "Authorization: Bearer ${tokenRef}" ${url}/admin/v1/providers`);
  }
  return `${lines.join('\n')}\n`;
}

const origin = (url: string): string => new URL(url).origin;
