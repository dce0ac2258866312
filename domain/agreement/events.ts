import { z } from 'zod';
import { defineEvent, type EventDefinition, type EventOf } from '../kernel/event.js';
import { MoneySchema } from '../shared/money.js';
import {
  AgreementActorSchema,
  AgreementExpiryReasonSchema,
  AgreementRedirectSchema,
  AgreementTermsSchema,
  InstantSchema,
  MethodLabelSchema,
  StopReasonSchema,
} from './values.js';

/*
 * Events of the ChargingAgreement aggregate (stream `agreement-<id>`). The agreement records what
 * the user agreed to and every charge's outcome per period; the periods themselves (and the rights
 * they generate) live in the Subscription aggregate it drives, and the money in one
 * PaymentTransaction per period.
 */

const agreementId = z.uuid();
const period = z.number().int().min(1);

/** A provider asked a user to agree to recurring charges for a subscription plan. */
export const AgreementCreated = defineEvent(
  'AgreementCreated',
  z.object({
    agreementId,
    providerId: z.uuid(),
    /** The only user who may confirm it, when the provider named one; null: whoever signs in. */
    sub: z.uuid().nullable(),
    createdBy: z.string().min(1).max(200),
    terms: AgreementTermsSchema,
    successRedirect: AgreementRedirectSchema,
    cancelRedirect: AgreementRedirectSchema,
    createdAt: InstantSchema,
    /**
     * From this instant on the agreement can no longer be confirmed (createdAt + the pending
     * lifetime), and the renewal process cancels it if it is still pending. Absent in agreements
     * made before confirmation deadlines existed: those never expire.
     */
    confirmBy: InstantSchema.optional(),
  }),
);
export type AgreementCreated = EventOf<typeof AgreementCreated>;

/**
 * The user agreed, choosing a saved method that renewals charge off-session. With a trial the
 * subscription starts at once; with a first payment it starts when that payment is captured.
 */
export const AgreementConfirmed = defineEvent(
  'AgreementConfirmed',
  z.object({
    agreementId,
    sub: z.uuid(),
    methodId: z.uuid(),
    methodLabel: MethodLabelSchema,
    subscriptionId: z.uuid(),
    at: InstantSchema,
  }),
);
export type AgreementConfirmed = EventOf<typeof AgreementConfirmed>;

/** The first payment, made while the user was on the page, failed: the agreement awaits another try. */
export const AgreementFirstPaymentFailed = defineEvent(
  'AgreementFirstPaymentFailed',
  z.object({ agreementId, transactionId: z.uuid(), code: z.string().min(1).max(64), at: InstantSchema }),
);
export type AgreementFirstPaymentFailed = EventOf<typeof AgreementFirstPaymentFailed>;

/**
 * An agreement that was never confirmed ends: withdrawn by the user it names or by the provider, or
 * canceled by the renewal process (`by.kind = 'system'`) because its confirmation deadline passed,
 * in which case `expired` is true. `expired` is absent (never false) for every other cancel, so
 * events written before deadlines existed read the same.
 */
export const AgreementCanceled = defineEvent(
  'AgreementCanceled',
  z.object({
    agreementId,
    by: AgreementActorSchema,
    at: InstantSchema,
    expired: z.literal(true).optional(),
  }),
);
export type AgreementCanceled = EventOf<typeof AgreementCanceled>;

/** The charge for subscription period `period` was captured. */
export const AgreementCharged = defineEvent(
  'AgreementCharged',
  z.object({ agreementId, period, transactionId: z.uuid(), amount: MoneySchema, at: InstantSchema }),
);
export type AgreementCharged = EventOf<typeof AgreementCharged>;

/**
 * Try `attempt` (0 = the first) to charge period `period` failed. `nextRetryAt` is the dunning
 * schedule's next try, or null when none is left (AgreementExpired follows in the same append).
 */
export const AgreementChargeFailed = defineEvent(
  'AgreementChargeFailed',
  z.object({
    agreementId,
    period,
    attempt: z.number().int().min(0),
    transactionId: z.uuid(),
    code: z.string().min(1).max(64),
    at: InstantSchema,
    nextRetryAt: InstantSchema.nullable(),
  }),
);
export type AgreementChargeFailed = EventOf<typeof AgreementChargeFailed>;

/** No more charges: the subscription runs to the end of the last paid period and ends there. */
export const AgreementStopped = defineEvent(
  'AgreementStopped',
  z.object({ agreementId, by: AgreementActorSchema, at: InstantSchema, reason: StopReasonSchema.optional() }),
);
export type AgreementStopped = EventOf<typeof AgreementStopped>;

/** Final: the dunning schedule ran out (`payment_failed`) or every agreed period was paid (`completed`). */
export const AgreementExpired = defineEvent(
  'AgreementExpired',
  z.object({ agreementId, at: InstantSchema, reason: AgreementExpiryReasonSchema }),
);
export type AgreementExpired = EventOf<typeof AgreementExpired>;

export type AgreementEvent =
  | AgreementCreated
  | AgreementConfirmed
  | AgreementFirstPaymentFailed
  | AgreementCanceled
  | AgreementCharged
  | AgreementChargeFailed
  | AgreementStopped
  | AgreementExpired;

/** Every agreement event definition, for the application's EventRegistry (ALL_EVENTS). */
export const agreementEvents: readonly EventDefinition[] = [
  AgreementCreated,
  AgreementConfirmed,
  AgreementFirstPaymentFailed,
  AgreementCanceled,
  AgreementCharged,
  AgreementChargeFailed,
  AgreementStopped,
  AgreementExpired,
];

export const AGREEMENT_EVENT_TYPES = agreementEvents.map((d) => d.type) as readonly AgreementEvent['type'][];
