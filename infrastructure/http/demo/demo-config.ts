/**
 * What the demo shop knows about itself and about Tessera. The shop is a separate relying party: it
 * talks to Tessera only over public HTTP (discovery, the authorization and token endpoints, /v1), so
 * this configuration is all it gets from the process that serves it. The seed
 * (infrastructure/demo-seed.ts) fills it in once the issuer is known.
 */

interface DemoShopProductBase {
  readonly sku: string;
  readonly name: string;
  /** VAT-inclusive, integer minor units. */
  readonly price: { readonly amount: number; readonly currency: string };
  /** Basis points: 2500 = 25 %. */
  readonly vatRate: number;
}

/** A product of the demo provider as the shop sells (or only shows) it. */
export type DemoShopProduct =
  | (DemoShopProductBase & { readonly kind: 'one_time'; readonly timeSpec: string })
  | (DemoShopProductBase & {
      readonly kind: 'subscription';
      readonly period: string;
      readonly trial?: string;
    });

export interface DemoShopConfig {
  /** Tessera's OpenID Connect issuer, as browsers reach it (no trailing slash). */
  readonly issuer: string;
  /**
   * Where the shop's backend reaches Tessera (no trailing slash): the server's own listening URL,
   * which may differ from a public issuer behind a proxy.
   */
  readonly backchannelUrl: string;
  /** The shop's own base URL, e.g. http://127.0.0.1:3000/demo; its redirect URI is `${shopUrl}/callback`. */
  readonly shopUrl: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** The provider the shop belongs to, shown as the shop's name. */
  readonly providerName: string;
  readonly products: readonly DemoShopProduct[];
}

/** The scopes the shop asks a person for at sign-in. */
export const DEMO_SIGN_IN_SCOPES = [
  'openid',
  'phone',
  'id.user.read',
  'id.user.right.read',
  'payment.transactions.write',
] as const;

/** The scopes the shop's backend asks for with client_credentials (create transactions, check access). */
export const DEMO_BACKEND_SCOPES = ['id.user.right.read', 'payment.transactions.write'] as const;

/** The shop's redirect URI under its base URL. */
export const demoCallbackUrl = (shopUrl: string): string => `${shopUrl}/callback`;

/**
 * Holds the shop's configuration until the seed has made it: the HTTP app is built before the
 * server listens, the demo client only after (its redirect URI names the issuer).
 */
export class DemoShopSlot {
  private config: DemoShopConfig | null = null;

  set(config: DemoShopConfig): void {
    this.config = config;
  }

  get(): DemoShopConfig | null {
    return this.config;
  }
}
