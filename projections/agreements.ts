import { AGREEMENT_EVENT_TYPES, type AgreementEvent } from '../domain/agreement/events.js';
import type {
  AgreementActor,
  AgreementCancelReason,
  AgreementExpiryReason,
  AgreementStatus,
  AgreementTerms,
} from '../domain/agreement/values.js';
import type { RecordedEvent } from '../domain/kernel/event.js';
import type { SubscriptionEvent } from '../domain/subscription/events.js';
import { defineProjection, type ProjectionTx } from './projection.js';

/** A renewal that failed and is being retried. */
export interface DunningDoc {
  readonly period: number;
  readonly failures: number;
  readonly nextRetryAt: string | null;
  readonly lastCode: string;
}

/** Read model of one charging agreement (collection `agreements`, id = agreementId). */
export type AgreementDoc = {
  readonly id: string;
  readonly providerId: string;
  /** The user who confirmed, or (while pending) the one named by the provider; null: anyone. */
  readonly sub: string | null;
  /** The user the provider named when it proposed the agreement; null: whoever signs in. */
  readonly namedSub: string | null;
  readonly status: AgreementStatus;
  readonly terms: AgreementTerms;
  readonly successRedirect: string;
  readonly cancelRedirect: string;
  readonly createdBy: string;
  readonly createdAt: string;
  /**
   * The confirmation deadline: from then on the agreement can no longer be confirmed, and the
   * scheduler cancels it if still pending. Null for agreements made before deadlines (never expire).
   */
  readonly confirmBy: string | null;
  readonly confirmedAt: string | null;
  readonly methodId: string | null;
  readonly methodLabel: string | null;
  readonly subscriptionId: string | null;
  readonly paidThrough: number;
  readonly paidPeriods: number;
  readonly lastChargedAt: string | null;
  readonly lastTransactionId: string | null;
  readonly dunning: DunningDoc | null;
  readonly stoppedBy: AgreementActor | null;
  /** Who canceled it before it was confirmed; `system` with cancelReason `expired` for the deadline. */
  readonly canceledBy: AgreementActor | null;
  readonly cancelReason: AgreementCancelReason | null;
  readonly endedAt: string | null;
  readonly expiryReason: AgreementExpiryReason | null;
  /** The subscription's current period and its end, as its events tell. */
  readonly currentPeriod: number;
  readonly periodEnd: string | null;
  readonly subscriptionPastDue: boolean;
  readonly subscriptionEnding: boolean;
  readonly subscriptionEnded: boolean;
  /**
   * When the next renewal charge is due, before the lead: the end of the current period while it
   * is the last one paid. The scheduler looks for `chargeAt ≤ now + lead`.
   */
  readonly chargeAt: string | null;
  /**
   * The next instant other work is due: a pending agreement's confirmation deadline, the first
   * payment, a retry, a renewal, past due, the wind-down.
   */
  readonly wakeAt: string | null;
  readonly updatedAt: string;
};

export const AGREEMENTS_PROJECTION = 'agreements';
const LINKS = 'agreement_subscriptions';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
type DataOf<E extends { type: string; data: unknown }, T extends E['type']> = Extract<E, { type: T }>['data'];

const charging = (d: AgreementDoc) => d.status === 'active' || d.status === 'past_due';
const minOf = (...xs: Array<string | null>) => xs.filter((x): x is string => x !== null).sort()[0] ?? null;

/** The scheduler's two keys, from the document as it stands (see the fields' comments). */
function schedule(d: Mutable<AgreementDoc>, at: string): void {
  d.chargeAt = null;
  d.wakeAt = null;
  if (d.status === 'pending') {
    d.wakeAt = d.confirmBy;
    return;
  }
  if (d.status === 'canceled') return;
  if (d.paidThrough === 0) {
    d.wakeAt = charging(d) ? (d.confirmedAt ?? at) : null;
    return;
  }
  if (d.subscriptionEnded) return;
  if (d.currentPeriod === 0) {
    d.wakeAt = at; // paid for, but the subscription has not started: start it
    return;
  }
  if (d.currentPeriod < d.paidThrough) {
    d.wakeAt = d.periodEnd;
    return;
  }
  if (!charging(d)) {
    d.wakeAt = d.subscriptionEnding ? d.periodEnd : at;
    return;
  }
  if (d.subscriptionEnding) {
    d.wakeAt = d.periodEnd;
    return;
  }
  if (d.dunning !== null) {
    d.wakeAt = minOf(d.dunning.nextRetryAt, d.subscriptionPastDue ? null : d.periodEnd);
    return;
  }
  d.chargeAt = d.periodEnd;
}

