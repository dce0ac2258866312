import { expect } from 'chai';
import { productDecider } from '../../../domain/catalog/product-decider.js';
import { ProductAdded, ProductPriceChanged, ProductRetired } from '../../../domain/catalog/events.js';
import type { AddOneTimeProduct, AddSubscriptionProduct } from '../../../domain/catalog/commands.js';
import { deciderSpec } from '../../support/decider-spec.js';

const productId = '0190f3c2-7a1b-7c3d-8e4f-000000000001';
const providerId = '0190f3c2-7a1b-7c3d-8e4f-123456789abc';
const nok = (amount: number) => ({ amount, currency: 'NOK' });

const addRental: AddOneTimeProduct = {
  type: 'AddProduct',
  productId,
  providerId,
  sku: 'film-rental-48h',
  name: 'Film rental, 48 hours',
  kind: 'one_time',
  price: nok(4900),
  vatRate: 2500,
  timeSpec: 'PT48H',
};
const addPlan: AddSubscriptionProduct = {
  type: 'AddProduct',
  productId,
  providerId,
  sku: 'premium-monthly',
  name: 'Premium',
  kind: 'subscription',
  price: nok(12900),
  vatRate: 2500,
  period: 'P1M',
  trial: 'P14D',
};
const rentalAdded = ProductAdded({
  productId,
  providerId,
  sku: 'film-rental-48h',
  name: 'Film rental, 48 hours',
  kind: 'one_time',
  price: nok(4900),
  vatRate: 2500,
  timeSpec: 'PT48H',
});
const retired = ProductRetired({ productId });
const product = deciderSpec(productDecider);

