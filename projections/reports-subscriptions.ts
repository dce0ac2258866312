import type { RecordedEvent } from '../domain/kernel/event.js';
import type { SubscriptionEvent } from '../domain/subscription/events.js';
import { defineProjection, type ProjectionTx } from './projection.js';
import { utcDay } from './reports-money.js';

/**
 * Subscriptions per provider and UTC day, pre-aggregated from the subscription log:
 *
 * - `new`: subscriptions started that day;
 * - `churned`: subscriptions that ended that day (expired at the end of a period, or canceled with
 *   immediate effect, which the log always follows with the expiry);
 * - `active`: subscriptions started and not yet ended at the end of that day (a suspended or
 *   trialling subscription counts: it has not churned). Kept as a running count per provider and
 *   copied into every day that changed; a day without changes has the count of the last day before;
 * - `trialStarts`: free trials that began that day;
 * - `trialConversions`: subscriptions whose first paid period began that day after a trial.
 *
 * Days are the UTC days on which the events were recorded.
 */

export const SUBSCRIPTION_REPORT_PROJECTION = 'reports_subscriptions';

/** Collection `subscription_days`; id = `<providerId>:<day>`. */
export type SubscriptionDayDoc = {
  readonly id: string;
  readonly providerId: string;
  readonly day: string;
  /** Active at the end of the day. */
  readonly active: number;
  readonly new: number;
  readonly churned: number;
  readonly trialStarts: number;
  readonly trialConversions: number;
};

/** Collection `subscription_states`: what the report needs to know of one subscription. */
type SubscriptionStateDoc = {
  readonly id: string;
  readonly providerId: string;
  readonly ended: boolean;
  readonly trialStarted: boolean;
  readonly converted: boolean;
  /** Stream revision of the last event applied: a redelivered event changes nothing. */
  readonly revision: number;
};

/** Collection `subscription_counters`; id = providerId. */
type CounterDoc = { readonly id: string; readonly active: number };

type DayDelta = Partial<Pick<SubscriptionDayDoc, 'new' | 'churned' | 'trialStarts' | 'trialConversions'>>;

async function bookDay(
  tx: ProjectionTx,
  providerId: string,
  day: string,
  activeChange: number,
  delta: DayDelta,
): Promise<void> {
  const counter = await tx.get<CounterDoc>('subscription_counters', providerId);
  const active = (counter?.active ?? 0) + activeChange;
  if (activeChange !== 0) tx.upsert('subscription_counters', { id: providerId, active });
  const id = `${providerId}:${day}`;
  const doc = await tx.get<SubscriptionDayDoc>('subscription_days', id);
  const next: SubscriptionDayDoc = {
    id,
    providerId,
    day,
    active,
    new: (doc?.new ?? 0) + (delta.new ?? 0),
    churned: (doc?.churned ?? 0) + (delta.churned ?? 0),
    trialStarts: (doc?.trialStarts ?? 0) + (delta.trialStarts ?? 0),
    trialConversions: (doc?.trialConversions ?? 0) + (delta.trialConversions ?? 0),
  };
  tx.upsert('subscription_days', next);
}

async function applySubscriptionEvent(
  event: RecordedEvent<SubscriptionEvent>,
  tx: ProjectionTx,
): Promise<void> {
  const e = { type: event.type, data: event.data } as SubscriptionEvent;
  const day = utcDay(event.occurredAt);
  const id = e.data.subscriptionId;
  if (e.type === 'SubscriptionStarted') {
    if (await tx.get('subscription_states', id)) return;
    const state: SubscriptionStateDoc = {
      id,
      providerId: e.data.providerId,
      ended: false,
      trialStarted: false,
      converted: false,
      revision: event.revision,
    };
    tx.upsert('subscription_states', state);
    await bookDay(tx, e.data.providerId, day, 1, { new: 1 });
    return;
  }
  const state = await tx.get<SubscriptionStateDoc>('subscription_states', id);
  if (!state || event.revision <= state.revision) return;
  const applied = { ...state, revision: event.revision };

  if (e.type === 'SubscriptionPeriodStarted') {
    if (e.data.trial && !state.trialStarted) {
      tx.upsert('subscription_states', { ...applied, trialStarted: true });
      await bookDay(tx, state.providerId, day, 0, { trialStarts: 1 });
      return;
    }
    if (!e.data.trial && state.trialStarted && !state.converted) {
      tx.upsert('subscription_states', { ...applied, converted: true });
      await bookDay(tx, state.providerId, day, 0, { trialConversions: 1 });
      return;
    }
  } else if (e.type === 'SubscriptionExpired' && !state.ended) {
    tx.upsert('subscription_states', { ...applied, ended: true });
    await bookDay(tx, state.providerId, day, -1, { churned: 1 });
    return;
  }
  tx.upsert('subscription_states', applied);
}

export const subscriptionReportProjection = defineProjection<SubscriptionEvent>({
  name: SUBSCRIPTION_REPORT_PROJECTION,
  version: 1,
  handles: ['SubscriptionStarted', 'SubscriptionPeriodStarted', 'SubscriptionExpired'],
  collections: {
    subscription_states: {},
    subscription_counters: {},
    subscription_days: { indexes: [{ fields: ['providerId', 'day'] }] },
  },
  apply: applySubscriptionEvent,
});
