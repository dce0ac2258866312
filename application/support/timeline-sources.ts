import type { RecordedEvent } from '../../domain/kernel/event.js';
import type { ConsentEvent } from '../../domain/consent/events.js';
import type { PaymentMethodEvent } from '../../domain/payment-method/events.js';
import type { PaymentEvent } from '../../domain/payment/events.js';
import type { RightEvent, RightGranted } from '../../domain/right/events.js';
import type { SubscriptionEvent } from '../../domain/subscription/events.js';
import type { UserEvent } from '../../domain/user/events.js';
import { amount, cardText, day, list, methodText, period } from './wording.js';

/**
 * Where a user's history comes from: one source per stream category, each saying which kind of
 * entry its events are and how to tell them in plain words. A new aggregate that belongs to users
 * (e.g. charging agreements) adds a source here and links its streams in
 * projections/support-streams.ts; nothing else changes.
 */

export const TIMELINE_KINDS = [
  'account',
  'sign-in',
  'consent',
  'right',
  'subscription',
  'payment',
  'payment-method',
] as const;
export type TimelineKind = (typeof TIMELINE_KINDS)[number];

/** Display names of providers and clients, or null when unknown. */
export interface NameLookup {
  provider(providerId: string): Promise<string | null>;
  client(clientId: string): Promise<string | null>;
}

export interface TimelineSource {
  /** The stream category (the stream id's prefix before the first "-"). */
  readonly category: string;
  kindOf(event: RecordedEvent): TimelineKind;
  /** Plain English; `earlier` are the stream's events before this one, oldest first. */
  describe(event: RecordedEvent, earlier: readonly RecordedEvent[], names: NameLookup): Promise<string>;
}

const SIGN_IN_TYPES = new Set(['SignedIn', 'SignInLocked', 'SignInUnlocked']);

async function providerText(names: NameLookup, providerId: string): Promise<string> {
  return (await names.provider(providerId)) ?? providerId;
}

async function clientText(names: NameLookup, clientId: string): Promise<string> {
  return (await names.client(clientId)) ?? clientId;
}

function first<T extends RecordedEvent>(events: readonly RecordedEvent[], type: string): T | undefined {
  return events.find((e) => e.type === type) as T | undefined;
}

const userSource: TimelineSource = {
  category: 'user',
  kindOf: (e) => (SIGN_IN_TYPES.has(e.type) ? 'sign-in' : 'account'),
  async describe(raw, _earlier, names) {
    const e = raw as unknown as UserEvent;
    switch (e.type) {
      case 'UserRegistered':
        return `Account created by signing in with ${e.data.via === 'phone' ? 'a phone' : 'an email address'}`;
      case 'PhoneAdded':
        return 'Phone number added (not verified yet)';
      case 'PhoneVerified':
        return 'Phone number verified';
      case 'PhoneRemoved':
        return 'Phone number removed';
      case 'PrimaryPhoneChanged':
        return 'Primary phone number changed';
      case 'EmailAdded':
        return 'Email address added (not verified yet)';
      case 'EmailVerified':
        return 'Email address verified';
      case 'EmailRemoved':
        return 'Email address removed';
      case 'PrimaryEmailChanged':
        return 'Primary email address changed';
      case 'ProfileChanged': {
        const fields = [
          ...(e.data.name !== undefined ? ['name'] : []),
          ...(e.data.locale !== undefined ? [`language (${e.data.locale ?? 'cleared'})`] : []),
        ];
        return `Profile changed: ${list(fields)}`;
      }
      case 'PasswordSet':
        return 'Password set';
      case 'PasswordRemoved':
        return 'Password removed';
      case 'SignInLocked':
        return `Sign-in locked ${e.data.until === null ? 'until unlocked' : `until ${day(e.data.until)}`} (${e.data.reason})`;
      case 'SignInUnlocked':
        return `Sign-in unlocked (${e.data.reason})`;
      case 'SignedIn': {
        const how = `${e.data.method === 'sms' ? 'a code by SMS' : 'a code by email'}${e.data.withPassword ? ' and the password' : ''}`;
        const where = e.data.clientId === null ? '' : ` to ${await clientText(names, e.data.clientId)}`;
        return `Signed in${where} with ${how}`;
      }
      case 'UserErased':
        return 'Account erased: its personal data was destroyed';
    }
  },
};

