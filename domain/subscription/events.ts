import { z } from 'zod';
import { SkuSchema } from '../catalog/values.js';
import { defineEvent, type EventDefinition, type EventOf } from '../kernel/event.js';
import {
  ExpiryReasonSchema,
  InstantSchema,
  PlanSchema,
  RenewalSchema,
  RightStateSchema,
  SubscriptionReasonSchema,
} from './values.js';

/*
 * Events of the Subscription aggregate (stream `subscription-<id>`): a right generator. Every
 * period is recorded as it starts, with the interval and state of the right it generates; the right
 * itself lives in the Right aggregate and is linked back by SubscriptionRightIssued.
 */

const subscriptionId = z.uuid();
const period = z.number().int().min(1);

/** A user subscribed to a provider's plan. Period 1 (the trial, if the plan has one) follows at once. */
export const SubscriptionStarted = defineEvent(
  'SubscriptionStarted',
  z.object({
    subscriptionId,
    sub: z.uuid(),
    providerId: z.uuid(),
    plan: PlanSchema,
    startedAt: InstantSchema,
    /** Absent in subscriptions from before charging agreements: `automatic`. */
    renewal: RenewalSchema.optional(),
    agreementId: z.uuid().optional(),
  }),
);
export type SubscriptionStarted = EventOf<typeof SubscriptionStarted>;

/**
 * Period `period` began: the subscription generates one right for [from, until), for the plan's
 * SKU, in `rightState` ('suspended' while the subscription is suspended). `trial` marks the free trial.
 */
export const SubscriptionPeriodStarted = defineEvent(
  'SubscriptionPeriodStarted',
  z.object({
    subscriptionId,
    period,
    from: InstantSchema,
    until: InstantSchema,
    productId: z.uuid(),
    sku: SkuSchema,
    trial: z.boolean(),
    rightState: RightStateSchema,
  }),
);
export type SubscriptionPeriodStarted = EventOf<typeof SubscriptionPeriodStarted>;

/** The right for `period` exists in the Right aggregate (recorded after the grant succeeded). */
export const SubscriptionRightIssued = defineEvent(
  'SubscriptionRightIssued',
  z.object({ subscriptionId, period, rightId: z.uuid() }),
);
export type SubscriptionRightIssued = EventOf<typeof SubscriptionRightIssued>;

/** The free trial ended at `at`; the subscription is a paying one from the next period. */
export const SubscriptionTrialEnded = defineEvent(
  'SubscriptionTrialEnded',
  z.object({ subscriptionId, at: InstantSchema }),
);
export type SubscriptionTrialEnded = EventOf<typeof SubscriptionTrialEnded>;

/** Periods starting from now issue suspended rights. Rights already issued are not touched. */
export const SubscriptionSuspended = defineEvent(
  'SubscriptionSuspended',
  z.object({ subscriptionId, at: InstantSchema, reason: SubscriptionReasonSchema.optional() }),
);
export type SubscriptionSuspended = EventOf<typeof SubscriptionSuspended>;

/** Periods starting from now issue active rights; rights issued while suspended stay suspended. */
export const SubscriptionReactivated = defineEvent(
  'SubscriptionReactivated',
  z.object({ subscriptionId, at: InstantSchema }),
);
export type SubscriptionReactivated = EventOf<typeof SubscriptionReactivated>;

/** The subscription will end at `effectiveAt`, the end of the current period, unless resumed before. */
export const SubscriptionCancellationScheduled = defineEvent(
  'SubscriptionCancellationScheduled',
  z.object({ subscriptionId, effectiveAt: InstantSchema, reason: SubscriptionReasonSchema.optional() }),
);
export type SubscriptionCancellationScheduled = EventOf<typeof SubscriptionCancellationScheduled>;

/** A scheduled cancellation was withdrawn before it took effect; periods go on as before. */
export const SubscriptionResumed = defineEvent('SubscriptionResumed', z.object({ subscriptionId }));
export type SubscriptionResumed = EventOf<typeof SubscriptionResumed>;

