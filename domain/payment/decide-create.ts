import { z } from 'zod';
import { DomainError } from '../kernel/decider.js';
import { addMoney, MoneySchema, type Money, VatRateSchema } from '../shared/money.js';
import { ensureValid } from '../shared/validate.js';
import type { CreateTransaction } from './commands.js';
import { type PaymentEvent, TransactionCreated } from './events.js';
import type { TransactionState } from './state.js';
import {
  DescriptionSchema,
  InstantSchema,
  OrderIdSchema,
  ProductLinesSchema,
  RedirectUrlSchema,
  TransactionIdSchema,
} from './values.js';

const Uuid = z.uuid();
const CreatedBy = z.string().min(1).max(200);
const InstantInput = z.iso.datetime({ offset: true, message: 'must be an ISO 8601 instant' });

/** A positive amount of a supported currency, refused with the field's path otherwise. */
export function positiveAmount(value: Money, field: string): Money {
  const amount = ensureValid(MoneySchema, value, field, 'invalid_amount');
  if (amount.amount <= 0) {
    throw new DomainError(
      'invalid',
      'invalid_amount',
      `${field}.amount: must be greater than zero.`,
      `${field}.amount`,
    );
  }
  return amount;
}

/**
 * The product lines, checked against the amount: same currency throughout, and prices adding up
 * to the amount exactly (both VAT-inclusive, in minor units), so a receipt always adds up.
 */
function productLines(command: CreateTransaction, amount: Money) {
  if (command.products === undefined) return [];
  const products = ensureValid(ProductLinesSchema, command.products, 'products', 'invalid_products');
  let sum: Money = { amount: 0, currency: amount.currency };
  for (const [i, p] of products.entries()) {
    if (p.price.currency !== amount.currency) {
      throw new DomainError(
        'invalid',
        'currency_mismatch',
        `products.${i}.price.currency: must be ${amount.currency}, the transaction's currency.`,
        `products.${i}.price.currency`,
      );
    }
    try {
      sum = addMoney(sum, p.price);
    } catch {
      throw new DomainError(
        'invalid',
        'invalid_products',
        'products: the prices add up to too much.',
        'products',
      );
    }
  }
  if (sum.amount !== amount.amount) {
    throw new DomainError(
      'invalid',
      'products_sum_mismatch',
      `products: the prices add up to ${sum.amount}, but the amount is ${amount.amount} (minor units).`,
      'products',
    );
  }
  return products;
}

function expiry(command: CreateTransaction, now: Date): string | null {
  if (command.expiresAt === undefined) return null;
  const text = ensureValid(InstantInput, command.expiresAt, 'expiresAt', 'invalid_expiry');
  const at = new Date(text);
  if (at.getTime() <= now.getTime()) {
    throw new DomainError('invalid', 'invalid_expiry', 'expiresAt: must be in the future.', 'expiresAt');
  }
  return InstantSchema.parse(at.toISOString());
}

/** Creates a transaction; every field is checked here since commands also come from processes. */
export function decideCreate(command: CreateTransaction, state: TransactionState, now: Date): PaymentEvent[] {
  if (state.status !== 'none') {
    throw new DomainError(
      'conflict',
      'transaction_exists',
      'A transaction with this id already exists.',
      'transactionId',
    );
  }
  const transactionId = ensureValid(
    TransactionIdSchema,
    command.transactionId,
    'transactionId',
    'invalid_transaction_id',
  );
  ensureValid(Uuid, command.providerId, 'providerId', 'invalid_provider_id');
  const orderId = ensureValid(OrderIdSchema, command.orderId, 'orderId', 'invalid_order_id');
  ensureValid(Uuid, command.sub, 'sub', 'invalid_sub');
  const description = ensureValid(
    DescriptionSchema,
    command.description,
    'description',
    'invalid_description',
  );
  const amount = positiveAmount(command.amount, 'amount');
  const vatRate = ensureValid(VatRateSchema, command.vatRate, 'vatRate', 'invalid_vat_rate');
  const products = productLines(command, amount);
  const successRedirect = ensureValid(
    RedirectUrlSchema,
    command.successRedirect,
    'successRedirect',
    'invalid_redirect',
  );
  const cancelRedirect = ensureValid(
    RedirectUrlSchema,
    command.cancelRedirect,
    'cancelRedirect',
    'invalid_redirect',
  );
  const createdBy = ensureValid(CreatedBy, command.createdBy, 'createdBy', 'invalid_created_by');
  return [
    TransactionCreated({
      transactionId,
      providerId: command.providerId,
      orderId,
      sub: command.sub,
      description,
      amount,
      vatRate,
      products,
      successRedirect,
      cancelRedirect,
      createdBy,
      expiresAt: expiry(command, now),
    }),
  ];
}
