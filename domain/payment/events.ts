import { z } from 'zod';
import { defineEvent, type EventDefinition, type EventOf } from '../kernel/event.js';
import { VatRateSchema } from '../shared/money.js';
import {
  ActionKindSchema,
  CancelledBySchema,
  DeclineCodeSchema,
  DeclineMessageSchema,
  DescriptionSchema,
  InstantSchema,
  MAX_URL_LENGTH,
  OrderIdSchema,
  PaymentMethodRefSchema,
  PositiveMoneySchema,
  ProductLineSchema,
  RedirectUrlSchema,
  ReferenceIdSchema,
  RefundIssuerSchema,
  RefundReasonSchema,
  TransactionIdSchema,
} from './values.js';

/*
 * Events of the PaymentTransaction aggregate (stream `payment-<transactionId>`). Every movement of
 * money (captured, refunded, failed) is an event carrying its amount in minor units, so receipts and
 * the ledger are folds of this log. No event ever holds a card number: methods are named by the
 * provider's token or a masked phone number.
 */

const transactionId = TransactionIdSchema;
const attemptId = ReferenceIdSchema;
/** Set when the outcome came from asking the provider after an unknown outcome. */
const reconciled = z.literal(true).optional();

/** A provider asked a user to pay. The amount is VAT-inclusive; product prices add up to it. */
export const TransactionCreated = defineEvent(
  'TransactionCreated',
  z.object({
    transactionId,
    providerId: z.uuid(),
    orderId: OrderIdSchema,
    sub: z.uuid(),
    description: DescriptionSchema,
    amount: PositiveMoneySchema,
    vatRate: VatRateSchema,
    products: z.array(ProductLineSchema),
    successRedirect: RedirectUrlSchema,
    cancelRedirect: RedirectUrlSchema,
    /** The client that created it. */
    createdBy: z.string().min(1).max(200),
    expiresAt: InstantSchema.nullable(),
  }),
);
export type TransactionCreated = EventOf<typeof TransactionCreated>;

/** The payer chose a method and an attempt went to the provider. */
export const PaymentAttemptStarted = defineEvent(
  'PaymentAttemptStarted',
  z.object({ transactionId, attemptId, method: PaymentMethodRefSchema }),
);
export type PaymentAttemptStarted = EventOf<typeof PaymentAttemptStarted>;

/** The provider needs the payer to act (e.g. a 3-D Secure challenge) before it can authorize. */
export const PaymentActionRequired = defineEvent(
  'PaymentActionRequired',
  z.object({
    transactionId,
    attemptId,
    action: ActionKindSchema,
    url: z.httpUrl().max(MAX_URL_LENGTH).optional(),
  }),
);
export type PaymentActionRequired = EventOf<typeof PaymentActionRequired>;

/** The provider holds the funds for this attempt. */
export const PaymentAuthorized = defineEvent(
  'PaymentAuthorized',
  z.object({
    transactionId,
    attemptId,
    amount: PositiveMoneySchema,
    providerReference: ReferenceIdSchema.optional(),
    reconciled,
  }),
);
export type PaymentAuthorized = EventOf<typeof PaymentAuthorized>;

/** Money was taken: the transaction's full amount. */
export const PaymentCaptured = defineEvent(
  'PaymentCaptured',
  z.object({ transactionId, attemptId, amount: PositiveMoneySchema, reconciled }),
);
export type PaymentCaptured = EventOf<typeof PaymentCaptured>;

/**
 * The attempt was declined or failed; `amount` is what was asked for (nothing moved). The
 * transaction stays payable with another attempt.
 */
export const PaymentFailed = defineEvent(
  'PaymentFailed',
  z.object({
    transactionId,
    attemptId,
    amount: PositiveMoneySchema,
    code: DeclineCodeSchema,
    message: DeclineMessageSchema,
    reconciled,
  }),
);
export type PaymentFailed = EventOf<typeof PaymentFailed>;

/** A provider call gave no answer (timeout): the attempt may or may not have taken money. */
export const PaymentOutcomeUnknown = defineEvent(
  'PaymentOutcomeUnknown',
  z.object({ transactionId, attemptId, reason: DeclineMessageSchema }),
);
export type PaymentOutcomeUnknown = EventOf<typeof PaymentOutcomeUnknown>;

/**
 * The payer or the provider called the purchase off before capture. `voidedAttemptId` names an
 * authorization (or pending attempt) whose hold the provider must release.
 */
export const TransactionCanceled = defineEvent(
  'TransactionCanceled',
  z.object({
    transactionId,
    by: CancelledBySchema,
    reason: RefundReasonSchema.optional(),
    voidedAttemptId: attemptId.optional(),
  }),
);
export type TransactionCanceled = EventOf<typeof TransactionCanceled>;

/** The transaction was never paid before its expiry. */
export const TransactionExpired = defineEvent(
  'TransactionExpired',
  z.object({ transactionId, abandonedAttemptId: attemptId.optional() }),
);
export type TransactionExpired = EventOf<typeof TransactionExpired>;

/** Money went back to the payer: part or all of what was captured. */
export const RefundIssued = defineEvent(
  'RefundIssued',
  z.object({
    transactionId,
    refundId: ReferenceIdSchema,
    amount: PositiveMoneySchema,
    reason: RefundReasonSchema,
    issuer: RefundIssuerSchema,
  }),
);
export type RefundIssued = EventOf<typeof RefundIssued>;

export type PaymentEvent =
  | TransactionCreated
  | PaymentAttemptStarted
  | PaymentActionRequired
  | PaymentAuthorized
  | PaymentCaptured
  | PaymentFailed
  | PaymentOutcomeUnknown
  | TransactionCanceled
  | TransactionExpired
  | RefundIssued;

export type PaymentEventType = PaymentEvent['type'];

/** Every payment transaction event definition, for the application's EventRegistry. */
export const paymentEvents: readonly EventDefinition[] = [
  TransactionCreated,
  PaymentAttemptStarted,
  PaymentActionRequired,
  PaymentAuthorized,
  PaymentCaptured,
  PaymentFailed,
  PaymentOutcomeUnknown,
  TransactionCanceled,
  TransactionExpired,
  RefundIssued,
];