/**
 * Canceled with immediate effect (always followed by SubscriptionExpired). The current period's
 * right is left as it was: whether to terminate it is the caller's decision, taken on the right.
 */
export const SubscriptionCanceled = defineEvent(
  'SubscriptionCanceled',
  z.object({ subscriptionId, at: InstantSchema, reason: SubscriptionReasonSchema.optional() }),
);
export type SubscriptionCanceled = EventOf<typeof SubscriptionCanceled>;

/** From period `fromPeriod` (starting at `effectiveAt`) the subscription follows `plan`. */
export const SubscriptionPlanChangeScheduled = defineEvent(
  'SubscriptionPlanChangeScheduled',
  z.object({ subscriptionId, plan: PlanSchema, fromPeriod: period, effectiveAt: InstantSchema }),
);
export type SubscriptionPlanChangeScheduled = EventOf<typeof SubscriptionPlanChangeScheduled>;

/** The scheduled plan change was withdrawn (the user chose the current plan again). */
export const SubscriptionPlanChangeCanceled = defineEvent(
  'SubscriptionPlanChangeCanceled',
  z.object({ subscriptionId }),
);
export type SubscriptionPlanChangeCanceled = EventOf<typeof SubscriptionPlanChangeCanceled>;

/** A scheduled plan change took effect at `at`; the period starting then follows `plan`. */
export const SubscriptionPlanChanged = defineEvent(
  'SubscriptionPlanChanged',
  z.object({ subscriptionId, plan: PlanSchema, previousProductId: z.uuid(), at: InstantSchema }),
);
export type SubscriptionPlanChanged = EventOf<typeof SubscriptionPlanChanged>;

/**
 * A charged subscription's period `period` ended without the next one being paid: no right is
 * issued until it is (the next SubscriptionPeriodStarted clears it) or the subscription expires.
 */
export const SubscriptionPastDue = defineEvent(
  'SubscriptionPastDue',
  z.object({ subscriptionId, period, at: InstantSchema }),
);
export type SubscriptionPastDue = EventOf<typeof SubscriptionPastDue>;

/** Final: the subscription generates no more rights and cannot be reactivated or resumed. */
export const SubscriptionExpired = defineEvent(
  'SubscriptionExpired',
  z.object({ subscriptionId, at: InstantSchema, reason: ExpiryReasonSchema }),
);
export type SubscriptionExpired = EventOf<typeof SubscriptionExpired>;

export type SubscriptionEvent =
  | SubscriptionStarted
  | SubscriptionPeriodStarted
  | SubscriptionRightIssued
  | SubscriptionTrialEnded
  | SubscriptionSuspended
  | SubscriptionReactivated
  | SubscriptionCancellationScheduled
  | SubscriptionResumed
  | SubscriptionCanceled
  | SubscriptionPlanChangeScheduled
  | SubscriptionPlanChangeCanceled
  | SubscriptionPlanChanged
  | SubscriptionPastDue
  | SubscriptionExpired;

/** Every subscription event definition, for the application's EventRegistry. */
export const subscriptionEvents: readonly EventDefinition[] = [
  SubscriptionStarted,
  SubscriptionPeriodStarted,
  SubscriptionRightIssued,
  SubscriptionTrialEnded,
  SubscriptionSuspended,
  SubscriptionReactivated,
  SubscriptionCancellationScheduled,
  SubscriptionResumed,
  SubscriptionCanceled,
  SubscriptionPlanChangeScheduled,
  SubscriptionPlanChangeCanceled,
  SubscriptionPlanChanged,
  SubscriptionPastDue,
  SubscriptionExpired,
];

/** The event types, for projections and process managers that follow subscriptions. */
export const SUBSCRIPTION_EVENT_TYPES = subscriptionEvents.map(
  (d) => d.type,
) as readonly SubscriptionEvent['type'][];