const consentSource: TimelineSource = {
  category: 'consent',
  kindOf: () => 'consent',
  async describe(raw, _earlier, names) {
    const e = raw as unknown as ConsentEvent;
    const client = await clientText(names, e.data.clientId);
    switch (e.type) {
      case 'ConsentGranted':
        return `Allowed ${client} access to ${list(e.data.scopes)}`;
      case 'ConsentScopesAdded':
        return `Allowed ${client} more: ${list(e.data.scopes)}`;
      case 'ConsentDenied':
        return `Declined ${client} (asked for ${list(e.data.scopes)})`;
      case 'ConsentRevoked':
        return `Access of ${client} withdrawn by ${e.data.by === 'user' ? 'the user' : e.data.by}${e.data.reason ? ` (${e.data.reason})` : ''}`;
    }
  },
};

const rightSource: TimelineSource = {
  category: 'right',
  kindOf: () => 'right',
  async describe(raw, earlier, names) {
    const e = raw as unknown as RightEvent;
    const granted =
      e.type === 'RightGranted' ? e : first<RecordedEvent<RightGranted>>(earlier, 'RightGranted');
    const g = granted?.data ?? null;
    const what = g ? `Right for SKU ${g.sku}` : 'Right';
    const why = (reason: string | undefined) => (reason ? ` (${reason})` : '');
    switch (e.type) {
      case 'RightGranted':
        return `${what} granted ${await grantorText(names, e.data.grantor, e.data.providerId)}, valid ${period(e.data.validFrom, e.data.validUntil)}${e.data.initialState === 'suspended' ? ', suspended' : ''}`;
      case 'RightExtended':
        return `${what} extended to ${day(e.data.validUntil)} (was ${day(e.data.previousValidUntil)})`;
      case 'RightSuspended':
        return `${what} suspended${why(e.data.reason)}`;
      case 'RightReactivated':
        return `${what} reactivated`;
      case 'RightTerminated':
        return `${what} terminated${why(e.data.reason)}`;
      case 'RightUsed':
        return `${what} used`;
    }
  },
};

async function grantorText(
  names: NameLookup,
  grantor: { readonly kind: string; readonly id: string },
  providerId: string,
): Promise<string> {
  const provider = await providerText(names, providerId);
  switch (grantor.kind) {
    case 'provider':
      return `by provider ${provider}`;
    case 'purchase':
      return `by a purchase at ${provider}`;
    case 'subscription':
      return `by a subscription at ${provider}`;
    default:
      return `by support (${grantor.id}) as goodwill at ${provider}`;
  }
}

const subscriptionSource: TimelineSource = {
  category: 'subscription',
  kindOf: () => 'subscription',
  async describe(raw, _earlier, names) {
    const e = raw as unknown as SubscriptionEvent;
    switch (e.type) {
      case 'SubscriptionStarted':
        return `Subscribed to plan ${e.data.plan.sku} at ${await providerText(names, e.data.providerId)}${e.data.plan.trial ? ` with a free trial (${e.data.plan.trial})` : ''}`;
      case 'SubscriptionPeriodStarted':
        return `${e.data.trial ? 'Trial period' : `Period ${e.data.period}`} of ${e.data.sku} started, ${period(e.data.from, e.data.until)}${e.data.rightState === 'suspended' ? ' (suspended)' : ''}`;
      case 'SubscriptionRightIssued':
        return `Right issued for period ${e.data.period}`;
      case 'SubscriptionTrialEnded':
        return 'Free trial ended';
      case 'SubscriptionSuspended':
        return `Subscription suspended${e.data.reason ? ` (${e.data.reason})` : ''}`;
      case 'SubscriptionReactivated':
        return 'Subscription reactivated';
      case 'SubscriptionCancellationScheduled':
        return `Cancellation scheduled for ${day(e.data.effectiveAt)}${e.data.reason ? ` (${e.data.reason})` : ''}`;
      case 'SubscriptionResumed':
        return 'Scheduled cancellation withdrawn';
      case 'SubscriptionCanceled':
        return `Subscription canceled with immediate effect${e.data.reason ? ` (${e.data.reason})` : ''}`;
      case 'SubscriptionPlanChangeScheduled':
        return `Plan change to ${e.data.plan.sku} scheduled for ${day(e.data.effectiveAt)}`;
      case 'SubscriptionPlanChangeCanceled':
        return 'Scheduled plan change withdrawn';
      case 'SubscriptionPlanChanged':
        return `Plan changed to ${e.data.plan.sku}`;
      case 'SubscriptionPastDue':
        return `Period ${e.data.period} ended unpaid: no right until it is paid`;
      case 'SubscriptionExpired':
        return `Subscription ended (${e.data.reason === 'canceled' ? 'canceled' : 'at the end of its last period'})`;
    }
  },
};