describe('Product decider', () => {
  describe('AddProduct', () => {
    it('adds a one-time product with its validity', () => {
      product.given([]).when(addRental).then([rentalAdded]);
    });

    it('adds a perpetual one-time product', () => {
      const [event] = productDecider.decide(
        { ...addRental, timeSpec: 'perpetual' },
        productDecider.initialState(),
        {
          now: new Date(),
        },
      );
      expect(event?.data).to.include({ kind: 'one_time', timeSpec: 'perpetual' });
    });

    it('adds a subscription with its period and trial', () => {
      product
        .given([])
        .when(addPlan)
        .then([
          ProductAdded({
            productId,
            providerId,
            sku: 'premium-monthly',
            name: 'Premium',
            kind: 'subscription',
            price: nok(12900),
            vatRate: 2500,
            period: 'P1M',
            trial: 'P14D',
          }),
        ]);
    });

    it('adds a subscription without a trial', () => {
      const { trial: _trial, ...noTrial } = addPlan;
      const state = product.given([]).when(noTrial).thenState();
      expect(state).to.include({ status: 'active', kind: 'subscription', sku: 'premium-monthly' });
    });

    it('accepts zero-decimal and three-decimal currencies in minor units', () => {
      product
        .given([])
        .when({ ...addRental, price: { amount: 500, currency: 'JPY' } })
        .thenState();
      product
        .given([])
        .when({ ...addRental, price: { amount: 1250, currency: 'KWD' } })
        .thenState();
    });

    it('refuses a product that already exists', () => {
      product.given([rentalAdded]).when(addRental).thenThrows('product_exists', 'conflict');
    });

    it('refuses a malformed SKU', () => {
      for (const sku of ['', 'has space', 'x'.repeat(65), 'æøå', 'a/b']) {
        product
          .given([])
          .when({ ...addRental, sku })
          .thenThrows('invalid_sku', 'invalid');
      }
    });

    it('refuses fractional, negative and unknown-currency prices', () => {
      product
        .given([])
        .when({ ...addRental, price: nok(49.5) })
        .thenThrows('invalid_price');
      product
        .given([])
        .when({ ...addRental, price: nok(-1) })
        .thenThrows('invalid_price');
      const error = product
        .given([])
        .when({ ...addRental, price: { amount: 100, currency: 'XXX' } })
        .thenThrows('invalid_price');
      expect(error.field).to.equal('price.currency');
    });

    it('refuses a VAT rate that is not whole basis points within 0..10000', () => {
      for (const vatRate of [-1, 10001, 25.5]) {
        product
          .given([])
          .when({ ...addRental, vatRate })
          .thenThrows('invalid_vat_rate');
      }
    });

    it('refuses an invalid validity, period or trial', () => {
      product
        .given([])
        .when({ ...addRental, timeSpec: '48h' })
        .thenThrows('invalid_time_spec');
      product
        .given([])
        .when({ ...addRental, timeSpec: 'P0D' })
        .thenThrows('invalid_time_spec');
      product
        .given([])
        .when({ ...addPlan, period: 'monthly' })
        .thenThrows('invalid_period');
      product
        .given([])
        .when({ ...addPlan, trial: 'PT' })
        .thenThrows('invalid_trial');
    });

    it('refuses an empty name', () => {
      product
        .given([])
        .when({ ...addRental, name: ' ' })
        .thenThrows('invalid_name');
    });
  });

  describe('ChangeProductPrice', () => {
    it('changes the price and keeps the VAT rate when none is given', () => {
      product
        .given([rentalAdded])
        .when({ type: 'ChangeProductPrice', price: nok(5900) })
        .then([
          ProductPriceChanged({
            productId,
            price: nok(5900),
            vatRate: 2500,
            previousPrice: nok(4900),
            previousVatRate: 2500,
          }),
        ]);
    });

    it('changes the VAT rate alone, keeping the price', () => {
      product
        .given([rentalAdded])
        .when({ type: 'ChangeProductPrice', vatRate: 1500 })
        .then([
          ProductPriceChanged({
            productId,
            price: nok(4900),
            vatRate: 1500,
            previousPrice: nok(4900),
            previousVatRate: 2500,
          }),
        ]);
    });

    it('reprices from the latest price', () => {
      const first = ProductPriceChanged({
        productId,
        price: nok(5900),
        vatRate: 2500,
        previousPrice: nok(4900),
        previousVatRate: 2500,
      });
      product
        .given([rentalAdded, first])
        .when({ type: 'ChangeProductPrice', price: nok(3900) })
        .then([
          ProductPriceChanged({
            productId,
            price: nok(3900),
            vatRate: 2500,
            previousPrice: nok(5900),
            previousVatRate: 2500,
          }),
        ]);
    });

    it('changes nothing when price and VAT are unchanged', () => {
      product
        .given([rentalAdded])
        .when({ type: 'ChangeProductPrice', price: nok(4900), vatRate: 2500 })
        .then([]);
    });

    it('refuses a change that gives neither price nor VAT rate', () => {
      product
        .given([rentalAdded])
        .when({ type: 'ChangeProductPrice' })
        .thenThrows('nothing_to_change', 'invalid');
    });

    it('refuses to change the currency', () => {
      const error = product
        .given([rentalAdded])
        .when({ type: 'ChangeProductPrice', price: { amount: 500, currency: 'SEK' } })
        .thenThrows('currency_change_not_allowed', 'invalid');
      expect(error.field).to.equal('price.currency');
    });

    it('refuses an invalid price', () => {
      product
        .given([rentalAdded])
        .when({ type: 'ChangeProductPrice', price: nok(-100) })
        .thenThrows('invalid_price');
    });

    it('refuses to reprice a retired product', () => {
      product
        .given([rentalAdded, retired])
        .when({ type: 'ChangeProductPrice', price: nok(100) })
        .thenThrows('product_retired', 'conflict');
    });

    it('refuses to reprice an unknown product', () => {
      product
        .given([])
        .when({ type: 'ChangeProductPrice', price: nok(100) })
        .thenThrows('product_not_found', 'not_found');
    });
  });

  describe('RetireProduct', () => {
    it('retires an active product, with an optional reason', () => {
      product.given([rentalAdded]).when({ type: 'RetireProduct' }).then([retired]);
      product
        .given([rentalAdded])
        .when({ type: 'RetireProduct', reason: 'Licence ended' })
        .then([ProductRetired({ productId, reason: 'Licence ended' })]);
    });

    it('leaves the product retired with its SKU and price', () => {
      expect(product.given([rentalAdded]).when({ type: 'RetireProduct' }).thenState()).to.include({
        status: 'retired',
        sku: 'film-rental-48h',
      });
    });

    it('changes nothing when retired again', () => {
      product.given([rentalAdded, retired]).when({ type: 'RetireProduct' }).then([]);
    });

    it('refuses to retire an unknown product', () => {
      product.given([]).when({ type: 'RetireProduct' }).thenThrows('product_not_found', 'not_found');
    });
  });
});
