import type { RecordedEvent } from '../domain/kernel/event.js';
import { SUBSCRIPTION_EVENT_TYPES, type SubscriptionEvent } from '../domain/subscription/events.js';
import { statusOf } from '../domain/subscription/state.js';
import type { Plan, Renewal, SubscriptionStatus } from '../domain/subscription/values.js';
import { defineProjection, type ProjectionTx } from './projection.js';

/** A started period whose right has not been recorded as issued yet. */
export interface PendingRight {
  readonly period: number;
  readonly from: string;
}

/** Read model of one subscription (collection `subscriptions`, id = subscriptionId). */
export type SubscriptionDoc = {
  readonly id: string;
  readonly sub: string;
  readonly providerId: string;
  readonly status: SubscriptionStatus;
  readonly plan: Plan;
  /** `charged`: a charging agreement (agreementId) renews each period once it is paid. */
  readonly renewal: Renewal;
  readonly agreementId: string | null;
  /** A charged subscription whose period ended before the next was paid. */
  readonly pastDue: boolean;
  /** The plan that takes over at the next period, if a change is scheduled. */
  readonly scheduledPlan: Plan | null;
  readonly currentPeriod: number;
  readonly periodStart: string;
  readonly periodEnd: string;
  /** End of the free trial, while or after there was one; null for a plan without trial. */
  readonly trialEnd: string | null;
  readonly inTrial: boolean;
  readonly suspended: boolean;
  readonly cancelAtPeriodEnd: boolean;
  readonly startedAt: string;
  readonly endedAt: string | null;
  /** Highest period n such that the rights of periods 1..n have all been issued (0: none yet). */
  readonly rightsIssuedThrough: number;
  readonly pendingRights: readonly PendingRight[];
  /**
   * The next instant the scheduler has work on this subscription: at once (the start of the oldest
   * period whose right is missing), else the current period's end (trial end, renewal or expiry);
   * null when it has ended and every right is issued, and for a charged subscription whose
   * periods its agreement renews (only a scheduled end is the scheduler's then).
   */
  readonly nextTransitionAt: string | null;
  readonly updatedAt: string;
  /** Stream revision of the last event applied. */
  readonly revision: number;
};

export const SUBSCRIPTIONS_PROJECTION = 'subscriptions';

type DataOf<T extends SubscriptionEvent['type']> = Extract<SubscriptionEvent, { type: T }>['data'];
type Mutable<T> = { -readonly [K in keyof T]: T[K] };

function nextTransition(doc: SubscriptionDoc): string | null {
  const pending = doc.pendingRights[0];
  if (pending) return pending.from;
  if (doc.status === 'expired') return null;
  if (doc.renewal === 'charged' && !doc.cancelAtPeriodEnd) return null;
  return doc.periodEnd;
}

function issuedThrough(doc: SubscriptionDoc): number {
  const first = doc.pendingRights[0];
  return first ? first.period - 1 : doc.currentPeriod;
}

