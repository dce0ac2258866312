import { randomUUID } from 'node:crypto';

/** The one-time product most payment tests sell: a 48-hour film rental at NOK 49.00. */
export const FILM = {
  sku: 'film-48h',
  name: 'Film rental',
  kind: 'one_time',
  price: { amount: 4900, currency: 'NOK' },
  vatRate: 2500,
  timeSpec: 'P2D',
} as const;

/**
 * The body of `POST /v1/transactions` for the film, made out to `sub` (a fresh orderId unless
 * `extra` names one; anything in `extra` replaces the default).
 */
export function filmTransaction(sub: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    orderId: `order-${randomUUID()}`,
    description: 'Film rental',
    amount: { amount: 4900, currency: 'NOK' },
    vatRate: 2500,
    products: [
      {
        sku: 'film-48h',
        name: 'Film',
        price: { amount: 4900, currency: 'NOK' },
        vatRate: 2500,
        timeSpec: 'P2D',
      },
    ],
    successRedirect: 'https://shop.example/ok',
    cancelRedirect: 'https://shop.example/cancel',
    sub,
    ...extra,
  };
}
