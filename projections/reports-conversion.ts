import type { ClientEvent } from '../domain/catalog/client-events.js';
import type { RecordedEvent } from '../domain/kernel/event.js';
import type { PaymentEvent } from '../domain/payment/events.js';
import type { UserEvent } from '../domain/user/events.js';
import { defineProjection, type ProjectionTx } from './projection.js';
import { utcDay } from './reports-money.js';

/**
 * Sign-in to first-purchase conversion per provider and UTC day. A user "signs in at a provider"
 * when a `SignedIn` event names one of the provider's clients; the provider of a client comes from
 * the client log, kept here as a small map because a projection reads only its own read models.
 *
 * - `signedIn`: users whose first sign-in at the provider was that day (the day's cohort);
 * - `converted`: of that cohort, those who have since made their first captured purchase at the
 *   provider. It is booked on the cohort's day, so a day's rate is `converted / signedIn` and grows
 *   as the cohort buys;
 * - `firstPurchases`: users who had signed in at the provider and made their first captured
 *   purchase there that day.
 *
 * A purchase made before the user ever signed in at the provider (a backend buying for a known
 * `sub`) is not a conversion of a sign-in: that user joins the cohort of their first sign-in as
 * already having bought, and is not counted as converted.
 */

export const CONVERSION_REPORT_PROJECTION = 'reports_conversion';

/** Collection `conversion_days`; id = `<providerId>:<day>`. */
export type ConversionDayDoc = {
  readonly id: string;
  readonly providerId: string;
  readonly day: string;
  readonly signedIn: number;
  readonly converted: number;
  readonly firstPurchases: number;
};

/** Collection `conversion_users`; id = `<providerId>:<sub>`: one user's progress at one provider. */
type ConversionUserDoc = {
  readonly id: string;
  /** Day of the first sign-in at the provider; null while the user has only bought. */
  readonly signedInDay: string | null;
  /** Day of the first captured purchase at the provider. */
  readonly purchasedDay: string | null;
};

/** Collection `conversion_clients`; id = clientId. */
type ClientOwnerDoc = { readonly id: string; readonly providerId: string };
/** Collection `conversion_transactions`; id = transactionId, removed once captured. */
type BuyerDoc = { readonly id: string; readonly providerId: string; readonly sub: string };

type Delta = Partial<Pick<ConversionDayDoc, 'signedIn' | 'converted' | 'firstPurchases'>>;

async function bookDay(tx: ProjectionTx, providerId: string, day: string, delta: Delta): Promise<void> {
  const id = `${providerId}:${day}`;
  const doc = await tx.get<ConversionDayDoc>('conversion_days', id);
  tx.upsert('conversion_days', {
    id,
    providerId,
    day,
    signedIn: (doc?.signedIn ?? 0) + (delta.signedIn ?? 0),
    converted: (doc?.converted ?? 0) + (delta.converted ?? 0),
    firstPurchases: (doc?.firstPurchases ?? 0) + (delta.firstPurchases ?? 0),
  } satisfies ConversionDayDoc);
}

type ConversionEvent = ClientEvent | UserEvent | PaymentEvent;

/*
 * Every step is a one-way change of a document (a user's first sign-in, first purchase; a buyer
 * removed once captured), and a day's counters move only with such a change: an event delivered
 * twice finds the change already made and books nothing.
 */
async function applyConversionEvent(event: RecordedEvent<ConversionEvent>, tx: ProjectionTx): Promise<void> {
  const e = { type: event.type, data: event.data } as ConversionEvent;
  const day = utcDay(event.occurredAt);
  switch (e.type) {
    case 'OAuthClientRegistered':
      tx.upsert('conversion_clients', { id: e.data.clientId, providerId: e.data.providerId });
      return;
    case 'TransactionCreated':
      if (await tx.get('conversion_transactions', e.data.transactionId)) return;
      tx.upsert('conversion_transactions', {
        id: e.data.transactionId,
        providerId: e.data.providerId,
        sub: e.data.sub,
      } satisfies BuyerDoc);
      return;
    case 'SignedIn': {
      if (e.data.clientId === null) return;
      const owner = await tx.get<ClientOwnerDoc>('conversion_clients', e.data.clientId);
      if (!owner) return;
      const id = `${owner.providerId}:${e.data.userId}`;
      const user = await tx.get<ConversionUserDoc>('conversion_users', id);
      if (user?.signedInDay != null) return;
      tx.upsert('conversion_users', {
        id,
        signedInDay: day,
        purchasedDay: user?.purchasedDay ?? null,
      } satisfies ConversionUserDoc);
      await bookDay(tx, owner.providerId, day, { signedIn: 1 });
      return;
    }
    case 'PaymentCaptured': {
      const buyer = await tx.get<BuyerDoc>('conversion_transactions', e.data.transactionId);
      if (!buyer) return;
      tx.delete('conversion_transactions', buyer.id);
      const id = `${buyer.providerId}:${buyer.sub}`;
      const user = await tx.get<ConversionUserDoc>('conversion_users', id);
      if (user?.purchasedDay != null) return;
      tx.upsert('conversion_users', {
        id,
        signedInDay: user?.signedInDay ?? null,
        purchasedDay: day,
      } satisfies ConversionUserDoc);
      if (user?.signedInDay != null) {
        await bookDay(tx, buyer.providerId, user.signedInDay, { converted: 1 });
        await bookDay(tx, buyer.providerId, day, { firstPurchases: 1 });
      }
      return;
    }
    default:
      return;
  }
}

export const conversionReportProjection = defineProjection<ConversionEvent>({
  name: CONVERSION_REPORT_PROJECTION,
  version: 1,
  handles: ['OAuthClientRegistered', 'SignedIn', 'TransactionCreated', 'PaymentCaptured'],
  collections: {
    conversion_clients: {},
    conversion_transactions: {},
    conversion_users: {},
    conversion_days: { indexes: [{ fields: ['providerId', 'day'] }] },
  },
  apply: applyConversionEvent,
});
