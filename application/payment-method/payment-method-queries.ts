import { inject, injectable } from 'inversify';
import { DomainError } from '../../domain/kernel/decider.js';
import {
  findMethod,
  walletDecider,
  type WalletMethod,
  type WalletState,
} from '../../domain/payment-method/decider.js';
import { cardExpired, MAX_PAYMENT_METHODS, walletStreamId } from '../../domain/payment-method/values.js';
import {
  PAYMENT_METHODS_COLLECTION,
  PAYMENT_METHODS_PROJECTION,
  type PaymentMethodDoc,
} from '../../projections/payment-methods.js';
import type { CommandHandler } from '../kernel/command-handler.js';
import type { Clock } from '../ports/clock.js';
import type { PaymentMethodRef } from '../ports/payment-provider.js';
import { PERSONAL_DATA_VAULT, type PersonalDataVault } from '../ports/personal-data-vault.js';
import type { Views } from '../ports/views.js';
import { PORTS } from '../tokens.js';
import { loadActiveUser, verifiedPhone } from './wallet-owner.js';

/** A saved method as its owner sees it (account page, payment page, API). */
export interface PaymentMethodView {
  readonly methodId: string;
  readonly kind: 'card' | 'carrier';
  readonly brand: string | null;
  readonly last4: string | null;
  readonly expMonth: number | null;
  readonly expYear: number | null;
  readonly maskedPhone: string | null;
  readonly isDefault: boolean;
  /** A card past its expiry month at the instant of the query; always false for carrier methods. */
  readonly expired: boolean;
  /**
   * False once the owner's personal data was erased: the sealed token or phone can no longer be
   * opened, so the method is listed but can never be charged.
   */
  readonly available: boolean;
  readonly createdAt: string;
}

/**
 * A saved method opened for charging: the card token with what identifies the card, or the phone
 * (E.164) to bill. Structurally a PaymentProvider `PaymentMethodRef` (extra card fields aside), so
 * it can be passed to `authorize` as it is.
 */
export type ChargeMethod =
  | {
      readonly kind: 'card';
      readonly token: string;
      readonly brand: string;
      readonly last4: string;
      readonly expMonth: number;
      readonly expYear: number;
    }
  | { readonly kind: 'carrier'; readonly msisdn: string };

/** What the payment flow needs to charge a saved method, opened from the vault at charge time. */
export interface ChargeableMethod {
  readonly methodId: string;
  readonly method: ChargeMethod;
  /** For display and receipts: brand and last four of a card, or the masked phone. */
  readonly label: string;
  readonly isDefault: boolean;
}

function viewOf(doc: PaymentMethodDoc, now: Date, available: boolean): PaymentMethodView {
  const expired =
    doc.kind === 'card' && doc.expMonth !== null && doc.expYear !== null
      ? cardExpired({ expMonth: doc.expMonth, expYear: doc.expYear }, now)
      : false;
  return {
    methodId: doc.methodId,
    kind: doc.kind,
    brand: doc.brand,
    last4: doc.last4,
    expMonth: doc.expMonth,
    expYear: doc.expYear,
    maskedPhone: doc.maskedPhone,
    isDefault: doc.isDefault,
    expired,
    available,
    createdAt: doc.createdAt,
  };
}

function labelOf(method: WalletMethod): string {
  return method.kind === 'card' ? `${method.card.brand} •••• ${method.card.last4}` : method.carrier.masked;
}

const unavailable = () =>
  new DomainError(
    'conflict',
    'payment_method_unavailable',
    'This payment method can no longer be used; add a new one.',
  );

/**
 * Read side of saved payment methods. Listings come from the `payment_methods` projection, with
 * expiry derived at the query instant from the Clock. What to charge comes from the wallet's own
 * stream and the vault, never from a read model: a method removed a moment ago is not charged, and
 * nothing chargeable is ever copied out of the log.
 */
