import { inject, injectable } from 'inversify';
import { consentDecider } from '../../domain/consent/decider.js';
import type { ConsentEvent } from '../../domain/consent/events.js';
import { fold } from '../../domain/kernel/decider.js';
import type { DomainEvent } from '../../domain/kernel/event.js';
import { walletDecider } from '../../domain/payment-method/decider.js';
import type { PaymentMethodEvent } from '../../domain/payment-method/events.js';
import { transactionDecider } from '../../domain/payment/decider.js';
import type { PaymentEvent } from '../../domain/payment/events.js';
import { rightDecider } from '../../domain/right/decider.js';
import type { RightEvent } from '../../domain/right/events.js';
import { rightStateAt, type RightState } from '../../domain/right/values.js';
import type { Money } from '../../domain/shared/money.js';
import { subscriptionDecider } from '../../domain/subscription/decider.js';
import type { SubscriptionEvent } from '../../domain/subscription/events.js';
import type { SubscriptionStatus } from '../../domain/subscription/values.js';
import { userDecider } from '../../domain/user/decider.js';
import type { UserEvent } from '../../domain/user/events.js';
import { type IdentifierEntry, lockInForce } from '../../domain/user/state.js';
import { PERSONAL_DATA_VAULT, type PersonalDataVault } from '../ports/personal-data-vault.js';
import { UserStreams } from './user-streams.js';
import { methodText } from './wording.js';

export interface IdentifierAsOf {
  /** Null once the account is erased (its key is gone), whatever the instant. */
  readonly value: string | null;
  readonly verified: boolean;
  readonly primary: boolean;
}

export interface AccountAsOf {
  readonly status: 'unregistered' | 'active' | 'erased';
  readonly phones: readonly IdentifierAsOf[];
  readonly emails: readonly IdentifierAsOf[];
  readonly name: string | null;
  readonly locale: string | null;
  readonly hasPassword: boolean;
  /** The sign-in lock in force at the instant, if any. */
  readonly signInLock: { readonly reason: string; readonly until: string | null } | null;
}

export interface ConsentAsOf {
  readonly clientId: string;
  readonly providerId: string;
  readonly status: 'active' | 'revoked' | 'denied';
  readonly scopes: readonly string[];
}

export interface RightAsOf {
  readonly rightId: string;
  readonly providerId: string;
  readonly sku: string;
  /** The right's state at the instant (expiry and start follow from the instant itself). */
  readonly state: RightState;
  readonly validFrom: string;
  readonly validUntil: string | null;
  readonly grantor: { readonly kind: string; readonly id: string };
  readonly used: boolean;
}

export interface SubscriptionAsOf {
  readonly subscriptionId: string;
  readonly providerId: string;
  readonly sku: string;
  readonly status: SubscriptionStatus;
  readonly currentPeriod: {
    readonly n: number;
    readonly from: string;
    readonly until: string;
    readonly trial: boolean;
  };
  readonly cancelAtPeriodEnd: boolean;
  readonly endedAt: string | null;
}

export interface TransactionAsOf {
  readonly transactionId: string;
  readonly providerId: string;
  readonly orderId: string;
  readonly description: string;
  readonly status: string;
  readonly amount: Money;
  readonly captured: Money;
  readonly refunded: Money;
  /** How it was paid (or last tried), in words. */
  readonly method: string | null;
}

export interface PaymentMethodAsOf {
  readonly methodId: string;
  readonly kind: 'card' | 'carrier';
  readonly label: string;
  readonly isDefault: boolean;
}

export interface StateAsOf {
  readonly sub: string;
  readonly at: string;
  /** The last log position folded in (0 when nothing had happened yet). */
  readonly position: number;
  readonly account: AccountAsOf;
  readonly consents: readonly ConsentAsOf[];
  readonly rights: readonly RightAsOf[];
  readonly subscriptions: readonly SubscriptionAsOf[];
  readonly transactions: readonly TransactionAsOf[];
  readonly paymentMethods: readonly PaymentMethodAsOf[];
}

type Events<E extends DomainEvent> = readonly E[];

function categoryOf(streamId: string): string {
  const dash = streamId.indexOf('-');
  return dash === -1 ? streamId : streamId.slice(0, dash);
}

/**
 * What a user's account looked like at any instant, rebuilt by folding each of their streams up to
 * it with the aggregates' own evolve functions: the same code that decides on commands, so the
 * answer is what the rules saw then. Times are the events' `occurredAt`.
 */
@injectable()
export class StateAsOfQuery {
  constructor(
    @inject(UserStreams) private readonly streams: Pick<UserStreams, 'read'>,
    @inject(PERSONAL_DATA_VAULT) private readonly vault: Pick<PersonalDataVault, 'decrypt'>,
  ) {}