/** The method of an attempt, from the stream's PaymentAttemptStarted events. */
function attemptMethod(earlier: readonly RecordedEvent[], attemptId: string): string | null {
  for (const raw of earlier) {
    const e = raw as unknown as PaymentEvent;
    if (e.type === 'PaymentAttemptStarted' && e.data.attemptId === attemptId)
      return methodText(e.data.method);
  }
  return null;
}

const paymentSource: TimelineSource = {
  category: 'payment',
  kindOf: () => 'payment',
  async describe(raw, earlier, names) {
    const e = raw as unknown as PaymentEvent;
    const withMethod = (attemptId: string) => {
      const method = attemptMethod(earlier, attemptId);
      return method === null ? '' : ` with ${method}`;
    };
    switch (e.type) {
      case 'TransactionCreated':
        return `Payment of ${amount(e.data.amount)} requested by ${await providerText(names, e.data.providerId)} for order ${e.data.orderId}: ${e.data.description}`;
      case 'PaymentAttemptStarted':
        return `Payment attempt with ${methodText(e.data.method)}`;
      case 'PaymentActionRequired':
        return `Waiting for the payer (${e.data.action})`;
      case 'PaymentAuthorized':
        return `${amount(e.data.amount)} authorized${withMethod(e.data.attemptId)}`;
      case 'PaymentCaptured':
        return `Paid ${amount(e.data.amount)}${withMethod(e.data.attemptId)}`;
      case 'PaymentFailed':
        return `Payment of ${amount(e.data.amount)}${withMethod(e.data.attemptId)} failed: ${e.data.message} (${e.data.code})`;
      case 'PaymentOutcomeUnknown':
        return `No answer from the payment provider; the outcome is being checked (${e.data.reason})`;
      case 'TransactionCanceled':
        return `Payment canceled by the ${e.data.by}${e.data.reason ? ` (${e.data.reason})` : ''}`;
      case 'TransactionExpired':
        return 'Payment request expired unpaid';
      case 'RefundIssued':
        return `Refunded ${amount(e.data.amount)} by ${e.data.issuer.kind === 'support' ? 'support' : 'the provider'}: ${e.data.reason}`;
    }
  },
};

const walletSource: TimelineSource = {
  category: 'wallet',
  kindOf: () => 'payment-method',
  async describe(raw, earlier) {
    const e = raw as unknown as PaymentMethodEvent;
    const named = (methodId: string): string => {
      for (const prior of earlier) {
        const p = prior as unknown as PaymentMethodEvent;
        if (p.type !== 'PaymentMethodSaved' || p.data.methodId !== methodId) continue;
        return p.data.kind === 'card' ? cardText(p.data.card) : `phone bill ${p.data.carrier.masked}`;
      }
      return 'a payment method';
    };
    switch (e.type) {
      case 'PaymentMethodSaved':
        return e.data.kind === 'card'
          ? `Card ${cardText(e.data.card)} saved (expires ${String(e.data.card.expMonth).padStart(2, '0')}/${e.data.card.expYear})`
          : `Carrier billing on ${e.data.carrier.masked} saved`;
      case 'DefaultPaymentMethodSet':
        return `Default payment method set to ${named(e.data.methodId)}`;
      case 'PaymentMethodRemoved':
        return `Payment method ${named(e.data.methodId)} removed`;
    }
  },
};

/** "AgreementChargeFailed" → "Agreement charge failed". */
export function humanise(type: string): string {
  const words = type.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/**
 * Recurring charging agreements (stream `agreement-<id>`): told by their event names plus the
 * amount and the method where the event has them, until the aggregate gets its own describer.
 */
const agreementSource: TimelineSource = {
  category: 'agreement',
  kindOf: () => 'payment',
  async describe(raw) {
    const data = raw.data as { amount?: { amount: number; currency: string }; methodLabel?: string };
    const extra = [
      ...(data.amount ? [amount(data.amount)] : []),
      ...(data.methodLabel ? [`with ${data.methodLabel}`] : []),
    ];
    return `${humanise(raw.type)}${extra.length > 0 ? `: ${extra.join(' ')}` : ''}`;
  },
};

/** Every source of a user's history, by stream category. */
export const TIMELINE_SOURCES: readonly TimelineSource[] = [
  userSource,
  consentSource,
  rightSource,
  subscriptionSource,
  paymentSource,
  walletSource,
  agreementSource,
];

export function sourceFor(
  streamId: string,
  sources: readonly TimelineSource[] = TIMELINE_SOURCES,
): TimelineSource | null {
  const dash = streamId.indexOf('-');
  const category = dash === -1 ? streamId : streamId.slice(0, dash);
  return sources.find((s) => s.category === category) ?? null;
}