@injectable()
export class PaymentMethodQueries {
  constructor(
    @inject(PORTS.Views) private readonly views: Views,
    @inject(PORTS.CommandHandler) private readonly handler: CommandHandler,
    @inject(PORTS.Clock) private readonly clock: Clock,
    @inject(PERSONAL_DATA_VAULT) private readonly vault: PersonalDataVault,
  ) {}

  private methods() {
    return this.views.view<PaymentMethodDoc>(PAYMENT_METHODS_PROJECTION, PAYMENT_METHODS_COLLECTION);
  }

  /** The user's saved methods, oldest first. */
  async list(sub: string): Promise<PaymentMethodView[]> {
    const page = await this.methods().find({
      where: { sub },
      sort: { field: 'createdAt', direction: 'asc' },
      // A wallet holds at most MAX_PAYMENT_METHODS; the margin covers a limit raised later.
      limit: MAX_PAYMENT_METHODS * 10,
    });
    if (page.items.length === 0) return [];
    const now = this.clock.now();
    const available = !(await this.vault.isErased(sub));
    return page.items.map((doc) => viewOf(doc, now, available));
  }

  /** The user's default method, or null when there is none. */
  async defaultFor(sub: string): Promise<PaymentMethodView | null> {
    const page = await this.methods().find({ where: { sub, isDefault: true }, limit: 1 });
    const doc = page.items[0];
    if (!doc) return null;
    return viewOf(doc, this.clock.now(), !(await this.vault.isErased(sub)));
  }

  /**
   * The method as the payment flow charges it: the card token or the phone, opened from the vault.
   * Refuses a method that is unknown or removed (`payment_method_not_found`), an expired card
   * (`card_expired`), a method whose sealed part cannot be opened because the owner was erased
   * (`payment_method_unavailable`), and a carrier method whose phone is no longer verified on the
   * account (`phone_not_verified`).
   */
  async chargeableMethod(sub: string, methodId: string): Promise<ChargeableMethod> {
    return this.chargeable(sub, await this.wallet(sub), methodId);
  }

  /** The default method, chargeable (see chargeableMethod), or null when the wallet has no default. */
  async chargeableDefault(sub: string): Promise<ChargeableMethod | null> {
    const state = await this.wallet(sub);
    return state.defaultId === null ? null : this.chargeable(sub, state, state.defaultId);
  }

  private async wallet(sub: string): Promise<WalletState> {
    return (await this.handler.load(walletDecider, walletStreamId(sub))).state;
  }

  private async chargeable(sub: string, state: WalletState, methodId: string): Promise<ChargeableMethod> {
    const method = findMethod(state, methodId);
    if (!method)
      throw new DomainError('not_found', 'payment_method_not_found', 'No such saved payment method.');
    const isDefault = state.defaultId === methodId;
    const label = labelOf(method);
    if (method.kind === 'card') {
      if (cardExpired(method.card, this.clock.now()))
        throw new DomainError('invalid', 'card_expired', 'This card has expired.', 'card');
      const token = await this.vault.decrypt(sub, method.card.token);
      if (token === null) throw unavailable();
      const { brand, last4, expMonth, expYear } = method.card;
      return { methodId, method: { kind: 'card', token, brand, last4, expMonth, expYear }, label, isDefault };
    }
    const msisdn = await this.vault.decrypt(sub, method.carrier.phone);
    if (msisdn === null) throw unavailable();
    const user = await loadActiveUser(this.handler, sub);
    if (!verifiedPhone(user, method.carrier.phoneHash)) {
      throw new DomainError(
        'conflict',
        'phone_not_verified',
        'This phone number is no longer verified on the account.',
      );
    }
    return { methodId, method: { kind: 'carrier', msisdn }, label, isDefault };
  }
}

/** The method in the PaymentProvider port's shape (drops the card's display fields). */
export function providerRef(method: ChargeMethod): PaymentMethodRef {
  return method.kind === 'card'
    ? { kind: 'card', token: method.token }
    : { kind: 'carrier', msisdn: method.msisdn };
}