function fromAgreementEvent(doc: Mutable<AgreementDoc>, event: RecordedEvent<AgreementEvent>): void {
  switch (event.type) {
    case 'AgreementConfirmed': {
      const d = event.data as DataOf<AgreementEvent, 'AgreementConfirmed'>;
      Object.assign(doc, {
        status: 'active',
        sub: d.sub,
        methodId: d.methodId,
        methodLabel: d.methodLabel,
        subscriptionId: d.subscriptionId,
        confirmedAt: d.at,
        paidThrough: doc.terms.trial !== null ? Math.max(1, doc.paidThrough) : doc.paidThrough,
      });
      return;
    }
    case 'AgreementFirstPaymentFailed':
      // Pending again, open to the user it names (or anyone) as before the confirmation that failed.
      Object.assign(doc, {
        status: 'pending',
        sub: doc.namedSub,
        methodId: null,
        methodLabel: null,
        confirmedAt: null,
      });
      return;
    case 'AgreementCanceled': {
      const d = event.data as DataOf<AgreementEvent, 'AgreementCanceled'>;
      Object.assign(doc, {
        status: 'canceled',
        canceledBy: d.by,
        cancelReason: d.expired === true ? 'expired' : null,
        endedAt: d.at,
      });
      return;
    }
    case 'AgreementCharged': {
      const d = event.data as DataOf<AgreementEvent, 'AgreementCharged'>;
      Object.assign(doc, {
        status: doc.status === 'past_due' ? 'active' : doc.status,
        paidThrough: d.period,
        paidPeriods: doc.paidPeriods + 1,
        lastChargedAt: d.at,
        lastTransactionId: d.transactionId,
        dunning: doc.dunning !== null && doc.dunning.period <= d.period ? null : doc.dunning,
      });
      return;
    }
    case 'AgreementChargeFailed': {
      const d = event.data as DataOf<AgreementEvent, 'AgreementChargeFailed'>;
      Object.assign(doc, {
        status: doc.status === 'active' ? 'past_due' : doc.status,
        lastTransactionId: d.transactionId,
        dunning: { period: d.period, failures: d.attempt + 1, nextRetryAt: d.nextRetryAt, lastCode: d.code },
      });
      return;
    }
    case 'AgreementStopped': {
      const d = event.data as DataOf<AgreementEvent, 'AgreementStopped'>;
      Object.assign(doc, { status: 'stopped', stoppedBy: d.by, endedAt: d.at });
      return;
    }
    case 'AgreementExpired': {
      const d = event.data as DataOf<AgreementEvent, 'AgreementExpired'>;
      Object.assign(doc, { status: 'expired', endedAt: d.at, expiryReason: d.reason });
      return;
    }
    default:
      return;
  }
}

function fromSubscriptionEvent(doc: Mutable<AgreementDoc>, event: RecordedEvent<SubscriptionEvent>): void {
  switch (event.type) {
    case 'SubscriptionPeriodStarted': {
      const d = event.data as DataOf<SubscriptionEvent, 'SubscriptionPeriodStarted'>;
      if (d.period <= doc.currentPeriod) return;
      Object.assign(doc, { currentPeriod: d.period, periodEnd: d.until, subscriptionPastDue: false });
      return;
    }
    case 'SubscriptionPastDue':
      doc.subscriptionPastDue = true;
      return;
    case 'SubscriptionCancellationScheduled':
      doc.subscriptionEnding = true;
      return;
    case 'SubscriptionResumed':
      doc.subscriptionEnding = false;
      return;
    case 'SubscriptionExpired':
      Object.assign(doc, { subscriptionEnded: true, subscriptionEnding: false, subscriptionPastDue: false });
      return;
    default:
      return;
  }
}

