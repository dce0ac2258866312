import { type Decider, DomainError } from '../kernel/decider.js';
import { DurationSchema } from '../shared/iso8601.js';
import { type Money, moneyEquals, NonNegativeMoneySchema, VatRateSchema } from '../shared/money.js';
import { ensureValid } from '../shared/validate.js';
import type { AddProduct, ProductCommand } from './commands.js';
import { ProductAdded, type ProductEvent, ProductPriceChanged, ProductRetired } from './events.js';
import { ProductNameSchema, RetireReasonSchema, SkuSchema, TimeSpecSchema } from './values.js';

export interface ProductFacts {
  readonly productId: string;
  readonly providerId: string;
  readonly sku: string;
  readonly kind: 'one_time' | 'subscription';
  readonly price: Money;
  readonly vatRate: number;
}

export type ProductState =
  { readonly status: 'none' } | ({ readonly status: 'active' | 'retired' } & ProductFacts);

function decideAdd(command: AddProduct): ProductEvent[] {
  const sku = ensureValid(SkuSchema, command.sku, 'sku', 'invalid_sku');
  const name = ensureValid(ProductNameSchema, command.name, 'name', 'invalid_name');
  const price = ensureValid(NonNegativeMoneySchema, command.price, 'price', 'invalid_price');
  const vatRate = ensureValid(VatRateSchema, command.vatRate, 'vatRate', 'invalid_vat_rate');
  const base = { productId: command.productId, providerId: command.providerId, sku, name, price, vatRate };
  if (command.kind === 'one_time') {
    const timeSpec = ensureValid(TimeSpecSchema, command.timeSpec, 'timeSpec', 'invalid_time_spec');
    return [ProductAdded({ ...base, kind: 'one_time', timeSpec })];
  }
  const period = ensureValid(DurationSchema, command.period, 'period', 'invalid_period');
  const trial =
    command.trial === undefined
      ? undefined
      : ensureValid(DurationSchema, command.trial, 'trial', 'invalid_trial');
  return [ProductAdded({ ...base, kind: 'subscription', period, ...(trial ? { trial } : {}) })];
}

/**
 * A product (SKU) of one provider: added, repriced, retired. Retired products keep their SKU (rights
 * and payment history refer to it) and can no longer be repriced; retiring twice changes nothing.
 */
export const productDecider: Decider<ProductState, ProductCommand, ProductEvent> = {
  initialState: () => ({ status: 'none' }),

  evolve(state, event) {
    switch (event.type) {
      case 'ProductAdded': {
        const { productId, providerId, sku, kind, price, vatRate } = event.data;
        return { status: 'active', productId, providerId, sku, kind, price, vatRate };
      }
      case 'ProductPriceChanged':
        return state.status === 'none'
          ? state
          : { ...state, price: event.data.price, vatRate: event.data.vatRate };
      case 'ProductRetired':
        return state.status === 'none' ? state : { ...state, status: 'retired' };
    }
  },

  decide(command, state) {
    if (command.type === 'AddProduct') {
      if (state.status !== 'none')
        throw new DomainError('conflict', 'product_exists', 'This product already exists.');
      return decideAdd(command);
    }
    if (state.status === 'none') throw new DomainError('not_found', 'product_not_found', 'No such product.');
    switch (command.type) {
      case 'ChangeProductPrice': {
        if (state.status === 'retired') {
          throw new DomainError('conflict', 'product_retired', 'A retired product cannot be repriced.');
        }
        if (command.price === undefined && command.vatRate === undefined) {
          throw new DomainError(
            'invalid',
            'nothing_to_change',
            'Give a new price, a new VAT rate, or both.',
            'price',
          );
        }
        const price =
          command.price === undefined
            ? state.price
            : ensureValid(NonNegativeMoneySchema, command.price, 'price', 'invalid_price');
        const vatRate =
          command.vatRate === undefined
            ? state.vatRate
            : ensureValid(VatRateSchema, command.vatRate, 'vatRate', 'invalid_vat_rate');
        if (price.currency !== state.price.currency) {
          throw new DomainError(
            'invalid',
            'currency_change_not_allowed',
            `The product is priced in ${state.price.currency}; add a new SKU to sell in ${price.currency}.`,
            'price.currency',
          );
        }
        if (moneyEquals(price, state.price) && vatRate === state.vatRate) return [];
        return [
          ProductPriceChanged({
            productId: state.productId,
            price,
            vatRate,
            previousPrice: state.price,
            previousVatRate: state.vatRate,
          }),
        ];
      }
      case 'RetireProduct': {
        if (state.status === 'retired') return [];
        const reason =
          command.reason === undefined
            ? undefined
            : ensureValid(RetireReasonSchema, command.reason, 'reason', 'invalid_reason');
        return [ProductRetired({ productId: state.productId, ...(reason ? { reason } : {}) })];
      }
    }
  },
};
