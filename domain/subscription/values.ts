import { z } from 'zod';
import { SkuSchema } from '../catalog/values.js';
import { addDuration, type Duration, DurationSchema, parseDuration } from '../shared/iso8601.js';

/** The stream of one subscription. */
export const subscriptionStreamId = (subscriptionId: string) => `subscription-${subscriptionId}`;

/** An ISO 8601 instant, always written in UTC with milliseconds (`toISOString`), so text order is time order. */
export const InstantSchema = z.iso.datetime();

/**
 * The plan a subscription follows: a catalog product of kind `subscription`, copied into the log
 * when chosen so the subscription's history stays readable whatever later happens to the catalog.
 */
export const PlanSchema = z.object({
  productId: z.uuid(),
  sku: SkuSchema,
  /** Length of one period, an ISO 8601 duration such as `P1M`. */
  period: DurationSchema,
  /** Free trial before the first paid period; only used when the subscription starts. */
  trial: DurationSchema.optional(),
});
export type Plan = z.infer<typeof PlanSchema>;

/** The state a period's right is issued in: a suspended subscription issues suspended rights. */
export const RightStateSchema = z.enum(['active', 'suspended']);
export type RightState = z.infer<typeof RightStateSchema>;

/**
 * How periods follow one another: `automatic` at each period end, or `charged` by a charging
 * agreement once each period is paid.
 */
export const RenewalSchema = z.enum(['automatic', 'charged']);
export type Renewal = z.infer<typeof RenewalSchema>;

/**
 * Why a subscription ended: cancellation took effect at a period end, it was canceled at once, or
 * its charging agreement could not collect a renewal.
 */
export const ExpiryReasonSchema = z.enum(['period_end', 'canceled', 'payment_failed']);
export type ExpiryReason = z.infer<typeof ExpiryReasonSchema>;

export const SubscriptionReasonSchema = z.string().trim().min(1).max(500);

/**
 * What readers see. `past_due` (a charged subscription whose next period is not paid yet) wins over
 * `suspended`, which wins over `canceled_at_period_end` (a suspended subscription can also have its
 * cancellation scheduled: both flags are kept), and `expired` is final.
 */
export type SubscriptionStatus =
  'trialing' | 'active' | 'past_due' | 'suspended' | 'canceled_at_period_end' | 'expired';

/** Normalises an instant to the canonical text form. */
export function instant(at: Date | string): string {
  return new Date(at).toISOString();
}

function parse(text: string): Duration {
  const d = parseDuration(text);
  if (!d) throw new Error(`Not an ISO 8601 duration: ${text}`);
  return d;
}

/** `d` taken `k` times, component by component. */
function scale(d: Duration, k: number): Duration {
  return {
    years: d.years * k,
    months: d.months * k,
    weeks: d.weeks * k,
    days: d.days * k,
    hours: d.hours * k,
    minutes: d.minutes * k,
    seconds: d.seconds * k,
  };
}

/**
 * End of the `k`-th period (k ≥ 1) counted from `anchor`. Every boundary is computed from the anchor
 * (anchor + k × period) rather than from the previous boundary, so month-end clamping does not
 * drift: a monthly plan anchored on 31 January ends its periods on 28 February, 31 March, 30 April.
 */
export function periodBoundary(anchor: string, period: string, k: number): string {
  return addDuration(new Date(anchor), scale(parse(period), k)).toISOString();
}

/** `from` plus one duration (a trial). */
export function afterDuration(from: string, duration: string): string {
  return addDuration(new Date(from), parse(duration)).toISOString();
}