/** The changes one event makes to an existing document (null: ignore the event). */
function change(
  doc: SubscriptionDoc,
  event: RecordedEvent<SubscriptionEvent>,
): Partial<SubscriptionDoc> | null {
  switch (event.type) {
    case 'SubscriptionPeriodStarted': {
      const d = event.data as DataOf<'SubscriptionPeriodStarted'>;
      if (d.period <= doc.currentPeriod) return null;
      return {
        currentPeriod: d.period,
        periodStart: d.from,
        periodEnd: d.until,
        inTrial: d.trial,
        pastDue: false,
        ...(d.trial ? { trialEnd: d.until } : {}),
        pendingRights: [...doc.pendingRights, { period: d.period, from: d.from }],
      };
    }
    case 'SubscriptionRightIssued': {
      const { period } = event.data as DataOf<'SubscriptionRightIssued'>;
      return { pendingRights: doc.pendingRights.filter((p) => p.period !== period) };
    }
    case 'SubscriptionTrialEnded':
      return { inTrial: false };
    case 'SubscriptionSuspended':
      return { suspended: true };
    case 'SubscriptionReactivated':
      return { suspended: false };
    case 'SubscriptionCancellationScheduled':
      return { cancelAtPeriodEnd: true };
    case 'SubscriptionResumed':
      return { cancelAtPeriodEnd: false };
    case 'SubscriptionCanceled':
      return { endedAt: (event.data as DataOf<'SubscriptionCanceled'>).at };
    case 'SubscriptionPlanChangeScheduled':
      return { scheduledPlan: (event.data as DataOf<'SubscriptionPlanChangeScheduled'>).plan };
    case 'SubscriptionPlanChangeCanceled':
      return { scheduledPlan: null };
    case 'SubscriptionPlanChanged':
      return { plan: (event.data as DataOf<'SubscriptionPlanChanged'>).plan, scheduledPlan: null };
    case 'SubscriptionPastDue':
      return { pastDue: true };
    case 'SubscriptionExpired': {
      const d = event.data as DataOf<'SubscriptionExpired'>;
      return { endedAt: d.at, cancelAtPeriodEnd: false, pastDue: false, status: 'expired' };
    }
    default:
      return null;
  }
}

async function applySubscriptionEvent(
  event: RecordedEvent<SubscriptionEvent>,
  tx: ProjectionTx,
): Promise<void> {
  const { subscriptionId } = event.data as { subscriptionId: string };
  const touched = { updatedAt: event.occurredAt, revision: event.revision };
  if (event.type === 'SubscriptionStarted') {
    const d = event.data as DataOf<'SubscriptionStarted'>;
    const doc: SubscriptionDoc = {
      id: subscriptionId,
      sub: d.sub,
      providerId: d.providerId,
      status: d.plan.trial ? 'trialing' : 'active',
      plan: d.plan,
      renewal: d.renewal ?? 'automatic',
      agreementId: d.agreementId ?? null,
      pastDue: false,
      scheduledPlan: null,
      currentPeriod: 0,
      periodStart: d.startedAt,
      periodEnd: d.startedAt,
      trialEnd: null,
      inTrial: d.plan.trial !== undefined,
      suspended: false,
      cancelAtPeriodEnd: false,
      startedAt: d.startedAt,
      endedAt: null,
      rightsIssuedThrough: 0,
      pendingRights: [],
      nextTransitionAt: d.startedAt,
      ...touched,
    };
    tx.upsert('subscriptions', doc);
    return;
  }
  const doc = await tx.get<SubscriptionDoc>('subscriptions', subscriptionId);
  if (!doc) return;
  const patch = change(doc, event);
  if (!patch) return;
  const next: Mutable<SubscriptionDoc> = { ...doc, ...patch, ...touched };
  next.status = statusOf({
    expired: next.status === 'expired',
    suspended: next.suspended,
    cancelAtPeriodEnd: next.cancelAtPeriodEnd,
    trial: next.inTrial,
    pastDue: next.pastDue,
  });
  next.rightsIssuedThrough = issuedThrough(next);
  next.nextTransitionAt = nextTransition(next);
  tx.upsert('subscriptions', next);
}

/**
 * Subscriptions as readers and the scheduler see them: per user and provider (a user's
 * subscriptions, a provider's view), and by the next instant a time-driven transition is due.
 */
export const subscriptionsProjection = defineProjection<SubscriptionEvent>({
  name: SUBSCRIPTIONS_PROJECTION,
  version: 2,
  handles: SUBSCRIPTION_EVENT_TYPES,
  collections: {
    subscriptions: {
      indexes: [
        { fields: ['sub', 'providerId'] },
        { fields: ['providerId', 'startedAt'] },
        { fields: ['nextTransitionAt'] },
        { fields: ['agreementId'] },
      ],
    },
  },
  apply: applySubscriptionEvent,
});
