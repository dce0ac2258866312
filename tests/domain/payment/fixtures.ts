import type { CreateTransaction, PaymentCommand } from '../../../domain/payment/commands.js';
import { transactionDecider } from '../../../domain/payment/decider.js';
import {
  PaymentActionRequired,
  PaymentAttemptStarted,
  PaymentAuthorized,
  PaymentCaptured,
  type PaymentEvent,
  PaymentFailed,
  PaymentOutcomeUnknown,
  RefundIssued,
  TransactionCreated,
} from '../../../domain/payment/events.js';
import type { PaymentMethodRef } from '../../../domain/payment/values.js';
import { deciderSpec } from '../../support/decider-spec.js';

/** Shared events and commands of the PaymentTransaction decider specs. */
export const NOW = new Date('2026-01-01T12:00:00.000Z');
export const transaction = deciderSpec(transactionDecider, { now: NOW });
export const later = (iso: string) => deciderSpec(transactionDecider, { now: new Date(iso) });

export const transactionId = '0190f3c2-7a1b-7c3d-8e4f-000000000001';
export const providerId = '0190f3c2-7a1b-7c3d-8e4f-0000000000a1';
export const otherProvider = '0190f3c2-7a1b-7c3d-8e4f-0000000000b2';
export const sub = '0190f3c2-7a1b-7c3d-8e4f-00000000005b';
export const nok = (amount: number) => ({ amount, currency: 'NOK' });
export const card: PaymentMethodRef = { kind: 'card', reference: 'tok_visa_1' };
export const carrier: PaymentMethodRef = { kind: 'carrier', reference: '+47*****678' };

export const create: CreateTransaction = {
  type: 'CreateTransaction',
  transactionId,
  providerId,
  orderId: 'order-1',
  sub,
  description: 'Two films',
  amount: nok(9800),
  vatRate: 2500,
  products: [
    { sku: 'rental-48h', name: 'Film one', price: nok(4900), vatRate: 2500, timeSpec: 'PT48H' },
    { name: 'Film two', price: nok(4900), vatRate: 2500 },
  ],
  successRedirect: 'https://shop.example/ok',
  cancelRedirect: 'http://localhost:3000/cancel',
  createdBy: 'client-a',
  expiresAt: '2026-01-01T13:00:00.000Z',
};

export const createdEvent = TransactionCreated({
  transactionId,
  providerId,
  orderId: 'order-1',
  sub,
  description: 'Two films',
  amount: nok(9800),
  vatRate: 2500,
  products: [
    { sku: 'rental-48h', name: 'Film one', price: nok(4900), vatRate: 2500, timeSpec: 'PT48H' },
    { name: 'Film two', price: nok(4900), vatRate: 2500 },
  ],
  successRedirect: 'https://shop.example/ok',
  cancelRedirect: 'http://localhost:3000/cancel',
  createdBy: 'client-a',
  expiresAt: '2026-01-01T13:00:00.000Z',
});

export const t = { transactionId };
export const started = (attemptId = 'a1', method = card) =>
  PaymentAttemptStarted({ ...t, attemptId, method });
export const actionRequired = (attemptId = 'a1') =>
  PaymentActionRequired({ ...t, attemptId, action: 'challenge' });
export const authorizedEvent = (attemptId = 'a1') =>
  PaymentAuthorized({ ...t, attemptId, amount: nok(9800) });
export const capturedEvent = (attemptId = 'a1') => PaymentCaptured({ ...t, attemptId, amount: nok(9800) });
export const declined = (attemptId = 'a1') =>
  PaymentFailed({ ...t, attemptId, amount: nok(9800), code: 'card_declined', message: 'Declined' });
export const unknownEvent = (attemptId = 'a1') =>
  PaymentOutcomeUnknown({ ...t, attemptId, reason: 'timeout' });
export const refund = (refundId: string, amount: number) =>
  RefundIssued({
    ...t,
    refundId,
    amount: nok(amount),
    reason: 'customer asked',
    issuer: { kind: 'provider', id: 'client-a' },
  });

export const paid: PaymentEvent[] = [createdEvent, started(), authorizedEvent(), capturedEvent()];

export const start = (attemptId = 'a1', method = card): PaymentCommand => ({
  type: 'StartPaymentAttempt',
  providerId,
  attemptId,
  method,
});
export const capture = (attemptId = 'a1'): PaymentCommand => ({
  type: 'CapturePayment',
  providerId,
  attemptId,
});
export const authorize = (attemptId = 'a1'): PaymentCommand => ({
  type: 'AuthorizePayment',
  providerId,
  attemptId,
});
export const fail = (attemptId = 'a1'): PaymentCommand => ({
  type: 'FailPayment',
  providerId,
  attemptId,
  code: 'card_declined',
  message: 'Declined',
});
export const markUnknown = (attemptId = 'a1'): PaymentCommand => ({
  type: 'MarkPaymentOutcomeUnknown',
  providerId,
  attemptId,
  reason: 'timeout',
});
export const cancel = (by: 'user' | 'provider' = 'user'): PaymentCommand => ({
  type: 'CancelTransaction',
  providerId,
  by,
});
export const expire: PaymentCommand = { type: 'ExpireTransaction', providerId };
export const refundCmd = (refundId: string, amount: number, currency = 'NOK'): PaymentCommand => ({
  type: 'IssueRefund',
  providerId,
  refundId,
  amount: { amount, currency },
  reason: 'customer asked',
  issuer: { kind: 'provider', id: 'client-a' },
});