async function apply(
  event: RecordedEvent<AgreementEvent | SubscriptionEvent>,
  tx: ProjectionTx,
): Promise<void> {
  if (event.type === 'AgreementCreated') {
    const d = event.data as DataOf<AgreementEvent, 'AgreementCreated'>;
    const doc: AgreementDoc = {
      id: d.agreementId,
      providerId: d.providerId,
      sub: d.sub,
      namedSub: d.sub,
      status: 'pending',
      terms: d.terms,
      successRedirect: d.successRedirect,
      cancelRedirect: d.cancelRedirect,
      createdBy: d.createdBy,
      createdAt: d.createdAt,
      confirmBy: d.confirmBy ?? null,
      confirmedAt: null,
      methodId: null,
      methodLabel: null,
      subscriptionId: null,
      paidThrough: 0,
      paidPeriods: 0,
      lastChargedAt: null,
      lastTransactionId: null,
      dunning: null,
      stoppedBy: null,
      canceledBy: null,
      cancelReason: null,
      endedAt: null,
      expiryReason: null,
      currentPeriod: 0,
      periodEnd: null,
      subscriptionPastDue: false,
      subscriptionEnding: false,
      subscriptionEnded: false,
      chargeAt: null,
      // Pending: the scheduler wakes at the deadline to cancel it if it is still unconfirmed.
      wakeAt: d.confirmBy ?? null,
      updatedAt: event.occurredAt,
    };
    tx.upsert('agreements', doc);
    return;
  }
  let agreementId: string;
  if (event.type.startsWith('Subscription')) {
    const { subscriptionId, agreementId: named } = event.data as {
      subscriptionId: string;
      agreementId?: string;
    };
    if (event.type === 'SubscriptionStarted') {
      if (named === undefined) return;
      tx.upsert(LINKS, { id: subscriptionId, agreementId: named });
      return;
    }
    const link = await tx.get<{ id: string; agreementId: string }>(LINKS, subscriptionId);
    if (link === null) return;
    agreementId = link.agreementId;
  } else {
    agreementId = (event.data as { agreementId: string }).agreementId;
  }
  const found = await tx.get<AgreementDoc>('agreements', agreementId);
  if (found === null) return;
  const doc: Mutable<AgreementDoc> = { ...found, updatedAt: event.occurredAt };
  if (event.type.startsWith('Subscription'))
    fromSubscriptionEvent(doc, event as RecordedEvent<SubscriptionEvent>);
  else fromAgreementEvent(doc, event as RecordedEvent<AgreementEvent>);
  schedule(doc, event.occurredAt);
  tx.upsert('agreements', doc);
}

const SUBSCRIPTION_TYPES = [
  'SubscriptionStarted',
  'SubscriptionPeriodStarted',
  'SubscriptionPastDue',
  'SubscriptionCancellationScheduled',
  'SubscriptionResumed',
  'SubscriptionExpired',
] as const;

/**
 * Charging agreements as providers, users and the renewal scheduler see them: per provider, per
 * user, and by when the scheduler has work (`chargeAt`, `wakeAt`; a pending agreement wakes it at
 * its `confirmBy`). It follows the subscriptions the agreements drive (linked by
 * SubscriptionStarted's agreementId) for their periods and ends. Version 2 added the confirmation
 * deadline (`confirmBy`) and who canceled (`canceledBy`, `cancelReason`).
 */
export const agreementsProjection = defineProjection<AgreementEvent | SubscriptionEvent>({
  name: AGREEMENTS_PROJECTION,
  version: 3,
  handles: [...AGREEMENT_EVENT_TYPES, ...SUBSCRIPTION_TYPES],
  collections: {
    agreements: {
      indexes: [
        { fields: ['providerId', 'createdAt'] },
        { fields: ['sub', 'createdAt'] },
        { fields: ['chargeAt'] },
        { fields: ['wakeAt'] },
      ],
    },
    [LINKS]: {},
  },
  apply,
});