  async at(sub: string, at: Date): Promise<StateAsOf> {
    const cutoff = at.getTime();
    const result: {
      account: AccountAsOf;
      consents: ConsentAsOf[];
      rights: RightAsOf[];
      subscriptions: SubscriptionAsOf[];
      transactions: TransactionAsOf[];
      paymentMethods: PaymentMethodAsOf[];
    } = {
      account: await this.account(sub, []),
      consents: [],
      rights: [],
      subscriptions: [],
      transactions: [],
      paymentMethods: [],
    };
    let position = 0;
    for (const stream of await this.streams.read(sub)) {
      const events = stream.events.filter((e) => Date.parse(e.occurredAt) <= cutoff);
      if (events.length === 0) continue;
      position = Math.max(position, events.at(-1)!.globalPosition);
      switch (categoryOf(stream.streamId)) {
        case 'user':
          result.account = await this.account(sub, events as unknown as Events<UserEvent>, at);
          break;
        case 'consent':
          result.consents.push(...consentAt(events as unknown as Events<ConsentEvent>));
          break;
        case 'right':
          result.rights.push(...rightAt(events as unknown as Events<RightEvent>, at));
          break;
        case 'subscription':
          result.subscriptions.push(...subscriptionAt(events as unknown as Events<SubscriptionEvent>));
          break;
        case 'payment':
          result.transactions.push(...transactionAt(events as unknown as Events<PaymentEvent>));
          break;
        case 'wallet':
          result.paymentMethods.push(...walletAt(events as unknown as Events<PaymentMethodEvent>));
          break;
      }
    }
    return { sub, at: at.toISOString(), position, ...result };
  }

  private async account(sub: string, events: Events<UserEvent>, at?: Date): Promise<AccountAsOf> {
    const state = fold(userDecider, events);
    if (state.status !== 'active') {
      return {
        status: state.status,
        phones: [],
        emails: [],
        name: null,
        locale: null,
        hasPassword: false,
        signInLock: null,
      };
    }
    const open = async (list: readonly IdentifierEntry[], primary: string | null) =>
      Promise.all(
        list.map(async (i) => ({
          value: await this.vault.decrypt(sub, i.sealed),
          verified: i.verified,
          primary: i.hash === primary,
        })),
      );
    return {
      status: 'active',
      phones: await open(state.phones, state.primaryPhone),
      emails: await open(state.emails, state.primaryEmail),
      name: state.name === null ? null : await this.vault.decrypt(sub, state.name),
      locale: state.locale,
      hasPassword: state.passwordHash !== null,
      signInLock: at !== undefined && lockInForce(state.lock, at) ? state.lock : null,
    };
  }
}

function consentAt(events: Events<ConsentEvent>): ConsentAsOf[] {
  const state = fold(consentDecider, events);
  if (state.status === 'none') return [];
  return [
    {
      clientId: state.clientId,
      providerId: state.providerId,
      status: state.status,
      scopes: state.status === 'active' ? state.scopes : [],
    },
  ];
}

function rightAt(events: Events<RightEvent>, at: Date): RightAsOf[] {
  const state = fold(rightDecider, events);
  if (state.status === 'none') return [];
  return [
    {
      rightId: state.rightId,
      providerId: state.providerId,
      sku: state.sku,
      state: rightStateAt(state, at),
      validFrom: state.validFrom,
      validUntil: state.validUntil,
      grantor: state.grantor,
      used: state.used,
    },
  ];
}

function subscriptionAt(events: Events<SubscriptionEvent>): SubscriptionAsOf[] {
  const state = fold(subscriptionDecider, events);
  if (state.status === 'none') return [];
  const c = state.current;
  return [
    {
      subscriptionId: state.subscriptionId,
      providerId: state.providerId,
      sku: state.plan.sku,
      status: state.status,
      currentPeriod: { n: c.n, from: c.from, until: c.until, trial: c.trial },
      cancelAtPeriodEnd: state.cancelAtPeriodEnd,
      endedAt: state.endedAt,
    },
  ];
}

function transactionAt(events: Events<PaymentEvent>): TransactionAsOf[] {
  const state = fold(transactionDecider, events);
  if (state.status === 'none') return [];
  const paid = state.attempts.find((a) => a.status === 'captured') ?? state.attempts.at(-1);
  return [
    {
      transactionId: state.transactionId,
      providerId: state.providerId,
      orderId: state.orderId,
      description: state.description,
      status: state.status,
      amount: state.amount,
      captured: state.captured,
      refunded: state.refunded,
      method: paid ? methodText(paid.method) : null,
    },
  ];
}

function walletAt(events: Events<PaymentMethodEvent>): PaymentMethodAsOf[] {
  const state = fold(walletDecider, events);
  return state.methods.map((m) => ({
    methodId: m.methodId,
    kind: m.kind,
    label: m.kind === 'card' ? `${m.card.brand} •••• ${m.card.last4}` : `phone bill ${m.carrier.masked}`,
    isDefault: state.defaultId === m.methodId,
  }));
}
